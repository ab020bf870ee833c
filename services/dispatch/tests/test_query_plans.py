"""Every list, queue, lookup and claim of dispatch's repositories uses an index: none reads a whole table of
100,000+ rows (decision 0011).

A throw-away database is migrated, seeded with COPY (120,000 cases of budget units in every county of the
region, requirements and problems, in every status and work-order stage, dispatched to both vendors over two
years; 30,000 releases naming 120,000 tickets), ANALYZEd, and every read of the repositories is called
through PlanCheckingDatabase, which EXPLAINs it first and records any sequential scan of a large table.
"""

import random
from collections.abc import AsyncIterator, Awaitable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import asyncpg
import pytest

from services.dispatch.adapters.cases import UPDATE
from services.dispatch.domain import VENDOR_IDS, CaseStatus, WorkOrderStatus
from services.dispatch.tests.conftest import Stores, dispatch_stores
from shared.db import dumps
from shared.orgtree import division_path, divisions
from shared.plans import PlanCheckingDatabase, seq_scans
from shared.plans import explained as plan_checked

pytestmark = pytest.mark.e2e

CASES = 120_000
RELEASES = 30_000
REFUSALS = 40_000
START = datetime(2025, 1, 1, tzinfo=UTC)
TODAY = date(2026, 12, 7)
COUNTIES = sorted(code for code, division in divisions().items() if division.level == "county")
UNITS = [(f"bu-{c}-{n:02d}", [*division_path(c), f"bu-{c}-{n:02d}"]) for c in COUNTIES for n in range(20)]
# (case status, the work order's stages it can be at): a realistic mix, most of them done.
STATUSES = [
    (CaseStatus.AWAITING_DISPATCH, [None]),
    (CaseStatus.IN_PROGRESS, ["dispatched", "accepted", "in_development", "in_testing"]),
    (CaseStatus.IN_PROGRESS, ["in_development", "in_testing"]),
    (CaseStatus.AWAITING_VERIFICATION, ["delivered"]),
    (CaseStatus.AWAITING_PATCH, ["delivered"]),
    (CaseStatus.VERIFIED, ["verified"]),
    *[(CaseStatus.RELEASED, ["verified"])] * 4,
]
CASE_COLUMNS = [
    *("ticket_id", "kind", "status", "urgency", "submitter_id", "org_path", "adopted_at", "work_order_id"),
    *("vendor_id", "work_order_status", "planned_delivery", "dispatched_at", "overdue_reported", "release_id"),
    *("doc", "history", "version", "created_at", "updated_at"),
]
SUBMITTER = f"u-{UNITS[0][0]}-0"


def case_rows(rng: random.Random) -> list[tuple]:
    rows = []
    for n in range(CASES):
        unit, path = rng.choice(UNITS)
        status, stages = rng.choice(STATUSES)
        stage = rng.choice(stages)
        kind = "problem" if n % 4 == 0 else "requirement"
        ticket_id = f"{'PRB' if kind == 'problem' else 'REQ'}-{n:07d}"
        adopted = START + timedelta(minutes=rng.randrange(2 * 365 * 24 * 60))
        dispatched = adopted + timedelta(days=rng.randrange(1, 20)) if stage else None
        delivery = (dispatched + timedelta(days=rng.randrange(5, 90))).date() if dispatched else None
        order = {
            "number": 1,
            "priority": rng.choice(["P1", "P2", "P3", "P4"]),
            "effort_days": 10.0,
            "planned_start": dispatched.date().isoformat() if dispatched else None,
            "urgent": n % 9 == 0,
            "delivered_version": "v1.0.0" if stage in ("delivered", "verified") else None,
            "reopen_count": 0,
        }
        doc = {
            "title": f"指标查询增加导出功能 {n}",
            "description": "在指标查询界面增加按条件导出 Excel 的功能。",
            "category": "optimisation",
            "business_division_id": "bd-budget",
            "expected_upgrade": None,
            "problem_round": 1 if kind == "problem" else 0,
            "work_order": order if stage else None,
        }
        history = [
            {"action": "adopted", "actor": {"user_id": "u", "name": "冯涛"}, "at": adopted.isoformat(), "note": ""}
        ]
        rows.append(
            (
                *(ticket_id, kind, status.value, "urgent" if n % 9 == 0 else "normal"),
                *(f"u-{unit}-{rng.randrange(3)}", path, adopted, f"WO-{ticket_id}-1" if stage else None),
                *(rng.choice(VENDOR_IDS) if stage else None, stage, delivery, dispatched),
                *(stage is not None and delivery < TODAY and rng.random() < 0.5, None),
                *(dumps(doc), dumps(history), rng.randrange(1, 8), adopted, dispatched or adopted),
            )
        )
    return rows


