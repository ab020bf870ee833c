"""Review's storage: review cases and publications, each an aggregate collection with an outbox."""

from services.review.adapters.cases import ReviewCaseRepository
from services.review.adapters.publications import PublicationRepository

__all__ = ["PublicationRepository", "ReviewCaseRepository"]
