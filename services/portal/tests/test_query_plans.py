"""Every list, lookup, search and counter query of the portal uses an index: run against tables seeded
with 100,000+ rows (tickets, timeline lines, audit entries, refresh tokens; 20,000 users and
organisations), each query is EXPLAINed first (shared.plans) and none reads a large table sequentially."""

import random
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta

import asyncpg
import pytest

from infra.launcher import Stack
from services.portal.adapters import Directory, RefreshTokens, SignInGuard, TicketViews
from services.portal.adapters.tickets import MILESTONES
from services.portal.domain import LockoutPolicy
from shared.audit import AuditLog
from shared.plans import PlanCheckingDatabase
from shared.ratelimit import Limit, RateLimiter
from tests.databases import scratch_database

pytestmark = pytest.mark.e2e

TICKETS = 120_000
TIMELINE_PER_TICKET = 2
AUDIT_ENTRIES = 120_000
USERS = ORGANISATIONS = 20_000
REFRESH_TOKENS = 100_000
T0 = datetime(2025, 1, 1, tzinfo=UTC)
CITIES = [f"15{n:02d}00" for n in range(1, 13)]  # 12 leagues/cities
COUNTIES = {city: [f"{city[:4]}{n:02d}" for n in range(1, 11)] for city in CITIES}  # 10 banners/counties each
STATUSES = ["in_review", "returned", "rejected", "refining", "confirming", "adopted", "declined", "dispatched",
            "in_development", "in_testing", "delivered", "verifying", "verified", "released", "reported"]  # fmt: skip
KINDS = ["organisation", "budget_unit", "finance_bureau", "vendor", "business_division", "financial_institution"]
WORDS = ["指标", "导出", "凭证", "打印", "预算", "支付", "报表", "审核", "登录", "工资", "采购", "资产"]


def unit_path(rng: random.Random) -> list[str]:
    city = rng.choice(CITIES)
    county = rng.choice(COUNTIES[city])
    return ["150000", city, county, f"bu-{county}-{rng.randrange(30):02d}"]


def ticket_rows(rng: random.Random) -> list[tuple]:
    rows = []
    for n in range(TICKETS):
        path = unit_path(rng)
        kind = "problem" if n % 3 == 0 else "requirement"
        submitted = T0 + timedelta(minutes=7 * n + rng.randrange(5))
        title = f"{rng.choice(WORDS)}{rng.choice(WORDS)}功能优化 {n}"
        description = f"{rng.choice(WORDS)}模块需要{rng.choice(WORDS)}和{rng.choice(WORDS)}。"
        milestones = [submitted if name == ("reported" if kind == "problem" else "submitted") else None
                      for name in MILESTONES]  # fmt: skip
        rows.append((
            f"{'PRB' if kind == 'problem' else 'REQ'}-{n:07d}", kind, title, description, "new", "normal", path[-1],
            f"单位{n}", path, f"u-{n % 5000}", submitted, rng.choice(STATUSES), submitted, "county", None,
            f"vendor-{'ab'[n % 2]}", "2026-12-20", *milestones, submitted,
        ))  # fmt: skip
    return rows


ACTOR = '{"user_id": "u-x"}'


def audit_row(seq: int, *, subject: str) -> tuple:
    data = f'{{"event_id": "ev-{seq}"}}'
    at = T0 + timedelta(seconds=seq)
    return ("events", seq, f"events:{seq:012d}", at, ACTOR, "RequirementSubmitted", subject, data, "0" * 64, "f" * 64)


def organisation_row(n: int, rng: random.Random) -> tuple:
    division = rng.choice(rng.choice(list(COUNTIES.values())))
    return (f"org-{n:05d}", KINDS[n % len(KINDS)], division, f'{{"id": "org-{n:05d}", "name": "单位{n}"}}')


TICKET_COLUMNS = [
    "id", "kind", "title", "description", "category", "urgency", "org_id", "org_name", "org_path", "submitter_id",
    "submitted_at", "status", "status_at", "review_level", "adopted", "vendor_id", "planned_delivery",
    *(f"m_{name}" for name in MILESTONES), "updated_at",
]  # fmt: skip


