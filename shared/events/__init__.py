"""The envelope and every event services exchange, importable from one place: `from shared.events import X`."""

from shared.events.admin import CalendarDayCorrected
from shared.events.base import SPEC_VERSION, SYSTEM, Actor, Envelope, Event, Level, new_id, utcnow
from shared.events.dispatch import (
    ProgressStage,
    ReleaseAnnounced,
    RequirementReleased,
    VendorProgressReported,
    VerificationFailed,
    VerificationPassed,
    VerificationRequested,
    WorkOrderDispatched,
    WorkOrderOverdue,
    WorkOrderProgressed,
    WorkOrderReopened,
)
from shared.events.notifications import NotificationDelivered
from shared.events.requirements import (
    PublicationItem,
    PublicationPublished,
    RequirementConfirmed,
    RequirementForwarded,
    RequirementMerged,
    RequirementPublished,
    RequirementRefined,
    RequirementRejected,
    RequirementReturned,
    RequirementReviewCompleted,
    RequirementSplit,
    RequirementSubmitted,
    ReviewTaskOpened,
    SubmissionWindowOpened,
)

# Every event type by name.
EVENT_TYPES: dict[str, type[Event]] = Event.registry

__all__ = [
    "EVENT_TYPES",
    "SPEC_VERSION",
    "SYSTEM",
    "Actor",
    "CalendarDayCorrected",
    "Envelope",
    "Event",
    "Level",
    "NotificationDelivered",
    "ProgressStage",
    "PublicationItem",
    "PublicationPublished",
    "ReleaseAnnounced",
    "RequirementConfirmed",
    "RequirementForwarded",
    "RequirementMerged",
    "RequirementPublished",
    "RequirementRefined",
    "RequirementRejected",
    "RequirementReleased",
    "RequirementReturned",
    "RequirementReviewCompleted",
    "RequirementSplit",
    "RequirementSubmitted",
    "ReviewTaskOpened",
    "SubmissionWindowOpened",
    "VendorProgressReported",
    "VerificationFailed",
    "VerificationPassed",
    "VerificationRequested",
    "WorkOrderDispatched",
    "WorkOrderOverdue",
    "WorkOrderProgressed",
    "WorkOrderReopened",
    "new_id",
    "utcnow",
]
