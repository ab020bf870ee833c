"""Dispatch's repositories on PostgreSQL (decision 0011): SQL lives here only."""

from services.dispatch.adapters.cases import ConcurrentChange, DispatchCaseRepository
from services.dispatch.adapters.refusals import VendorRefusalRepository
from services.dispatch.adapters.releases import ReleaseRepository

__all__ = ["ConcurrentChange", "DispatchCaseRepository", "ReleaseRepository", "VendorRefusalRepository"]
