"""The portal's ticket read model against a real PostgreSQL database (no services): the dashboard's facts
survive redelivered and out-of-order events (services/portal/milestones.py)."""

from datetime import UTC, datetime, timedelta

import pytest

from services.portal import timeline
from services.portal.adapters import TicketViews
from services.portal.handlers import when_ticket_event_record_timeline
from shared.db import Database
from shared.events import Actor, Envelope

pytestmark = pytest.mark.e2e
T0 = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)


@pytest.fixture
async def views(portal_db: Database) -> TicketViews:
    """The read model on empty tables (the database is the module's)."""
    await portal_db.execute("TRUNCATE tickets, timeline")
    return TicketViews(portal_db)


def event(event_type: str, minutes: float, **data) -> Envelope:
    return Envelope(
        type=event_type,
        source="/tests",
        subject="REQ-1",
        time=T0 + timedelta(minutes=minutes),
        dataschema="t",
        correlationid="c",
        actor=Actor(user_id="u-x"),
        data=data,
    )


def review_task(minutes: float, level: str) -> Envelope:
    return event("ReviewTaskOpened", minutes, level=level, division_code="150102", bureau_org_id="fb-150102")


def dispatched(minutes: float, vendor: str, planned: str) -> Envelope:
    data = {"work_order_id": "WO-1", "priority": "P2", "effort_days": 3, "planned_delivery": planned}
    return event("WorkOrderDispatched", minutes, vendor_id=vendor, **data)


def delivered(minutes: float) -> Envelope:
    return event("WorkOrderProgressed", minutes, stage="delivered", work_order_id="WO-1", vendor_id="vendor-a")


async def test_facts_keep_the_first_milestone_and_the_newest_current_fact(views: TicketViews) -> None:
    record = when_ticket_event_record_timeline
    # The city's review task overtakes the county's; the delivery arrives before anything else.
    await record(delivered(90), views=views)
    await record(review_task(10, "city"), views=views)
    await record(review_task(1, "county"), views=views)
    await record(dispatched(60, "vendor-a", "2026-12-20"), views=views)
    await record(dispatched(30, "vendor-b", "2026-12-10"), views=views)  # an older dispatch, late
    later_delivery = delivered(120)
    await record(later_delivery, views=views)
    await record(later_delivery, views=views)  # redelivered

    ticket = await views.ticket("REQ-1")
    assert ticket["review_level"] == "city"
    assert (ticket["vendor_id"], ticket["planned_delivery"]) == ("vendor-a", "2026-12-20")
    assert ticket["milestones"] == {"delivered": T0 + timedelta(minutes=90), "dispatched": T0 + timedelta(minutes=30)}
    rows = await views.dashboard_rows(None, kind=None, since=None, limit=10)
    assert [row["_id"] for row in rows] == ["REQ-1"] and "milestones" in rows[0]


async def test_a_split_opens_each_parts_ticket_once_with_the_originals_submission(views: TicketViews) -> None:
    record = when_ticket_event_record_timeline
    submitted = {
        "title": "导出和打印", "category": "optimisation", "urgency": "normal", "org_id": "bu-1", "org_name": "教育局",
        "org_path": ["150000", "bu-1"], "submitter_id": "u-submitter", "submitter_name": "张敏",
    }  # fmt: skip
    await record(event("RequirementSubmitted", 0, **submitted), views=views)
    await record(event("RequirementReviewCompleted", 20, title="导出和打印", category="optimisation"), views=views)
    items = [
        {"ticket_id": "REQ-1-1", "title": "导出", "description": "按条件导出 Excel。", "module": ""},
        {"ticket_id": "REQ-1-2", "title": "打印", "description": "凭证批量打印功能。", "module": "核算"},
    ]
    split = event("RequirementSplit", 30, parts=["REQ-1-1", "REQ-1-2"], items=items, reason="两件事", **submitted)
    await record(split, views=views)
    await record(split, views=views)  # redelivered

    original = await views.ticket("REQ-1")
    assert original["status"] == "split"
    [entry] = [e for e in await views.timeline("REQ-1") if e["type"] == "RequirementSplit"]
    assert entry["detail"] == "拆分为 REQ-1-1、REQ-1-2"
    for item in items:
        part = await views.ticket(item["ticket_id"])
        assert (part["title"], part["status"], part["split_from"]) == (item["title"], "refining", "REQ-1")
        assert (part["submitter_id"], part["org_path"], part["submitted_at"]) == ("u-submitter", ["150000", "bu-1"], T0)
        assert part["milestones"] == {"submitted": T0, "review_completed": T0 + timedelta(minutes=20)}
        [first] = await views.timeline(item["ticket_id"])
        assert (first["label"], first["detail"]) == ("拆分", f"由 REQ-1 拆分而来：{item['title']}")


def test_every_kind_of_timeline_line_also_reads_in_english() -> None:
    assert set(timeline.ENGLISH) == set(timeline.ENTRIES)