async def seed(url: str) -> None:
    rng = random.Random(2026)
    conn = await asyncpg.connect(url)
    try:
        tickets = ticket_rows(rng)
        await conn.copy_records_to_table("tickets", records=tickets, columns=TICKET_COLUMNS)
        await conn.copy_records_to_table(
            "timeline",
            records=[
                (
                    f"e-{t[0]}-{k}",
                    t[0],
                    "RequirementSubmitted",
                    "提交需求",
                    "详情",
                    t[10] + timedelta(hours=k),
                    ACTOR,
                    "/s",
                    "c",
                )
                for t in tickets
                for k in range(TIMELINE_PER_TICKET)
            ],
            columns=["id", "ticket_id", "type", "label", "detail", "at", "actor", "source", "correlation_id"],
        )
        await conn.copy_records_to_table(
            "audit",
            records=[audit_row(seq, subject=tickets[seq % TICKETS][0]) for seq in range(1, AUDIT_ENTRIES + 1)],
            columns=["chain", "seq", "id", "at", "actor", "action", "subject", "data", "prev_hash", "hash"],
        )
        await conn.copy_records_to_table(
            "organisations",
            records=[organisation_row(n, rng) for n in range(ORGANISATIONS)],
            columns=["id", "kind", "division_code", "doc"],
        )
        await conn.copy_records_to_table(
            "users",
            records=[
                (f"u-{n}", f"user{n}", f"用户{n}", '{"id": "itd"}', ["150000", "itd"], ["submitter"], "x")
                for n in range(USERS)
            ],
            columns=["id", "username", "name", "org", "org_path", "roles", "password_hash"],
        )
        await conn.copy_records_to_table(
            "refresh_tokens",
            records=[
                (f"{n:064x}", f"u-{n % USERS}", f"family-{n // 3}", T0 + timedelta(days=7), n % 2 == 0)
                for n in range(REFRESH_TOKENS)
            ],
            columns=["digest", "user_id", "family", "expires_at", "used"],
        )
        await conn.copy_records_to_table(
            "sign_in_failures",
            records=[
                (f"user{n}@10.0.{n % 250}.1", 1 + n % 4, 0, None, T0 + timedelta(seconds=n)) for n in range(30_000)
            ],
            columns=["key", "failures", "locks", "locked_until", "last_failure_at"],
        )
        await conn.copy_records_to_table(
            "rate_limits",
            records=[(f"sign_in:10.0.0.{n % 250}:user{n}:{n}", 1, 1_700_000_000 + n) for n in range(30_000)],
            columns=["counter", "count", "expires"],
        )
        await conn.execute("ANALYZE")
    finally:
        await conn.close()


@pytest.fixture(scope="module")
async def db(stack: Stack) -> AsyncIterator[PlanCheckingDatabase]:
    async with scratch_database(stack.admin_database_url, "portal") as url:
        await seed(url)
        checking = PlanCheckingDatabase(url)
        await checking.connect()
        try:
            yield checking
        finally:
            await checking.close()


def assert_indexed(db: PlanCheckingDatabase, explained_before: int, queries: int) -> None:
    assert len(db.explained) - explained_before >= queries, "every query was explained"
    assert db.seq_scans == []


async def test_ticket_lists_lookups_and_timelines_use_indexes(db: PlanCheckingDatabase) -> None:
    views, before = TicketViews(db), len(db.explained)
    county, unit = COUNTIES["150200"][3], "bu-150203-07"
    newest = await views.tickets_in_area(None, limit=50)
    assert len(newest) == 50 and newest[0]["submitted_at"] >= newest[-1]["submitted_at"]
    assert all(county in t["org_path"] for t in await views.tickets_in_area(county, limit=50))
    await views.tickets_in_area(unit, limit=50)
    await views.tickets_in_area("150200", status="in_review", limit=50, skip=100)
    await views.tickets_in_area(None, status="released", limit=200)
    await views.tickets_in_area(None, kind="problem", limit=50)
    await views.tickets_in_area(county, kind="requirement", status="adopted", limit=50)
    await views.tickets_in_area(None, order="updated", limit=50)
    await views.tickets_in_area(county, ticket_id="REQ-0000001", limit=50)
    assert [t["_id"] for t in await views.tickets_in_area(None, ticket_id="REQ-0000001", limit=50)] == ["REQ-0000001"]
    ticket = await views.ticket("PRB-0000003")
    assert ticket is not None and ticket["milestones"]["reported"] == ticket["submitted_at"]
    assert len(await views.timeline("PRB-0000003")) == TIMELINE_PER_TICKET
    assert_indexed(db, before, 12)


