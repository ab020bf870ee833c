"""From an adopted requirement to a work order at the vendor, and the vendor's progress (第六条五、六)."""

import math
from collections.abc import Container
from datetime import date, datetime

from services.dispatch.domain.commands import DispatchWorkOrder, ReportProgress
from services.dispatch.domain.model import (
    MAX_EFFORT_DAYS,
    PRIORITIES,
    VENDOR_STAGES,
    CaseStatus,
    DispatchCase,
    WorkOrder,
    WorkOrderStatus,
    rank,
)
from shared.errors import DomainError, InvalidInput, NotFound
from shared.events import (
    Actor,
    ProblemReadyForDispatch,
    RequirementConfirmed,
    VerificationRequested,
    WorkOrderDispatched,
    WorkOrderOverdue,
    WorkOrderProgressed,
    WorkOrderReopened,
)
from shared.orgtree import VENDORS
from shared.workcalendar import WorkCalendar

VENDOR_IDS = tuple(vendor_id for vendor_id, _ in VENDORS)


def work_order_id(ticket_id: str, number: int) -> str:
    """Deterministic: the n-th work order of a requirement always has the same id."""
    return f"WO-{ticket_id}-{number}"


def open_dispatch_case(confirmed: RequirementConfirmed, actor: Actor, at: datetime) -> DispatchCase:
    """需求确认 (第六条三) adopted it: it now waits for the IT division to dispatch it (第六条五)."""
    if not confirmed.adopted:
        raise DomainError("requirement_not_adopted", f"需求 {confirmed.ticket_id} 未被采纳 (not adopted)")
    case = DispatchCase(
        ticket_id=confirmed.ticket_id,
        title=confirmed.title,
        description=confirmed.description,
        category=confirmed.category,
        urgency=confirmed.urgency,
        submitter_id=confirmed.submitter_id,
        org_path=list(confirmed.org_path),
        business_division_id=confirmed.business_division_id,
        expected_upgrade=confirmed.expected_upgrade,
        adopted_at=at,
    )
    case.record("adopted", actor, at, confirmed.reason)
    return case


def open_problem_case(ready: ProblemReadyForDispatch, actor: Actor, at: datetime) -> DispatchCase:
    """第十一条一5, 三6: a confirmed bug or an accepted repair plan waits to be dispatched, by urgency."""
    case = DispatchCase(
        ticket_id=ready.ticket_id,
        title=ready.title,
        description=ready.description,
        category=ready.category,
        urgency="urgent" if ready.urgent else "normal",
        submitter_id=ready.submitter_id,
        org_path=list(ready.org_path),
        business_division_id="",
        expected_upgrade=None,
        adopted_at=at,
        kind="problem",
        problem_round=ready.round,
    )
    case.record("ready_for_dispatch", actor, at, f"建议优先级 {ready.priority_suggestion}")
    return case


def reopen_problem(case: DispatchCase, ready: ProblemReadyForDispatch, actor: Actor, at: datetime) -> bool:
    """The reporter's verification failed (a later round): the work order goes back to the vendor.

    False when this round was seen before, or when no work order was dispatched yet (it still waits)."""
    if ready.round <= case.problem_round:
        return False
    case.problem_round = ready.round
    order = case.work_order
    if order is None:
        return True
    order.status = WorkOrderStatus.IN_DEVELOPMENT
    order.reopen_count += 1
    case.status = CaseStatus.IN_PROGRESS
    case.record("reopened", actor, at, ready.reason)
    case.emit(
        WorkOrderReopened(
            work_order_id=order.id, ticket_id=case.ticket_id, vendor_id=order.vendor_id, reason=ready.reason
        )
    )
    return True


def dispatch_work_order(
    case: DispatchCase,
    command: DispatchWorkOrder,
    actor: Actor,
    at: datetime,
    vendors: Container[str] = VENDOR_IDS,
) -> WorkOrder:
    """派发工单 (第六条五): by urgency a priority, an effort estimate, a plan, and the vendor who does it, one of
    `vendors` (the active vendors of the org directory; the shipped ones by default).
    A plan may lie in the past (a work order agreed by phone and entered later is overdue when it is)."""
    if case.work_order is not None and case.work_order.is_open:
        raise DomainError(
            "work_order_open",
            f"需求 {case.ticket_id} 已有未完成的工单 {case.work_order.id}，不能重复派发 (a work order is already open)",
        )
    if case.status != CaseStatus.AWAITING_DISPATCH:
        raise DomainError("not_awaiting_dispatch", f"需求 {case.ticket_id} 不在待派发状态 (not awaiting dispatch)")
    priority = _priority(command.priority, urgent=case.urgent)
    _check_plan(command, vendors)
    number = case.work_orders_dispatched + 1
    order = WorkOrder(
        id=work_order_id(case.ticket_id, number),
        number=number,
        vendor_id=command.vendor_id,
        priority=priority,
        effort_days=command.effort_days,
        planned_start=command.planned_start,
        planned_delivery=command.planned_delivery,
        urgent=case.urgent,
        dispatched_at=at,
    )
    case.work_order = order
    case.status = CaseStatus.IN_PROGRESS
    case.record("dispatched", actor, at, f"{order.id} → {order.vendor_id}, {priority}, {order.effort_days:g} 人天")
    case.emit(
        WorkOrderDispatched(
            work_order_id=order.id,
            ticket_id=case.ticket_id,
            vendor_id=order.vendor_id,
            kind=case.kind,
            category=case.category,
            title=case.title,
            description=case.description,
            priority=priority,
            effort_days=order.effort_days,
            planned_start=order.planned_start,
            planned_delivery=order.planned_delivery,
            urgent=case.urgent,
        )
    )
    return order


