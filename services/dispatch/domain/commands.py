"""What people ask dispatch to do; each is checked by the domain before anything changes."""

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class DispatchWorkOrder:
    """派发工单 (第六条五): priority, effort, plan and vendor for an adopted requirement."""

    ticket_id: str
    vendor_id: str
    effort_days: float
    planned_start: date
    planned_delivery: date
    priority: str | None = None  # None: P1 for an urgent requirement, otherwise it must be given


@dataclass(frozen=True)
class ReportProgress:
    """开发测试 (第六条六): a vendor reports the stage its work order reached."""

    work_order_id: str
    stage: str
    version: str | None = None
    note: str = ""


@dataclass(frozen=True)
class VerifyDelivery:
    """业务验证 (第六条七): the requester passes or fails the delivery, always saying why."""

    ticket_id: str
    passed: bool
    reason: str


@dataclass(frozen=True)
class AnnounceRelease:
    """部署上线 (第六条八): a release of verified requirements, with updated manual, video and report guide."""

    version: str
    release_date: date
    title: str
    notes: str
    ticket_ids: tuple[str, ...]
    manual_url: str = ""
    video_url: str = ""
    report_guide_url: str = ""