REFUSAL_COLUMNS = [
    *("id", "vendor_id", "refused_at", "topic", "kafka_partition", "kafka_offset", "kafka_key"),
    *("message_id", "message_type", "subject", "code", "reason", "detail"),
]


def refusal_rows(rng: random.Random) -> list[tuple]:
    """Two years of refused reports, most of them one vendor's (a client with a bug refuses many)."""
    rows = []
    for n in range(REFUSALS):
        vendor = VENDOR_IDS[0] if rng.random() < 0.8 else VENDOR_IDS[1]
        topic = f"test.vendor-progress.{vendor}"
        at = START + timedelta(minutes=rng.randrange(2 * 365 * 24 * 60))
        ticket = f"REQ-{rng.randrange(CASES):07d}"
        detail = dumps([{"field": "time", "rule": "value_error", "message": "须带时区"}])
        said = (f"m{n}", "VendorProgressReported", ticket)
        rows.append(
            (f"{topic}@0:{n}", vendor, at, topic, 0, n, ticket, *said, "schema_invalid", "消息不符合格式", detail)
        )
    return rows


async def seed(url: str) -> None:
    rng = random.Random(6)
    # Without the pool's JSON codec (COPY is binary): JSONB values go as their JSON text (shared.db.dumps).
    conn = await asyncpg.connect(url)
    try:
        await conn.copy_records_to_table("dispatch_cases", records=case_rows(rng), columns=CASE_COLUMNS)
        releases, tickets = [], []
        for n in range(RELEASES):
            at = START + timedelta(hours=n)
            names = [f"REQ-{4 * n + k:07d}" for k in range(4)]
            releases.append(
                (f"REL-{n:06d}", f"v{n}", at.date(), f"升级 {n}", "", names, "", "", "", at, dumps({"user_id": "u"}), 1)
            )
            tickets.extend((name, f"REL-{n:06d}") for name in names)
        await conn.copy_records_to_table(
            "releases",
            records=releases,
            columns=[
                *("id", "release_version", "release_date", "title", "notes", "ticket_ids"),
                *("manual_url", "video_url", "report_guide_url", "announced_at", "announced_by", "version"),
            ],
        )
        await conn.copy_records_to_table("release_tickets", records=tickets, columns=["ticket_id", "release_id"])
        await conn.copy_records_to_table("vendor_refusals", records=refusal_rows(rng), columns=REFUSAL_COLUMNS)
        await conn.execute("ANALYZE")
    finally:
        await conn.close()


@pytest.fixture(scope="module")
async def checked(dispatch_database_url: str) -> AsyncIterator[Stores]:
    await seed(dispatch_database_url)
    db = PlanCheckingDatabase(dispatch_database_url, large=10_000)
    await db.connect()
    try:
        yield dispatch_stores(db)
    finally:
        await db.close()


async def explained(stores: Stores, call: Awaitable[Any]) -> Any:
    assert isinstance(stores.db, PlanCheckingDatabase)
    return await plan_checked(stores.db, call)


async def test_the_it_divisions_dispatch_queue_uses_an_index_urgent_first_then_oldest(checked: Stores) -> None:
    for skip in (0, 200):
        page = await explained(checked, checked.cases.awaiting_dispatch(limit=100, skip=skip))
        assert len(page) == 100 and {case.status for case in page} == {CaseStatus.AWAITING_DISPATCH}
        keys = [(case.urgency != "urgent", case.adopted_at) for case in page]
        assert keys == sorted(keys)


