"""The review queue of a finance bureau with in-memory cases: due dates on the business clock, overdue
first, filters."""

from datetime import UTC, datetime, timedelta

import pytest

from services.review.queue import QueueFilters, ReviewClock, review_queue
from services.review.tests.factories import COUNTY, ITDIV, new_case
from services.review.tests.fakes import FakeCases
from shared.clock import FixedClock
from shared.errors import Forbidden
from shared.workcalendar import WorkCalendar

NOW = datetime(2026, 12, 8, 2, 0, tzinfo=UTC)  # Tuesday 8 December 2026, 10:00 in Beijing


async def region_calendar() -> WorkCalendar:
    return WorkCalendar()


TIMING = ReviewClock(FixedClock(NOW), region_calendar, working_days=3)


def opened(cases: FakeCases, ticket_id: str, at: datetime, **overrides) -> None:
    cases.put(new_case(ticket_id, **overrides))
    # The clock is fixed while stored instants are real time: shift them by the same offset queue.py applies.
    real = at - (NOW - datetime.now(UTC))
    doc = cases.docs[ticket_id]
    doc["tasks"][-1]["opened_at"] = doc["current_opened_at"] = real


async def queue(cases: FakeCases, **filters) -> list[dict]:
    return await review_queue(COUNTY, repository=cases, timing=TIMING, filters=QueueFilters(**filters), limit=100)


async def test_each_task_shows_its_due_date_and_the_overdue_come_first() -> None:
    cases = FakeCases()
    opened(cases, "REQ-NEW", NOW - timedelta(hours=1))
    opened(cases, "REQ-OLD", NOW - timedelta(days=7))  # Tuesday 1 December: due Friday 4

    tasks = await queue(cases)

    assert [t["_id"] for t in tasks] == ["REQ-OLD", "REQ-NEW"]
    old, new = tasks
    assert (old["overdue"], old["due_on"].isoformat(), old["working_days_left"]) == (True, "2026-12-04", -2)
    assert old["due_at"].isoformat() == "2026-12-04T23:59:59+08:00"
    assert (new["overdue"], new["due_on"].isoformat(), new["working_days_left"]) == (False, "2026-12-11", 3)
    assert new["opened_at"].astimezone(UTC) == pytest.approx(NOW - timedelta(hours=1), abs=timedelta(seconds=5))


async def test_filters_narrow_the_queue() -> None:
    cases = FakeCases()
    opened(cases, "REQ-OLD", NOW - timedelta(days=7), urgency="urgent")
    opened(cases, "REQ-NEW", NOW, title="国库支付增加收款人校验", org_id="bu-150102-02")

    assert [t["_id"] for t in await queue(cases, overdue=True)] == ["REQ-OLD"]
    assert [t["_id"] for t in await queue(cases, overdue=False)] == ["REQ-NEW"]
    assert [t["_id"] for t in await queue(cases, urgency="urgent")] == ["REQ-OLD"]
    assert [t["_id"] for t in await queue(cases, org_id="bu-150102-02")] == ["REQ-NEW"]
    assert [t["_id"] for t in await queue(cases, keyword="收款人")] == ["REQ-NEW"]


async def test_only_reviewers_have_a_queue() -> None:
    with pytest.raises(Forbidden):
        await review_queue(ITDIV, repository=FakeCases(), timing=TIMING, filters=QueueFilters(), limit=10)
