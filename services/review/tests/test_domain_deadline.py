"""The review deadline (the region's rule, decision 0009): N working days after the task's opening day, on
the official calendar with adjusted workdays (调休) and the region's corrections."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from services.review.domain import (
    ForwardRequirement,
    RejectRequirement,
    ReviewDeadline,
    forward,
    reject,
    remind_if_overdue,
)
from services.review.tests.factories import COUNTY, NOW, event_types, new_case
from shared.workcalendar import DayOverride, WorkCalendar

BEIJING = ZoneInfo("Asia/Shanghai")
DEADLINE = ReviewDeadline(WorkCalendar(), working_days=3)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=BEIJING)


def test_the_opening_day_does_not_count() -> None:
    opened = at("2026-12-01T10:00")  # Tuesday
    assert DEADLINE.due_on(opened) == date(2026, 12, 4)
    assert DEADLINE.due_at(opened) == at("2026-12-04T23:59:59")
    assert DEADLINE.due_on(at("2026-12-01T00:00")) == DEADLINE.due_on(at("2026-12-01T23:59")) == date(2026, 12, 4)


def test_a_weekend_is_not_counted() -> None:
    assert DEADLINE.due_on(at("2026-12-04T16:00")) == date(2026, 12, 9)  # Friday → Mon, Tue, Wed
    assert DEADLINE.due_on(at("2026-12-05T09:00")) == date(2026, 12, 9)  # opened on Saturday: the same


def test_a_holiday_is_not_counted_and_an_adjusted_working_saturday_is() -> None:
    # National Day 2026: 1–7 October off; Saturday 10 October is an adjusted workday (调休).
    assert DEADLINE.due_on(at("2026-09-30T15:00")) == date(2026, 10, 10)  # Thu 8, Fri 9, Sat 10
    # Sunday 20 September 2026 is an adjusted workday too.
    assert DEADLINE.due_on(at("2026-09-18T11:00")) == date(2026, 9, 22)  # Sun 20, Mon 21, Tue 22


def test_the_regions_corrections_count() -> None:
    corrected = ReviewDeadline(WorkCalendar([DayOverride(date(2026, 12, 3), False, "停电检修")]), working_days=3)
    assert corrected.due_on(at("2026-12-01T10:00")) == date(2026, 12, 7)  # Wed 2, Fri 4, Mon 7


def test_the_number_of_working_days_is_the_regions_setting() -> None:
    assert ReviewDeadline(WorkCalendar(), working_days=1).due_on(at("2026-12-04T10:00")) == date(2026, 12, 7)
    with pytest.raises(ValueError):
        ReviewDeadline(WorkCalendar(), working_days=0)


def test_overdue_only_after_the_due_day_has_ended() -> None:
    opened = at("2026-12-01T10:00")
    assert not DEADLINE.is_overdue(opened, at("2026-12-04T23:59"))
    assert DEADLINE.is_overdue(opened, at("2026-12-05T00:00"))


def test_working_days_left_count_down_to_zero_then_go_negative() -> None:
    opened = at("2026-12-01T10:00")
    assert DEADLINE.working_days_left(opened, at("2026-12-01T11:00")) == 3
    assert DEADLINE.working_days_left(opened, at("2026-12-04T09:00")) == 0  # due today
    assert DEADLINE.working_days_left(opened, at("2026-12-05T09:00")) == -1  # the Saturday after: overdue
    assert DEADLINE.working_days_left(opened, at("2026-12-08T09:00")) == -2  # Mon 7, Tue 8


def test_a_naive_instant_is_refused() -> None:
    with pytest.raises(ValueError):
        DEADLINE.due_on(datetime(2026, 12, 1, 10))


# --- the reminder of a missed deadline (ReviewTaskOverdue) ---------------------------------------------

NO_OFFSET = timedelta(0)


def test_no_reminder_while_the_due_day_lasts() -> None:
    case = new_case()  # opened Tuesday 1 December 2026, 10:00 in Beijing: due by the end of Friday the 4th

    assert remind_if_overdue(case, DEADLINE, now=at("2026-12-04 23:59"), offset=NO_OFFSET) is False
    assert case.events == [] and case.current_task.overdue_at is None


def test_a_missed_deadline_is_said_once_per_task() -> None:
    case = new_case()
    monday = at("2026-12-07 09:00")

    assert remind_if_overdue(case, DEADLINE, now=monday, offset=NO_OFFSET) is True
    [event] = case.events
    assert event_types(case) == ["ReviewTaskOverdue"]
    assert (event.level, event.bureau_org_id, event.due_on) == ("county", "fb-150102", date(2026, 12, 4))
    assert case.current_task.overdue_at == monday

    case.events.clear()
    assert remind_if_overdue(case, DEADLINE, now=at("2026-12-08 09:00"), offset=NO_OFFSET) is False
    assert case.events == []


def test_the_next_level_has_a_deadline_of_its_own() -> None:
    case = new_case()
    remind_if_overdue(case, DEADLINE, now=at("2026-12-07 09:00"), offset=NO_OFFSET)
    forward(case, ForwardRequirement(case.ticket_id), by=COUNTY, now=at("2026-12-07 10:00"))
    case.events.clear()

    assert remind_if_overdue(case, DEADLINE, now=at("2026-12-10 23:00"), offset=NO_OFFSET) is False
    assert remind_if_overdue(case, DEADLINE, now=at("2026-12-11 08:00"), offset=NO_OFFSET) is True
    assert case.events[0].level == "city"


def test_a_stack_on_a_business_clock_dates_the_opening_by_its_offset() -> None:
    """Stored openings are real time; a clock started ten days ahead sees the same task ten days older."""
    case = new_case()

    assert remind_if_overdue(case, DEADLINE, now=at("2026-12-11 09:00"), offset=timedelta(days=10)) is False
    assert remind_if_overdue(case, DEADLINE, now=at("2026-12-17 09:00"), offset=timedelta(days=10)) is True


def test_a_case_no_longer_in_review_is_not_reminded() -> None:
    case = new_case()
    reject(case, RejectRequirement(case.ticket_id, "与现有功能重复，请使用指标查询的通用导出功能"), by=COUNTY, now=NOW)
    case.events.clear()

    assert remind_if_overdue(case, DEADLINE, now=at("2026-12-30 09:00"), offset=NO_OFFSET) is False
