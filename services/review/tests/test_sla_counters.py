"""The SLA figures' read model (decision 0018): the counters a trigger keeps as problem cases change equal a
recount of the cases (the aggregate `sla_counts` made before), for every area and organisation a reader may
ask for, after reports (one of them delivered twice), responses, closes, ratings and the breaches two SLA
check instances find at once; they never fall below zero, and the one-pass rebuild gives the same rows."""

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta

import asyncpg
import pytest

from services.review.problems.adapters import (
    OPEN_STATES,
    SLA_COUNTERS,
    CalendarCorrections,
    FaqRepository,
    ProblemCaseRepository,
    _areas,
)
from services.review.problems.domain import Step
from services.review.problems.figures import _COUNTERS
from services.review.problems.handlers import ProblemDesk, check_clocks
from services.review.problems.ledger import LedgerFilter
from services.review.problems.tests.factories import BEIJING, NOW, opened, step
from services.review.problems.tests.fakes import MovableClock
from shared.db import Database
from shared.events import SYSTEM
from shared.outbox import Outbox, OutboxWriter
from shared.topics import Topics

OUTBOX = Outbox(OutboxWriter(Topics("test"), source="/fiscaldesk/review"))
OTHER_CITY = ["150000", "150200", "150202", "bu-150202-01"]
SAME_COUNTY = ["150000", "150100", "150102", "bu-150102-02"]
# What sla_counts counted before the read model, over the cases themselves: the oracle.
RECOUNT = """
SELECT category,
    count(*) AS reported,
    count(*) FILTER (WHERE doc->'sla'->>'response_state' = 'met') AS response_met,
    count(*) FILTER (WHERE doc->'sla'->>'response_state' IN ('met', 'breached')) AS response_decided,
    count(*) FILTER (WHERE doc->'sla'->>'resolution_state' = 'met') AS resolution_met,
    count(*) FILTER (WHERE doc->'sla'->>'resolution_state' IN ('met', 'breached')) AS resolution_decided,
    count(*) FILTER (WHERE doc->'sla'->>'responded_same_day' = 'true') AS responded_same_day,
    count(*) FILTER (WHERE doc->'sla'->>'responded_same_day' IS NOT NULL) AS responded_same_day_decided,
    count(*) FILTER (WHERE doc->'sla'->>'resolved_same_day' = 'true') AS resolved_same_day,
    count(*) FILTER (WHERE doc->'sla'->>'resolved_same_day' IS NOT NULL) AS resolved_same_day_decided,
    count(*) FILTER (WHERE doc->'rating'->>'score' IS NOT NULL) AS rated,
    coalesce(sum((doc->'rating'->>'score')::int), 0) AS score_sum,
    count(*) FILTER (WHERE (doc->'rating'->>'score')::int >= 4) AS satisfied
FROM problem_cases
WHERE opened_month = $1 AND org_path @> $2::text[]
GROUP BY category
ORDER BY category
"""
MONTHS = (f"{NOW:%Y-%m}", f"{NOW - timedelta(days=31):%Y-%m}", "2020-01")
# (the reader's area, the organisation asked for): the whole region, a city, a county, a unit, both at once
# (either one deeper), two that do not meet, and one asked for twice.
FILTERS = [
    LedgerFilter(),
    LedgerFilter(area="150100"),
    LedgerFilter(area="150102"),
    LedgerFilter(org="bu-150102-01"),
    LedgerFilter(area="150100", org="150102"),
    LedgerFilter(area="150102", org="150100"),
    LedgerFilter(area="150100", org="bu-150102-02"),
    LedgerFilter(area="150100", org="150200"),
    LedgerFilter(area="150202", org="150202"),
]


@pytest.fixture
async def db(empty_tables: str) -> AsyncIterator[Database]:
    database = Database(empty_tables)
    await database.connect()
    yield database
    await database.close()


@pytest.fixture
async def twin(empty_tables: str) -> AsyncIterator[Database]:
    """The pool of a second instance of the service."""
    database = Database(empty_tables)
    await database.connect()
    yield database
    await database.close()


def desk_of(db: Database, at) -> ProblemDesk:
    return ProblemDesk(ProblemCaseRepository(db, OUTBOX), FaqRepository(db, OUTBOX), CalendarCorrections(db),
                       MovableClock(at))  # fmt: skip


async def recount(db: Database, filters: LedgerFilter, month: str) -> dict[str, dict[str, int]]:
    areas = [area for area in (filters.area, filters.org) if area]
    rows = await db.fetch(RECOUNT, month, areas)
    return {row["category"]: {key: row[key] for key in SLA_COUNTERS} for row in rows}


async def assert_counters_are_a_recount(db: Database) -> None:
    cases = ProblemCaseRepository(db, OUTBOX)
    for month in MONTHS:
        for filters in FILTERS:
            assert await cases.sla_counts(filters, month=month) == await recount(db, filters, month), (month, filters)
    for filters in FILTERS:
        assert await cases.open_counts(filters) == dict(await db.fetchrow(OPEN_RECOUNT, _areas(filters))), filters
    lowest = f"SELECT coalesce(min(least({', '.join(SLA_COUNTERS)})), 0) FROM problem_sla_counters"
    assert await db.fetchval(lowest) >= 0
    lowest = f"SELECT coalesce(min(least({', '.join(('open', *OPEN_STATES))})), 0) FROM problem_open_counters"
    assert await db.fetchval(lowest) >= 0


OPEN_RECOUNT = """
SELECT count(*) AS open, {states} FROM problem_cases WHERE status <> 'closed' AND org_path @> $1::text[]
""".format(states=", ".join(f"count(*) FILTER (WHERE sla_state = '{state}') AS {state}" for state in OPEN_STATES))


