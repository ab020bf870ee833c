"""Every legal and illegal transition of a dispatch case and its work order (第六条五～七), no I/O."""

import itertools
import math
from datetime import date, timedelta

import pytest

from services.dispatch.domain import (
    CaseStatus,
    ReportProgress,
    WorkOrderStatus,
    dispatch_work_order,
    flag_overdue,
    open_dispatch_case,
    report_progress,
)
from services.dispatch.domain.work_orders import proposed_delivery
from services.dispatch.tests.factories import (
    BIZDIV,
    ITDIV,
    NOW,
    TODAY,
    VENDOR,
    adopted_case,
    confirmed,
    delivered_case,
    dispatch_command,
    dispatched_case,
    report,
    rule,
    verified_case,
)
from shared.errors import DomainError, InvalidInput, NotFound
from shared.events import (
    VerificationRequested,
    WorkOrderDispatched,
    WorkOrderOverdue,
    WorkOrderProgressed,
)
from shared.topics import Topics
from shared.workcalendar import WorkCalendar

VENDOR_STAGES = ["accepted", "in_development", "in_testing", "delivered"]
STAGES = ["dispatched", *VENDOR_STAGES]


def case_at(stage: str):
    case = dispatched_case()
    if stage != "dispatched":
        report(case, stage, "v1" if stage == "delivered" else None)
    case.events.clear()
    return case


# 需求确认 (第六条三) → the dispatch queue


def test_adopted_requirement_waits_for_dispatch_with_its_history() -> None:
    case = open_dispatch_case(confirmed(), BIZDIV, NOW)
    assert case.status == CaseStatus.AWAITING_DISPATCH
    assert case.work_order is None
    assert [(e.action, e.actor_id) for e in case.history] == [("adopted", "u-bizdiv")]
    assert case.events == []


def test_declined_requirement_is_never_dispatched() -> None:
    with pytest.raises(DomainError) as error:
        open_dispatch_case(confirmed(adopted=False), BIZDIV, NOW)
    rule(error, "requirement_not_adopted")


# 派发工单 (第六条五)


def test_dispatch_sends_work_order_to_the_vendors_own_topic() -> None:
    case = adopted_case()
    order = dispatch_work_order(case, dispatch_command(), ITDIV, NOW)
    assert order.id == "WO-REQ-202612-0001-1"
    assert (case.status, order.status) == (CaseStatus.IN_PROGRESS, WorkOrderStatus.DISPATCHED)
    [event] = case.events
    assert isinstance(event, WorkOrderDispatched)
    assert (event.priority, event.effort_days, event.vendor_id) == ("P2", 12.5, "vendor-a")
    assert Topics("fd").for_event(event) == "fd.work-orders.vendor-a"
    assert event.subject == "REQ-202612-0001", "Kafka key = ticket id"
    assert case.history[-1].action == "dispatched"


def test_urgent_requirement_defaults_to_p1() -> None:
    case = adopted_case(urgency="urgent")
    order = dispatch_work_order(case, dispatch_command(priority=None), ITDIV, NOW)
    assert order.priority == "P1"
    assert case.events[0].urgent is True


def test_urgent_requirement_may_be_given_another_priority_by_the_it_division() -> None:
    order = dispatch_work_order(adopted_case(urgency="urgent"), dispatch_command(priority="P2"), ITDIV, NOW)
    assert order.priority == "P2"


def test_normal_requirement_needs_a_priority() -> None:
    with pytest.raises(InvalidInput) as error:
        dispatch_work_order(adopted_case(), dispatch_command(priority=None), ITDIV, NOW)
    rule(error, "priority_required", "priority")


@pytest.mark.parametrize("priority", ["P0", "P5", "p1", "high"])
def test_priority_is_one_of_p1_to_p4(priority: str) -> None:
    with pytest.raises(InvalidInput) as error:
        dispatch_work_order(adopted_case(), dispatch_command(priority=priority), ITDIV, NOW)
    rule(error, "priority_invalid", "priority")


@pytest.mark.parametrize("effort", [0, -1, 1000.01, math.inf, math.nan])
def test_effort_is_more_than_zero_and_at_most_1000_person_days(effort: float) -> None:
    with pytest.raises(InvalidInput) as error:
        dispatch_work_order(adopted_case(), dispatch_command(effort_days=effort), ITDIV, NOW)
    rule(error, "effort_out_of_range", "effort_days")


@pytest.mark.parametrize("effort", [0.5, 1, 1000])
def test_effort_within_range_is_accepted(effort: float) -> None:
    assert dispatch_work_order(adopted_case(), dispatch_command(effort_days=effort), ITDIV, NOW).effort_days == effort


def test_planned_delivery_is_not_before_planned_start() -> None:
    late_start = dispatch_command(planned_start=date(2027, 1, 2), planned_delivery=date(2027, 1, 1))
    with pytest.raises(InvalidInput) as error:
        dispatch_work_order(adopted_case(), late_start, ITDIV, NOW)
    rule(error, "delivery_before_start", "planned_delivery")
    same_day = dispatch_command(planned_start=date(2027, 1, 1), planned_delivery=date(2027, 1, 1))
    assert dispatch_work_order(adopted_case(), same_day, ITDIV, NOW).planned_delivery == date(2027, 1, 1)


def test_vendor_is_one_of_the_known_vendors() -> None:
    with pytest.raises(InvalidInput) as error:
        dispatch_work_order(adopted_case(), dispatch_command(vendor_id="vendor-z"), ITDIV, NOW)
    rule(error, "unknown_vendor", "vendor_id")


