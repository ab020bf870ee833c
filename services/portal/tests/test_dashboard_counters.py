"""The dashboard's counters (migration 0008, decision 0017) against a real PostgreSQL database (no services):
they follow the ticket rows whatever order the events came in and however often, never go negative, equal
a recount (`dashboard_rebuild()`) and give the figures `dashboard.figures` computes from the tickets
themselves, for each reader's area; concurrent writes moving counters in opposite directions do not
deadlock."""

import asyncio
import random
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from services.portal.adapters import TicketViews
from services.portal.dashboard import DashboardQuery, figures, shaped
from services.portal.handlers import dashboard_figures, when_ticket_event_record_timeline
from services.portal.milestones import TicketFacts
from shared.auth import Principal
from shared.clock import FixedClock
from shared.db import Database
from shared.events import Actor, Envelope

pytestmark = pytest.mark.e2e
T0 = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)
TODAY = date(2026, 12, 10)
PATHS = [
    ["150000", "150100", "150102", "bu-150102-01"],
    ["150000", "150100", "150102", "bu-150102-02"],
    ["150000", "150100", "150103", "bu-150103-01"],
    ["150000", "150200", "bu-150200-01"],
    ["150000", "bu-150000-01"],
]
MILESTONES = ["submitted", "reported", "review_completed", "refined", "confirmed", "dispatched", "delivered",
              "verification_requested", "verified", "released", "closed"]  # fmt: skip
STATUSES = ["in_review", "returned", "refining", "confirming", "adopted", "declined", "dispatched", "released"]
TABLES = {
    "dashboard_counts": ("area, month, kind, dimension, value", "count"),
    "dashboard_stages": ("area, month, kind, stage, bucket", "count, seconds"),
    "dashboard_vendors": ("area, month, kind, vendor, state, planned", "count"),
}


@pytest.fixture
async def views(portal_db: Database) -> TicketViews:
    """The read model on empty tables (TRUNCATE tickets empties the counters too)."""
    await portal_db.execute("TRUNCATE tickets, timeline")
    assert await counters(portal_db) == {}
    return TicketViews(portal_db)


async def counters(db: Database) -> dict[tuple, tuple]:
    """Every non-zero counter, keyed by table and key; asserts that none is negative."""
    found = {}
    for table, (key, values) in TABLES.items():
        for row in await db.fetch(f"SELECT {key}, {values} FROM {table}"):
            assert row["count"] >= 0, dict(row)
            if row["count"]:
                found[(table, *tuple(row.values())[: len(key.split(","))])] = tuple(row.values())[len(key.split(",")) :]
    return found


async def assert_equal_to_a_recount(db: Database) -> None:
    incremental = await counters(db)
    bounds = {tuple(row[:5]): (row[5], row[6]) for row in await db.fetch(_BOUNDS)}
    await db.execute("SELECT dashboard_rebuild()")
    assert await counters(db) == incremental
    # A bucket's bounds after removals still bound what it holds.
    for row in await db.fetch(_BOUNDS):
        shortest, longest = bounds[tuple(row[:5])]
        assert shortest <= row[5] and longest >= row[6]


_BOUNDS = "SELECT area, month, kind, stage, bucket, shortest, longest FROM dashboard_stages WHERE count > 0"


def event(event_type: str, minutes: float, subject: str = "REQ-1", **data) -> Envelope:
    return Envelope(
        type=event_type,
        source="/tests",
        subject=subject,
        time=T0 + timedelta(minutes=minutes),
        dataschema="t",
        correlationid="c",
        actor=Actor(user_id="u-x"),
        data=data,
    )


SUBMITTED = {
    "title": "导出", "category": "new", "urgency": "normal", "org_id": "bu-150102-01", "org_name": "教育局",
    "org_path": PATHS[0], "submitter_id": "u-s", "submitter_name": "张敏",
}  # fmt: skip


async def test_counters_follow_a_ticket_back_and_forth_and_events_out_of_order_and_twice(views: TicketViews) -> None:
    record = when_ticket_event_record_timeline
    db = views._db
    review = event("ReviewTaskOpened", 5, level="county", division_code="150102", bureau_org_id="fb-150102")
    returned = event("RequirementReturned", 10, level="county", reason="补充材料")
    resubmitted = event("RequirementSubmitted", 20, round=2, **SUBMITTED)
    # The review task and the return arrive before the submission that opens the ticket.
    for envelope in (review, returned, event("RequirementSubmitted", 0, **SUBMITTED), returned, resubmitted):
        await record(envelope, views=views)
        await assert_equal_to_a_recount(db)
    for minutes in range(30, 40):  # back and forth, each status event once, then all again, late
        await views.move_status("REQ-1", ("in_review", "returned")[minutes % 2], T0 + timedelta(minutes=minutes))
    for minutes in range(30, 40):
        await views.move_status("REQ-1", ("in_review", "returned")[minutes % 2], T0 + timedelta(minutes=minutes))
    await assert_equal_to_a_recount(db)
    result = shaped(await views.dashboard_counters(None, first=None, last=None, kind=None, today=TODAY), QUERY)
    assert (result["total"], result["by_status"], result["by_level"]) == (
        1,
        [{"key": "returned", "count": 1}],
        [{"key": "county", "count": 1}],
    )
    assert result == figures(await views.dashboard_rows(None, kind=None, since=None, limit=10), QUERY, **CALENDAR)


QUERY = DashboardQuery()
CALENDAR = {"offset": timedelta(0), "today": TODAY}