def _priority(given: str | None, *, urgent: bool) -> str:
    # 急事急办、特事特办: an urgent requirement is P1 unless the IT division decides otherwise.
    if given is None:
        if urgent:
            return "P1"
        raise InvalidInput("priority_required", "请设置优先级 P1–P4 (priority is required)", field="priority")
    if given not in PRIORITIES:
        raise InvalidInput(
            "priority_invalid", f"优先级只能是 P1–P4，收到 {given} (priority must be P1–P4)", field="priority"
        )
    return given


def _check_plan(command: DispatchWorkOrder, vendors: Container[str]) -> None:
    if command.vendor_id not in vendors:
        raise InvalidInput("unknown_vendor", f"开发公司 {command.vendor_id} 不存在 (unknown vendor)", field="vendor_id")
    effort = command.effort_days
    if not math.isfinite(effort) or not 0 < effort <= MAX_EFFORT_DAYS:
        raise InvalidInput(
            "effort_out_of_range",
            f"开发工作量须大于 0 且不超过 {MAX_EFFORT_DAYS} 人天 "
            f"(effort must be > 0 and ≤ {MAX_EFFORT_DAYS} person-days)",
            field="effort_days",
        )
    if command.planned_delivery < command.planned_start:
        raise InvalidInput(
            "delivery_before_start",
            "计划交付日期不能早于计划开始日期 (planned delivery is before planned start)",
            field="planned_delivery",
        )


def proposed_delivery(planned_start: date, effort_days: float, calendar: WorkCalendar) -> date:
    """The delivery date a plan proposes: the working day on which `effort_days` of work (one person, whole
    days) ends when it starts on `planned_start` — 5 person-days from Thursday 3 December 2026 end on
    Wednesday 9 December. Only a proposal: the IT division sets the date it agrees with the vendor."""
    remaining = max(1, math.ceil(effort_days))
    day = planned_start if calendar.is_workday(planned_start) else calendar.next_workday(planned_start)
    while remaining > 1:
        day = calendar.next_workday(day)
        remaining -= 1
    return day


def report_progress(case: DispatchCase, command: ReportProgress, actor: Actor, at: datetime) -> bool:
    """开发测试 (第六条六): the work order moves forward only; False when the report changes nothing.

    A report of a stage already reached or passed is acknowledged and ignored (vendors retry; messages
    come at least once). Stages may be skipped, but a delivery must name the delivered version.
    """
    order = case.work_order
    if order is None or order.id != command.work_order_id:
        raise NotFound("work_order_not_found", f"工单 {command.work_order_id} 不存在 (no such work order)")
    if command.stage not in VENDOR_STAGES:
        raise InvalidInput("stage_invalid", f"无效的进度阶段 {command.stage} (unknown stage)", field="stage")
    stage = WorkOrderStatus(command.stage)
    if rank(stage) <= rank(order.status):
        return False
    version = (command.version or "").strip() or None
    if stage == WorkOrderStatus.DELIVERED and version is None:
        raise InvalidInput("version_required", "交付时须填写交付版本号 (a delivery needs its version)", field="version")
    order.status = stage
    note = command.note.strip()
    case.record(stage.value, actor, at, f"{version} {note}".strip() if version else note)
    case.emit(
        WorkOrderProgressed(
            work_order_id=order.id,
            ticket_id=case.ticket_id,
            vendor_id=order.vendor_id,
            stage=stage.value,
            version=version,
            note=note,
        )
    )
    if stage == WorkOrderStatus.DELIVERED and case.kind == "problem":
        order.delivered_version = version
        case.status = CaseStatus.AWAITING_PATCH
    elif stage == WorkOrderStatus.DELIVERED:
        _request_verification(case, order, version or "")
    return True


def _request_verification(case: DispatchCase, order: WorkOrder, version: str) -> None:
    """业务验证 (第六条七): the user who raised the requirement checks what was delivered."""
    order.delivered_version = version
    case.status = CaseStatus.AWAITING_VERIFICATION
    case.emit(
        VerificationRequested(
            ticket_id=case.ticket_id,
            work_order_id=order.id,
            submitter_id=case.submitter_id,
            org_path=case.org_path,
            version=version,
        )
    )


def flag_overdue(case: DispatchCase, today: date, actor: Actor, at: datetime) -> bool:
    """Once per work order, say that its planned delivery date passed without a delivery (第六条五 如期完成)."""
    order = case.work_order
    if order is None or order.overdue_reported or not order.is_overdue(today):
        return False
    order.overdue_reported = True
    case.record("overdue", actor, at, f"计划交付日期 {order.planned_delivery.isoformat()}")
    case.emit(
        WorkOrderOverdue(
            work_order_id=order.id,
            ticket_id=case.ticket_id,
            vendor_id=order.vendor_id,
            planned_delivery=order.planned_delivery,
        )
    )
    return True