@pytest.mark.parametrize("stage", STAGES)
def test_second_dispatch_while_a_work_order_is_open_is_a_conflict(stage: str) -> None:
    case = case_at(stage)
    with pytest.raises(DomainError) as error:
        dispatch_work_order(case, dispatch_command(vendor_id="vendor-b"), ITDIV, NOW)
    rule(error, "work_order_open")
    assert error.value.status_code == 409
    assert case.work_order.vendor_id == "vendor-a" and case.events == []


def test_verified_requirement_is_not_dispatched_again() -> None:
    with pytest.raises(DomainError) as error:
        dispatch_work_order(verified_case(), dispatch_command(), ITDIV, NOW)
    rule(error, "not_awaiting_dispatch")


# 开发测试 (第六条六): stages only move forward


@pytest.mark.parametrize(
    ("current", "reported"), [(a, b) for a, b in itertools.combinations(STAGES, 2) if b != "delivered"]
)
def test_progress_moves_forward_and_may_skip_stages(current: str, reported: str) -> None:
    case = case_at(current)
    assert report(case, reported) is True
    assert case.work_order.status == reported
    [event] = case.events
    assert isinstance(event, WorkOrderProgressed)
    assert (event.stage, event.vendor_id) == (reported, "vendor-a")
    assert case.history[-1].action == reported and case.history[-1].actor_id == "u-vendor1"


@pytest.mark.parametrize(
    ("current", "reported"), [(a, b) for a in STAGES for b in VENDOR_STAGES if STAGES.index(b) <= STAGES.index(a)]
)
def test_report_of_a_stage_already_reached_is_acknowledged_and_ignored(current: str, reported: str) -> None:
    case = case_at(current)
    before = (case.work_order.status, len(case.history))
    assert report(case, reported, "v9") is False
    assert (case.work_order.status, len(case.history)) == before
    assert case.events == []


@pytest.mark.parametrize("current", ["dispatched", "accepted", "in_development", "in_testing"])
def test_delivery_names_its_version_and_asks_the_requester_to_verify(current: str) -> None:
    case = case_at(current)
    assert report(case, "delivered", " v2026.12.1 ") is True
    progressed, requested = case.events
    assert isinstance(progressed, WorkOrderProgressed) and progressed.version == "v2026.12.1"
    assert isinstance(requested, VerificationRequested)
    assert (requested.submitter_id, requested.version) == ("u-submitter", "v2026.12.1")
    assert requested.org_path == ["150000", "150100", "150102", "bu-150102-01"]
    assert case.status == CaseStatus.AWAITING_VERIFICATION
    assert case.work_order.delivered_version == "v2026.12.1"


@pytest.mark.parametrize("version", [None, "", "   "])
def test_delivery_without_a_version_is_refused(version: str | None) -> None:
    case = dispatched_case()
    with pytest.raises(InvalidInput) as error:
        report(case, "delivered", version)
    rule(error, "version_required", "version")
    assert case.work_order.status == WorkOrderStatus.DISPATCHED and case.events == []


@pytest.mark.parametrize("stage", ["dispatched", "verified", "done"])
def test_vendor_reports_only_vendor_stages(stage: str) -> None:
    with pytest.raises(InvalidInput) as error:
        report(dispatched_case(), stage)
    rule(error, "stage_invalid", "stage")


def test_report_on_another_work_order_id_finds_nothing() -> None:
    with pytest.raises(NotFound) as error:
        report_progress(dispatched_case(), ReportProgress("WO-REQ-202612-0001-2", "accepted"), VENDOR, NOW)
    rule(error, "work_order_not_found")
    with pytest.raises(NotFound):
        report_progress(adopted_case(), ReportProgress("WO-REQ-202612-0001-1", "accepted"), VENDOR, NOW)


# Overdue: past the planned delivery date (Asia/Shanghai) and not delivered


@pytest.mark.parametrize("stage", ["dispatched", "accepted", "in_development", "in_testing"])
def test_work_order_not_delivered_after_its_planned_delivery_day_is_overdue_once(stage: str) -> None:
    case = case_at(stage)
    due = case.work_order.planned_delivery
    assert not case.work_order.is_overdue(due), "the delivery day itself is still on time"
    assert flag_overdue(case, due, ITDIV, NOW) is False
    assert case.work_order.is_overdue(due + timedelta(days=1))
    assert flag_overdue(case, due + timedelta(days=1), ITDIV, NOW) is True
    [event] = case.events
    assert isinstance(event, WorkOrderOverdue) and event.planned_delivery == due
    assert flag_overdue(case, due + timedelta(days=2), ITDIV, NOW) is False, "once per work order"


@pytest.mark.parametrize("make", [delivered_case, verified_case], ids=["delivered", "verified"])
def test_delivered_work_order_is_never_overdue(make) -> None:
    case = make()
    late = case.work_order.planned_delivery + timedelta(days=30)
    assert not case.work_order.is_overdue(late)
    assert flag_overdue(case, late, ITDIV, NOW) is False


def test_case_without_work_order_is_never_overdue() -> None:
    assert flag_overdue(adopted_case(), TODAY + timedelta(days=999), ITDIV, NOW) is False


@pytest.mark.parametrize(
    ("start", "effort", "delivery"),
    [
        (date(2026, 12, 3), 5, date(2026, 12, 9)),  # Thursday: Thu, Fri, Mon, Tue, Wed
        (date(2026, 12, 3), 0.5, date(2026, 12, 3)),
        (date(2026, 12, 5), 1, date(2026, 12, 7)),  # a Saturday start begins on Monday
        (date(2026, 12, 30), 3, date(2027, 1, 4)),  # New Year's Day and the weekend are not working days
    ],
)
def test_the_proposed_delivery_is_the_working_day_on_which_the_effort_ends(start, effort, delivery) -> None:
    assert proposed_delivery(start, effort, WorkCalendar()) == delivery
