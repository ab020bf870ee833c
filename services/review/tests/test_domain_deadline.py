"""The review deadline (the region's rule, decision 0009): N working days after the task's opening day, on
the official calendar with adjusted workdays (调休) and the region's corrections."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from services.review.domain import ReviewDeadline
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