@pytest.mark.parametrize("vendor_id", [None, *VENDOR_IDS])
async def test_work_order_lists_of_every_vendor_stage_and_lateness_use_an_index(
    checked: Stores, vendor_id: str | None
) -> None:
    for stage in [None, *(s.value for s in WorkOrderStatus)]:
        for late in (None, True, False):
            for skip in (0, 200):
                page = await explained(
                    checked,
                    checked.cases.work_orders(
                        vendor_id=vendor_id, stage=stage, late=late, today=TODAY, limit=100, skip=skip
                    ),
                )
                orders = [case.work_order for case in page]
                assert all(order is not None for order in orders)
                assert all(vendor_id in (None, order.vendor_id) for order in orders)
                assert all(stage in (None, order.status) for order in orders)
                assert all(late in (None, order.is_overdue(TODAY)) for order in orders)
                dispatched = [order.dispatched_at for order in orders]
                assert dispatched == sorted(dispatched, reverse=True), "newest dispatch first"
    everything = await checked.cases.work_orders(vendor_id=vendor_id, today=TODAY, limit=100, skip=0)
    assert len(everything) == 100


async def test_case_and_work_order_lookups_use_their_keys(checked: Stores) -> None:
    case = await explained(checked, checked.cases.get("REQ-0000041"))
    assert case.ticket_id == "REQ-0000041"
    assert await explained(checked, checked.cases.get("REQ-nowhere")) is None
    many = await explained(checked, checked.cases.get_many(["REQ-0000041", "REQ-0000042", "REQ-nowhere"]))
    assert set(many) == {"REQ-0000041", "REQ-0000042"}
    ticket_with_order = next(
        c.ticket_id
        for c in (await checked.cases.get_many([f"REQ-{n:07d}" for n in range(1, 40)])).values()
        if c.work_order
    )
    found = await explained(checked, checked.cases.by_work_order(f"WO-{ticket_with_order}-1"))
    assert found.ticket_id == ticket_with_order
    assert await explained(checked, checked.cases.by_work_order("WO-nowhere")) is None


async def test_a_requesters_verifications_use_an_index(checked: Stores) -> None:
    found = await explained(checked, checked.cases.awaiting_verification_by(SUBMITTER))
    assert {case.submitter_id for case in found} <= {SUBMITTER}
    assert {case.status for case in found} <= {CaseStatus.AWAITING_VERIFICATION}


async def test_the_overdue_checks_claim_uses_an_index_and_takes_only_late_unreported_open_cases(
    checked: Stores,
) -> None:
    claimed = await explained(checked, checked.cases.claim_overdue_candidates(TODAY, limit=50))
    assert len(claimed) == 50
    for case in claimed:
        assert case.status == CaseStatus.IN_PROGRESS and not case.work_order.overdue_reported
        assert case.work_order.planned_delivery < TODAY
    again = await explained(checked, checked.cases.claim_overdue_candidates(TODAY, limit=50))
    assert not {c.ticket_id for c in again} & {c.ticket_id for c in claimed}, "leased cases are not claimed twice"


async def test_release_lists_and_ticket_lookups_use_an_index(checked: Stores) -> None:
    for skip in (0, 200):
        page = await explained(checked, checked.releases.latest(limit=50, skip=skip))
        announced = [release["announced_at"] for release in page]
        assert len(page) == 50 and announced == sorted(announced, reverse=True)
    found = await explained(checked, checked.releases.released_in(["REQ-0000005", "REQ-0000006", "REQ-x"]))
    assert found == {"REQ-0000005": "REL-000001", "REQ-0000006": "REL-000001"}


@pytest.mark.parametrize("vendor_id", [None, *VENDOR_IDS])
async def test_the_vendor_refusal_lists_use_an_index_newest_first(checked: Stores, vendor_id: str | None) -> None:
    for since in (None, datetime(2026, 6, 1, tzinfo=UTC)):
        for skip in (0, 200):
            page = await explained(
                checked, checked.refusals.latest(vendor_id=vendor_id, since=since, limit=100, skip=skip)
            )
            assert len(page) == 100 and all(vendor_id in (None, row["vendor_id"]) for row in page)
            assert all(since is None or row["refused_at"] > since for row in page)
            keys = [(row["refused_at"], row["id"]) for row in page]
            assert keys == sorted(keys, reverse=True)


async def test_the_version_guarded_update_finds_its_row_by_the_primary_key(checked: Stores) -> None:
    async with checked.db.connection() as conn:
        args = ("REQ-0000041", 1, *([None] * 14), [])
        plan = (await conn.fetchval(f"EXPLAIN (FORMAT JSON) {UPDATE}", *args))[0]["Plan"]
    assert seq_scans(plan) == []