async def counter_rows(db: Database) -> list[tuple]:
    rows = await db.fetch("SELECT * FROM problem_sla_counters WHERE reported > 0 ORDER BY month, area, category")
    board = await db.fetch("SELECT * FROM problem_open_counters ORDER BY area, area_path")
    return [tuple(row.values()) for row in [*rows, *board]]


async def report_step_and_breach(db: Database, twin: Database) -> None:
    """Reports in three units, two months and four categories; some answered, closed and rated; the rest
    found past due by two SLA check instances at once (small claims, so each saves several batches)."""
    cases = ProblemCaseRepository(db, OUTBOX)
    paths = [opened("bug").org_path, SAME_COUNTY, OTHER_CITY]
    categories = ["consulting", "consulting", "bug", "configuration", "data_repair"]
    for number in range(30):
        at = NOW - timedelta(days=31) if number % 4 == 3 else NOW + timedelta(minutes=number)
        case = opened(categories[number % 5], ticket_id=f"PRB-{number:02}", at=at, org_path=paths[number % 3],
                      urgent=number % 7 == 0)  # fmt: skip
        assert await cases.add(case, actor=SYSTEM, cause=None)
    again = opened("consulting", ticket_id="PRB-00", org_path=paths[0])
    assert not await cases.add(again, actor=SYSTEM, cause=None)  # a report delivered twice counts once
    await assert_counters_are_a_recount(db)

    for number in range(0, 30, 5):  # consulting: answered; every other one accepted (closed) and rated
        case = await cases.get(f"PRB-{number:02}")
        step(case, Step.ANSWER, now=case.opened_at + timedelta(minutes=30))
        if number % 10 == 0:
            step(case, Step.ACCEPT, now=case.opened_at + timedelta(minutes=40))
            step(case, Step.RATE, now=case.opened_at + timedelta(minutes=50))
        await cases.save(case, actor=SYSTEM)
    for number in range(2, 30, 10):  # bugs: refined (the first response)
        case = await cases.get(f"PRB-{number:02}")
        step(case, Step.REFINE, now=case.opened_at + timedelta(hours=1))
        await cases.save(case, actor=SYSTEM)
    await assert_counters_are_a_recount(db)

    later = NOW + timedelta(days=2)
    checks = [check_clocks(desk=desk_of(pool, later), limit=4) for pool in (db, twin) for _ in range(4)]
    assert sum(await asyncio.gather(*checks)) > 0
    while await check_clocks(desk=desk_of(db, later), limit=50):
        pass


async def test_the_counters_are_a_recount_after_reports_steps_and_breaches_by_two_instances(db, twin) -> None:
    assert SLA_COUNTERS == _COUNTERS
    await report_step_and_breach(db, twin)
    await assert_counters_are_a_recount(db)
    figures = await ProblemCaseRepository(db, OUTBOX).sla_counts(LedgerFilter(area="150100"), month=MONTHS[0])
    assert figures["consulting"]["response_decided"] > figures["consulting"]["response_met"] > 0
    assert figures["consulting"]["rated"] > 0

    await db.execute("DELETE FROM problem_cases WHERE id LIKE 'PRB-1%'")
    await assert_counters_are_a_recount(db)
    await db.execute("DELETE FROM problem_cases")
    assert await db.fetchval(f"SELECT max(greatest({', '.join(SLA_COUNTERS)})) FROM problem_sla_counters") == 0
    assert await db.fetchval("SELECT max(open) FROM problem_open_counters") == 0


async def test_a_counter_never_falls_below_zero(db) -> None:
    await ProblemCaseRepository(db, OUTBOX).add(opened("bug", ticket_id="PRB-1"), actor=SYSTEM, cause=None)
    await db.execute("UPDATE problem_sla_counters SET reported = 0")
    with pytest.raises(asyncpg.CheckViolationError):
        await db.execute("DELETE FROM problem_cases WHERE id = 'PRB-1'")


async def test_the_rebuild_gives_the_counters_the_trigger_kept(db, twin) -> None:
    await report_step_and_breach(db, twin)
    kept = await counter_rows(db)
    assert kept

    assert await db.fetchval("SELECT problem_sla_counters_rebuild()") == await db.fetchval(
        "SELECT count(*) FROM problem_sla_counters"
    )

    assert await counter_rows(db) == kept
    await assert_counters_are_a_recount(db)


async def test_the_board_counts_the_open_cases_of_the_readers_area_per_sla_state(db) -> None:
    cases = ProblemCaseRepository(db, OUTBOX)
    for number, path in enumerate([opened("bug").org_path, SAME_COUNTY, OTHER_CITY]):
        await cases.add(opened("consulting", ticket_id=f"PRB-{number}", org_path=path), actor=SYSTEM, cause=None)
    closed = await cases.get("PRB-0")
    step(closed, Step.ANSWER, now=NOW.astimezone(BEIJING) + timedelta(minutes=5))
    step(closed, Step.ACCEPT, now=NOW.astimezone(BEIJING) + timedelta(minutes=6))
    await cases.save(closed, actor=SYSTEM)
    none = dict.fromkeys(OPEN_STATES, 0)

    assert await cases.open_counts(LedgerFilter()) == {**none, "open": 2, "on_track": 2}
    assert await cases.open_counts(LedgerFilter(area="150100")) == {**none, "open": 1, "on_track": 1}
    assert await cases.open_counts(LedgerFilter(area="150100", org="150200")) == {**none, "open": 0}
