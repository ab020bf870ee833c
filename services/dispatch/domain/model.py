"""The dispatch case and its work order (第六条五～八): state, stages and history. Pure, no I/O.

A `DispatchCase` is one adopted requirement on its way from 派发工单 to 部署上线. It holds at most one open
`WorkOrder` (工单) at a time; the work order moves through the vendor's stages (开发测试, 第六条六), then
the requester's business verification (业务验证, 第六条七), and the case ends in a release (部署上线, 第六条八).
"""

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum

from shared.events import Actor, Event


class CaseStatus(StrEnum):
    AWAITING_DISPATCH = "awaiting_dispatch"  # 待派发: adopted (第六条三), no work order yet
    IN_PROGRESS = "in_progress"  # 开发测试中: a work order is open at the vendor
    AWAITING_VERIFICATION = "awaiting_verification"  # 待业务验证: delivered, the requester verifies
    # A problem's fix is delivered: the IT division releases the patch and the reporter verifies it in the
    # problem procedure (第十一条一7、8), not here.
    AWAITING_PATCH = "awaiting_patch"
    VERIFIED = "verified"  # 验证通过: waits for a release
    RELEASED = "released"  # 已部署上线


class WorkOrderStatus(StrEnum):
    """The work order's stage, in the only order it may move (a failed verification goes back)."""

    DISPATCHED = "dispatched"  # 已派发
    ACCEPTED = "accepted"  # 开发公司已接收
    IN_DEVELOPMENT = "in_development"  # 开发中
    IN_TESTING = "in_testing"  # 测试中
    DELIVERED = "delivered"  # 已交付, awaiting 业务验证
    VERIFIED = "verified"  # 业务验证通过: the work order is closed


STAGE_ORDER = list(WorkOrderStatus)
# What a vendor may report (第六条六); `dispatched` and `verified` are set by the IT division and the requester.
VENDOR_STAGES = (
    WorkOrderStatus.ACCEPTED,
    WorkOrderStatus.IN_DEVELOPMENT,
    WorkOrderStatus.IN_TESTING,
    WorkOrderStatus.DELIVERED,
)
NOT_YET_DELIVERED = STAGE_ORDER[: STAGE_ORDER.index(WorkOrderStatus.DELIVERED)]
PRIORITIES = ("P1", "P2", "P3", "P4")
MAX_EFFORT_DAYS = 1000


def rank(status: WorkOrderStatus | str) -> int:
    return STAGE_ORDER.index(WorkOrderStatus(status))


@dataclass(frozen=True)
class HistoryEntry:
    """One line of the case's history: what was done, by whom, when, and why."""

    action: str
    actor_id: str
    actor_name: str
    at: datetime
    note: str = ""


@dataclass
class WorkOrder:
    id: str
    number: int
    vendor_id: str
    priority: str
    effort_days: float
    planned_start: date
    planned_delivery: date
    urgent: bool
    dispatched_at: datetime
    status: WorkOrderStatus = WorkOrderStatus.DISPATCHED
    delivered_version: str | None = None
    reopen_count: int = 0
    overdue_reported: bool = False

    @property
    def is_open(self) -> bool:
        return self.status != WorkOrderStatus.VERIFIED

    def is_overdue(self, today: date) -> bool:
        """Past its planned delivery date (Asia/Shanghai) and not delivered."""
        return self.status in NOT_YET_DELIVERED and today > self.planned_delivery


@dataclass
class DispatchCase:
    ticket_id: str
    title: str
    description: str
    category: str
    urgency: str
    submitter_id: str
    org_path: list[str]
    business_division_id: str
    expected_upgrade: date | None
    adopted_at: datetime
    status: CaseStatus = CaseStatus.AWAITING_DISPATCH
    work_order: WorkOrder | None = None
    kind: str = "requirement"  # or "problem" (软件BUG, 数据修复: 第十一条一5、三6)
    problem_round: int = 0
    release_id: str | None = None
    version: int = 0
    history: list[HistoryEntry] = field(default_factory=list)
    # What this change added: saved with the case in one write (history appended, events to the outbox).
    recorded: list[HistoryEntry] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)

    @property
    def urgent(self) -> bool:
        return self.urgency == "urgent"

    @property
    def work_orders_dispatched(self) -> int:
        return self.work_order.number if self.work_order else 0

    def record(self, action: str, actor: Actor, at: datetime, note: str = "") -> None:
        entry = HistoryEntry(action, actor.user_id, actor.name, at, note)
        self.history.append(entry)
        self.recorded.append(entry)

    def emit(self, *events: Event) -> None:
        self.events.extend(events)