async def test_keyword_search_uses_the_trigram_index(db: PlanCheckingDatabase) -> None:
    views, before = TicketViews(db), len(db.explained)
    assert await views.tickets_in_area(None, keyword="功能优化 11999", limit=50)
    assert await views.tickets_in_area(None, keyword="PRB-00000", limit=50)
    await views.tickets_in_area(COUNTIES["150500"][0], keyword="凭证打印", limit=50)
    await views.tickets_in_area(None, keyword="模块需要支付", status="in_review", limit=50)
    await views.tickets_in_area(None, keyword="导出", limit=50)  # two characters: no whole trigram
    assert_indexed(db, before, 5)


async def test_dashboard_rows_use_indexes(db: PlanCheckingDatabase) -> None:
    views, before = TicketViews(db), len(db.explained)
    await views.dashboard_rows(COUNTIES["150300"][2], kind=None, since=None, limit=50_001)
    await views.dashboard_rows("150300", kind="problem", since=T0 + timedelta(days=300), limit=50_001)
    await views.dashboard_rows(None, kind=None, since=T0 + timedelta(days=600), limit=50_001)
    await views.dashboard_rows(None, kind=None, since=None, limit=50_001)
    assert_indexed(db, before, 3)


async def test_dashboard_counters_use_indexes(db: PlanCheckingDatabase) -> None:
    """The dashboard's reads (decision 0017): the counters of an area by primary key, never the tickets."""
    views, before = TicketViews(db), len(db.explained)
    today = date(2026, 12, 10)
    everything = await views.dashboard_counters(None, first=None, last=None, kind=None, today=today)
    assert sum(count for (dimension, *_), count in everything.counts.items() if dimension == "total") == TICKETS
    await views.dashboard_counters(COUNTIES["150300"][2], first="2025-03", last="2025-08", kind=None, today=today)
    await views.dashboard_counters("150300", first=None, last="2025-06", kind="problem", today=today)
    await views.dashboard_counters("bu-150203-07", first="2025-01", last="2025-12", kind="requirement", today=today)
    assert_indexed(db, before, 12)


async def test_directory_sign_in_and_session_queries_use_indexes(db: PlanCheckingDatabase) -> None:
    directory, sessions, before = Directory(db), RefreshTokens(db), len(db.explained)
    assert (await directory.user_by_username("user123")).id == "u-123"
    assert (await directory.user_by_id("u-456")).username == "user456"
    guard = SignInGuard(db, LockoutPolicy(5, timedelta(minutes=15)))
    assert await guard.locked_until(["user789@10.0.0.1", "user789"], T0) is None
    assert await guard.fail("user789@10.0.0.1", "source", T0 + timedelta(days=1, minutes=1)) is None
    await guard.clear(["user789@10.0.0.1", "user789"])
    assert (await directory.organisation("org-00042")).org["name"] == "单位42"
    await directory.organisations(parent_division=COUNTIES["150100"][1], kind=None)
    await directory.organisations(parent_division=COUNTIES["150100"][1], kind="budget_unit")
    assert len(await directory.organisations(parent_division=None, kind="vendor")) > 3000
    await directory.organisations(parent_division=None, kind=None)
    assert (await sessions.use(f"{5:064x}")) is None  # stored by digest: a raw digest is not a token
    await RateLimiter(db).hit(Limit("sign_in", 20, 60), "10.0.0.1:user1", datetime.now(UTC))
    assert_indexed(db, before, 10)


async def test_audit_trail_queries_use_indexes(db: PlanCheckingDatabase) -> None:
    audit, before = AuditLog(db, "events", key=None), len(db.explained)
    assert await audit.contains_event("ev-4242")
    assert not await audit.contains_event("ev-none")
    assert len(await audit.entries(subject=None, limit=100)) == 100
    assert await audit.entries(subject="REQ-0000001", limit=100)
    assert await audit.head() == (AUDIT_ENTRIES, "f" * 64)
    assert not (await audit.verify()).ok  # the seeded hashes are fake; the point is the page query's plan
    assert_indexed(db, before, 6)