async def random_writes(views: TicketViews, rng: random.Random, tickets: int, writes: int) -> None:
    """Random tickets written as the events would, in any order, some twice, in concurrent tasks."""
    ids = [f"{'PRB' if n % 3 == 0 else 'REQ'}-{n}" for n in range(tickets)]

    async def write(ticket_id: str) -> None:
        at = T0 + timedelta(days=rng.uniform(-40, 20))
        problem = ticket_id.startswith("PRB")
        choice = rng.randrange(6)
        if choice == 0:
            path = rng.choice(PATHS)
            await views.upsert_ticket(
                ticket_id,
                {"kind": "problem" if problem else "requirement", "category": rng.choice(["new", "bug", "report"]),
                 "org_id": path[-1], "org_path": path, "submitted_at": at},
            )  # fmt: skip
        elif choice == 1:
            await views.move_status(ticket_id, rng.choice(STATUSES), at)
        elif choice == 2:
            names = rng.sample(MILESTONES, 3)
            milestones = {name: at + timedelta(hours=rng.choice([0, 1, 1, 30, rng.uniform(0, 500)])) for name in names}
            await views.record_facts(ticket_id, TicketFacts(at=at, milestones=milestones))
        elif choice == 3:
            level = rng.choice(["county", "city", "region"])
            await views.record_facts(ticket_id, TicketFacts(at=at, group="review", current={"review_level": level}))
        elif choice == 4:
            adopted = rng.choice([True, False])
            await views.record_facts(ticket_id, TicketFacts(at=at, group="decision", current={"adopted": adopted}))
        else:
            order = {"work_order_id": "WO", "vendor_id": rng.choice(["vendor-a", "vendor-b"]),
                     "planned_delivery": f"2026-12-{rng.randrange(1, 28):02d}"}  # fmt: skip
            await views.record_facts(ticket_id, TicketFacts(at=at, group="work_order", current=order))

    async def worker(count: int) -> None:
        for _ in range(count):
            await write(rng.choice(ids))

    await asyncio.gather(*(worker(writes // 4) for _ in range(4)))


def without_medians(result: dict[str, Any]) -> dict[str, Any]:
    return {**result, "stages": [{**row, "median_days": None} for row in result["stages"]]}


async def test_the_rebuild_equals_the_incremental_counters_and_the_figures_of_the_tickets(views: TicketViews) -> None:
    await random_writes(views, random.Random(17), tickets=150, writes=1600)
    await assert_equal_to_a_recount(views._db)
    rows = await views.dashboard_rows(None, kind=None, since=None, limit=1000)
    for query in (DashboardQuery(), DashboardQuery("2026-11", "2026-11"), DashboardQuery(None, "2026-11", "problem")):
        for scope in (None, "150100", "150102", "bu-150102-01", "150200"):
            mine = [row for row in rows if scope is None or scope in row.get("org_path", [])]
            expected = figures(mine, query, **CALENDAR)
            counted = await views.dashboard_counters(
                scope, first=query.first, last=query.last, kind=query.kind, today=TODAY
            )
            answer = shaped(counted, query)
            # Medians: from the rebuilt (tight) buckets the same as from the tickets.
            assert answer == expected, (scope, query)
            assert without_medians(answer) == without_medians(expected)


def principal(org_id: str, org_kind: str, org_path: list[str], roles: list[str]) -> Principal:
    division = org_path[-2] if org_kind != "finance_bureau" else org_path[-1]
    return Principal(
        user_id=f"u-{org_id}", username=org_id, name=org_id, org_id=org_id, org_name=org_id, org_kind=org_kind,
        division_code=division, org_path=org_path, roles=roles,
    )  # fmt: skip


async def test_each_reader_counts_only_the_tickets_of_its_area(views: TicketViews) -> None:
    for n, path in enumerate(PATHS):
        await views.upsert_ticket(
            f"REQ-{n}", {"kind": "requirement", "category": "new", "org_path": path, "submitted_at": T0}
        )
    clock = FixedClock(datetime(2026, 12, 10, 2, 0, tzinfo=UTC))

    async def total(reader: Principal) -> int:
        return (await dashboard_figures(QUERY, reader=reader, views=views, clock=clock))["total"]

    county_bureau = principal("fb-150102", "finance_bureau", ["150000", "150100", "150102"], ["reviewer"])
    city_bureau = principal("fb-150100", "finance_bureau", ["150000", "150100"], ["reviewer"])
    unit = principal("bu-150102-02", "budget_unit", PATHS[1], ["submitter"])
    regional = principal("itd", "it_division", ["150000", "itd"], ["it_division"])
    assert (await total(county_bureau), await total(city_bureau), await total(unit), await total(regional)) == (
        2,
        3,
        1,
        5,
    )
    answer = await dashboard_figures(QUERY, reader=unit, views=views, clock=clock)
    assert answer["by_region"] == [{"key": "150100", "count": 1, "name": "呼和浩特市"}] and not answer["truncated"]


async def test_opposite_moves_in_concurrent_transactions_do_not_deadlock(views: TicketViews) -> None:
    db = views._db
    for n in range(2):
        await views.upsert_ticket(f"REQ-{n}", {"kind": "requirement", "org_path": PATHS[0], "submitted_at": T0})

    async def flip(ticket_id: str, statuses: tuple[str, str], levels: tuple[str, str]) -> None:
        """A status and a level each move, in the other order than the other ticket's, in one transaction."""
        for step in range(40):
            async with db.transaction():
                at = T0 + timedelta(seconds=step)
                await views.move_status(ticket_id, statuses[step % 2], at)
                level = {"review_level": levels[step % 2]}
                await views.record_facts(ticket_id, TicketFacts(at=at, group="review", current=level))

    await asyncio.gather(
        flip("REQ-0", ("in_review", "returned"), ("county", "city")),
        flip("REQ-1", ("returned", "in_review"), ("city", "county")),
    )
    await assert_equal_to_a_recount(db)
