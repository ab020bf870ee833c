"""Work orders for problems (第十一条一5、三6): queued from review, delivered fixes wait for the patch."""

from datetime import date

from services.dispatch.domain import (
    CaseStatus,
    DispatchWorkOrder,
    ReportProgress,
    WorkOrderStatus,
    dispatch_work_order,
    open_problem_case,
    reopen_problem,
    report_progress,
)
from services.dispatch.tests.factories import ITDIV, NOW, ORG_PATH, VENDOR
from shared.events import ProblemReadyForDispatch, VerificationRequested, WorkOrderDispatched, WorkOrderReopened


def ready(round_number: int = 1, reason: str = "") -> ProblemReadyForDispatch:
    return ProblemReadyForDispatch(
        ticket_id="PRB-202612-0001", category="bug", status="ready_for_dispatch", urgent=True,
        owner_role="it_division", owner_org_id="itd", submitter_id="u-submitter", org_id="bu-150102-01",
        org_path=ORG_PATH, title="回单无法下载", description="下载回单提示系统错误。",
        priority_suggestion="P1", round=round_number, reason=reason,
    )  # fmt: skip


def delivered_problem():
    case = open_problem_case(ready(), ITDIV, NOW)
    plan = DispatchWorkOrder(
        ticket_id=case.ticket_id, vendor_id="vendor-a", priority=None, effort_days=2,
        planned_start=date(2026, 12, 7), planned_delivery=date(2026, 12, 9),
    )  # fmt: skip
    order = dispatch_work_order(case, plan, ITDIV, NOW)
    report_progress(case, ReportProgress(order.id, "delivered", "V3.2.1-p7", ""), VENDOR, NOW)
    return case


def test_an_urgent_bug_is_queued_as_a_problem_and_dispatched_first() -> None:
    case = open_problem_case(ready(), ITDIV, NOW)
    assert (case.kind, case.urgency, case.status) == ("problem", "urgent", CaseStatus.AWAITING_DISPATCH)
    plan = DispatchWorkOrder(
        ticket_id=case.ticket_id, vendor_id="vendor-a", priority=None, effort_days=2,
        planned_start=date(2026, 12, 7), planned_delivery=date(2026, 12, 9),
    )  # fmt: skip
    order = dispatch_work_order(case, plan, ITDIV, NOW)
    event = next(e for e in case.events if isinstance(e, WorkOrderDispatched))
    assert (order.priority, event.kind) == ("P1", "problem")


def test_a_delivered_fix_waits_for_the_patch_release_not_for_requirement_verification() -> None:
    case = delivered_problem()
    assert case.status == CaseStatus.AWAITING_PATCH
    assert not any(isinstance(e, VerificationRequested) for e in case.events)


def test_a_failed_second_verification_reopens_the_work_order_once_per_round() -> None:
    case = delivered_problem()
    case.events.clear()
    assert reopen_problem(case, ready(2, "补丁后仍报错"), ITDIV, NOW)
    assert case.work_order.status == WorkOrderStatus.IN_DEVELOPMENT and case.status == CaseStatus.IN_PROGRESS
    assert [type(e) for e in case.events] == [WorkOrderReopened]
    assert not reopen_problem(case, ready(2, "补丁后仍报错"), ITDIV, NOW)  # the same round again: nothing
