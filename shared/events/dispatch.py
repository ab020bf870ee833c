"""Events of work orders, vendor progress, verification and release (第六条五～八, 第十一条).

Work orders are published on the vendor's own topic; vendors report progress on the progress topic
(or over HTTP). These messages are the vendor contract documented in docs/integration/.
"""

from datetime import date
from typing import Literal

from pydantic import Field

from shared.events.base import Event

ProgressStage = Literal["accepted", "in_development", "in_testing", "delivered"]
Priority = Literal["P1", "P2", "P3", "P4"]
# The bounds of what a vendor writes, the same over Kafka and over HTTP (services/dispatch/entrypoints.py).
ID_MAX_LENGTH = 64
VERSION_MAX_LENGTH = 64
NOTE_MAX_LENGTH = 2000


class WorkOrderDispatched(Event):
    """派发工单 (第六条五): the IT division sends work to a vendor, by priority, with effort and dates."""

    work_order_id: str
    ticket_id: str
    vendor_id: str
    kind: Literal["requirement", "problem"] = "requirement"
    category: str
    title: str
    description: str
    priority: Priority
    effort_days: float = Field(gt=0)
    planned_start: date
    planned_delivery: date
    urgent: bool = False


class VendorProgressReported(Event):
    """A vendor's report on a work order (written by the vendor, on its own progress topic)."""

    work_order_id: str = Field(min_length=1, max_length=ID_MAX_LENGTH)
    ticket_id: str = Field(min_length=1, max_length=ID_MAX_LENGTH)
    vendor_id: str = Field(min_length=1, max_length=ID_MAX_LENGTH, description="the vendor of the topic")
    stage: ProgressStage
    version: str | None = Field(None, max_length=VERSION_MAX_LENGTH, description="required when stage is delivered")
    note: str = Field("", max_length=NOTE_MAX_LENGTH)


class WorkOrderProgressed(Event):
    """Dispatch accepted a vendor's report and moved the work order to `stage`."""

    work_order_id: str
    ticket_id: str
    vendor_id: str
    stage: ProgressStage
    version: str | None = None
    note: str = ""


class WorkOrderOverdue(Event):
    """The planned delivery date passed without a delivery."""

    work_order_id: str
    ticket_id: str
    vendor_id: str
    planned_delivery: date


class VerificationRequested(Event):
    """业务验证 (第六条七): the requester is asked to verify the delivery."""

    ticket_id: str
    work_order_id: str
    submitter_id: str
    org_path: list[str]
    version: str


class VerificationPassed(Event):
    ticket_id: str
    work_order_id: str
    note: str = ""


class VerificationFailed(Event):
    """The delivery did not do what was asked: back to the vendor with the reason."""

    ticket_id: str
    work_order_id: str
    vendor_id: str
    reason: str


class WorkOrderReopened(Event):
    """On the vendor's topic: the work order is open again after a failed verification."""

    work_order_id: str
    ticket_id: str
    vendor_id: str
    reason: str


class ReleaseAnnounced(Event):
    """部署上线 (第六条八): a release announced in advance, with the updated manuals, videos and guides."""

    release_id: str
    version: str
    release_date: date
    title: str
    notes: str
    ticket_ids: list[str]
    manual_url: str = ""
    video_url: str = ""
    report_guide_url: str = ""

    @property
    def subject(self) -> str:
        return self.release_id


class RequirementReleased(Event):
    """A verified requirement went out in a release: it is done."""

    ticket_id: str
    release_id: str
    version: str
