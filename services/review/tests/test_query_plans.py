"""Every list, queue, lookup, search and claim of review's repositories uses an index over 120,000 review
cases, 120,000 problem cases and 100,000 FAQ entries (decision 0011): each read is EXPLAINed by
PlanCheckingDatabase and fails on a sequential scan of a large table.

The rows are copies, made in SQL, of one real case (or entry) written by the repository, spread over
statuses, divisions, units, categories and months, so every read parses real documents."""

from collections.abc import AsyncIterator, Awaitable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import asyncpg
import pytest

from services.review.adapters import PublicationRepository, ReviewCaseRepository
from services.review.problems.adapters import FaqRepository, ProblemCaseRepository
from services.review.problems.domain import publish_entry
from services.review.problems.ledger import Desk, LedgerFilter
from services.review.problems.tests.factories import opened
from services.review.tests.factories import ITDIV, NOW, new_case
from shared.events import SYSTEM
from shared.outbox import Outbox, OutboxWriter
from shared.plans import PlanCheckingDatabase
from shared.plans import explained as plan_checked
from shared.topics import Topics

OUTBOX = Outbox(OutboxWriter(Topics("test"), source="/fiscaldesk/review"))
ROWS = 120_000
# A county division the copies' spread puts open review tasks in (every 36th copy).
COUNTY = "150101"
FAQ_ROWS = 100_000

COPY_CASES = """
INSERT INTO review_cases (id, status, title, description, category, urgency, org_id, org_path, submitted_month,
    business_division_id, batch_id, current_level, current_division, current_opened_at, current_overdue_at,
    doc, opened_at, updated_at, version)
SELECT 'REQ-' || lpad(n::text, 9, '0'), s.status, t.title || ' ' || n, t.description || ' 第' || n || '号',
    (ARRAY['optimisation', 'new', 'report'])[1 + n % 3], (ARRAY['normal', 'urgent'])[1 + n % 2],
    'bu-' || d.code || '-' || (n % 20),
    ARRAY['150000', left(d.code, 4) || '00', d.code, 'bu-' || d.code || '-' || (n % 20)],
    '2026-' || lpad((1 + n % 12)::text, 2, '0'),
    CASE WHEN s.status = 'awaiting_confirmation' THEN 'bd-' || (n % 8) END,
    NULL, CASE WHEN s.status = 'in_review' THEN 'county' END, CASE WHEN s.status = 'in_review' THEN d.code END,
    CASE WHEN s.status = 'in_review' THEN t.opened_at - n * interval '1 minute' END,
    CASE WHEN s.status = 'in_review' AND n % 3 = 0 THEN t.opened_at END,
    t.doc, t.opened_at - n * interval '1 minute', t.updated_at - n * interval '1 minute', 1
FROM generate_series(1, $1) AS n,
    LATERAL (SELECT (ARRAY['in_review', 'awaiting_refinement', 'awaiting_confirmation', 'confirmed', 'published',
        'rejected'])[1 + n % 6] AS status) AS s,
    LATERAL (SELECT '15' || lpad((1 + n % 12)::text, 2, '0') || lpad((1 + n % 9)::text, 2, '0') AS code) AS d,
    (SELECT * FROM review_cases WHERE id = 'REQ-TEMPLATE') AS t
"""

COPY_PROBLEMS = """
INSERT INTO problem_cases (id, category, status, urgent, org_id, org_path, recorded_by, opened_at, opened_month,
    sla_state, sla_next_check_at, owner_role, owner_org_id, owner_division, created_at, written_at, version, doc)
SELECT 'PRB-' || lpad(n::text, 9, '0'), (ARRAY['bug', 'consulting', 'configuration', 'data_repair'])[1 + n % 4],
    (ARRAY['open', 'in_progress', 'closed'])[1 + n % 3], n % 10 = 0, 'bu-' || d.code || '-' || (n % 20),
    ARRAY['150000', left(d.code, 4) || '00', d.code, 'bu-' || d.code || '-' || (n % 20)],
    CASE WHEN n % 5 = 0 THEN 'u-duty' END, t.opened_at - n * interval '1 minute',
    '2026-' || lpad((1 + n % 12)::text, 2, '0'), (ARRAY['on_time', 'warning', 'breached'])[1 + n % 3],
    CASE WHEN n % 3 <> 2 THEN t.opened_at + n * interval '1 minute' END,
    CASE WHEN n % 3 = 2 THEN 'none' ELSE (ARRAY['reporter', 'county', 'city', 'itdiv', 'vendor'])[1 + n % 5] END,
    CASE WHEN n % 4 = 0 THEN NULL ELSE 'fb-' || d.code END, d.code, t.created_at, t.written_at, 1, t.doc
FROM generate_series(1, $1) AS n,
    LATERAL (SELECT '15' || lpad((1 + n % 12)::text, 2, '0') || lpad((1 + n % 9)::text, 2, '0') AS code) AS d,
    (SELECT * FROM problem_cases WHERE id = 'PRB-TEMPLATE') AS t
"""

COPY_FAQ = """
INSERT INTO faq_entries (id, category, question, answer, module, updated_at, created_at, version, doc)
SELECT 'FAQ-' || lpad(n::text, 9, '0'), (ARRAY['general', 'payment', 'budget'])[1 + n % 3],
    CASE WHEN n % 1000 = 0 THEN t.question ELSE '问题 ' || md5(n::text) END || ' 第' || n || '条',
    CASE WHEN n % 1000 = 0 THEN t.answer ELSE '答复 ' || md5((n + 1)::text) END,
    (ARRAY['指标管理', '支付管理', ''])[1 + n % 3],
    t.updated_at - n * interval '1 minute', t.created_at, 1, t.doc
FROM generate_series(1, $1) AS n, (SELECT * FROM faq_entries WHERE id = 'FAQ-TEMPLATE') AS t
"""


@dataclass
class Repositories:
    db: PlanCheckingDatabase
    cases: ReviewCaseRepository
    publications: PublicationRepository
    problems: ProblemCaseRepository
    faq: FaqRepository


async def seed(url: str) -> None:
    """One real row of each table, written by its repository, then copies of it made by the database."""
    from shared.db import Database

    db = Database(url)
    await db.connect()
    try:
        await ReviewCaseRepository(db, OUTBOX).add(new_case("REQ-TEMPLATE"), actor=SYSTEM, cause=None)
        await ProblemCaseRepository(db, OUTBOX).add(opened("bug", ticket_id="PRB-TEMPLATE"), actor=SYSTEM, cause=None)
        entry = publish_entry(
            "FAQ-TEMPLATE", question="用款计划如何批量导入", answer="在 用款计划 → 批量导入 中下载模板。",
            category="general", module="支付管理", links=[], by=ITDIV, now=NOW,
        )  # fmt: skip
        await FaqRepository(db, OUTBOX).add(entry, actor=ITDIV.actor())
    finally:
        await db.close()
    conn = await asyncpg.connect(url)
    try:
        await conn.execute(COPY_CASES, ROWS)
        # As bench/million.py seeds: the copies without the figures' trigger, then the counters in one pass.
        await conn.execute("ALTER TABLE problem_cases DISABLE TRIGGER problem_sla_counters")
        await conn.execute(COPY_PROBLEMS, ROWS)
        await conn.execute("ALTER TABLE problem_cases ENABLE TRIGGER problem_sla_counters")
        await conn.execute("SELECT problem_sla_counters_rebuild()")
        await conn.execute(COPY_FAQ, FAQ_ROWS)
        await conn.execute("ANALYZE")
    finally:
        await conn.close()


@pytest.fixture(scope="module")
async def checked(review_database_url: str) -> AsyncIterator[Repositories]:
    await seed(review_database_url)
    db = PlanCheckingDatabase(review_database_url, large=10_000)
    await db.connect()
    try:
        yield Repositories(
            db,
            ReviewCaseRepository(db, OUTBOX),
            PublicationRepository(db, OUTBOX),
            ProblemCaseRepository(db, OUTBOX),
            FaqRepository(db, OUTBOX),
        )
    finally:
        await db.close()


async def explained(repositories: Repositories, call: Awaitable[Any]) -> Any:
    return await plan_checked(repositories.db, call)


async def test_a_bureaus_review_queue_with_every_filter_and_keyword_uses_an_index(checked: Repositories) -> None:
    cases = checked.cases
    queue = await explained(checked, cases.open_tasks_for(COUNTY, limit=100))
    # The copies share the template's document: what they differ in is their columns (and their ids).
    assert len(queue) == 100
    assert await explained(checked, cases.open_tasks_for(COUNTY, limit=100, category="optimisation", urgency="normal"))
    org = f"bu-{COUNTY}-0"
    assert await explained(checked, cases.open_tasks_for(COUNTY, limit=50, org_id=org))
    found = await explained(checked, cases.open_tasks_for(COUNTY, limit=20, keyword="第1002"))
    assert found


async def test_a_level_deployments_queue_of_received_tasks_and_its_overdue_claim_use_an_index(
    checked: Repositories, review_database_url: str
) -> None:
    """Decision 0016: every open task received by its level's deployment (a row each, 20,000 of them)."""
    conn = await asyncpg.connect(review_database_url)
    try:
        await conn.execute(
            "INSERT INTO review_level_queue (ticket_id, task_id, level, division_code, received_at)"
            " SELECT id, doc->>'current_task_id', 'county', current_division, current_opened_at FROM review_cases"
            " WHERE status = 'in_review' AND current_division IS NOT NULL ON CONFLICT DO NOTHING"
        )
        await conn.execute("ANALYZE review_level_queue")
    finally:
        await conn.close()
    cases = checked.cases
    queue = await explained(checked, cases.open_tasks_for(COUNTY, limit=100, received_only=True))
    assert len(queue) == 100
    assert await explained(checked, cases.open_tasks_for(COUNTY, limit=20, keyword="第1002", received_only=True))
    assert await explained(checked, cases.received(queue[0]["_id"], queue[0]["current_task_id"]))
    async with checked.cases.claim_overdue(NOW + timedelta(days=1), limit=50, level="county", area="1501") as claimed:
        assert claimed and len(claimed) <= 50
    assert checked.db.seq_scans == []


async def test_lookups_and_the_it_and_business_divisions_queues_use_an_index(checked: Repositories) -> None:
    cases = checked.cases
    assert (await explained(checked, cases.get("REQ-000000007"))).ticket_id == "REQ-000000007"
    assert (await explained(checked, cases.read("REQ-000000008")))["_id"] == "REQ-000000008"
    assert set(await explained(checked, cases.get_many(["REQ-000000001", "REQ-000000002"]))) == {
        "REQ-000000001",
        "REQ-000000002",
    }
    assert await explained(checked, cases.awaiting_refinement(limit=100))
    assert await explained(checked, cases.awaiting_confirmation("bd-2", limit=100))
    assert await explained(checked, cases.publishable(submitted_month="2026-04", limit=100))
    assert await explained(checked, cases.publishable(limit=100))


async def test_the_overdue_and_sla_checks_claim_through_an_index(checked: Repositories) -> None:
    async with checked.cases.claim_overdue(NOW + timedelta(days=1), limit=50) as claimed:
        assert claimed and len(claimed) <= 50
    assert checked.db.seq_scans == []
    async with checked.problems.claim_due_for_check(NOW + timedelta(days=400), limit=50) as due:
        assert due and len(due) <= 50
    assert checked.db.seq_scans == []


async def test_publications_are_read_by_month_and_batch_through_an_index(checked: Repositories) -> None:
    publications = checked.publications
    assert await explained(checked, publications.list_published(month="2026-12", limit=20, skip=0)) == []
    assert await explained(checked, publications.list_published(month=None, limit=20, skip=0)) == []
    assert await explained(checked, publications.read("PUB-2026-12")) is None
    assert await explained(checked, publications.drafts()) == []


async def test_the_problem_ledger_desks_and_figures_use_an_index(checked: Repositories) -> None:
    problems = checked.problems
    for filters in (
        LedgerFilter(),
        LedgerFilter(area=COUNTY),
        LedgerFilter(area="150100", category="bug", not_closed=True),
        LedgerFilter(status="closed", urgent=True),
        LedgerFilter(sla_state="breached"),
        LedgerFilter(ticket_id="PRB-000000010"),
        LedgerFilter(org="bu-150203-3"),
    ):
        await explained(checked, problems.ledger(filters, limit=50, skip=50))
    assert (await explained(checked, problems.get("PRB-000000011"))).ticket_id == "PRB-000000011"
    assert await explained(checked, problems.read("PRB-000000012"))
    desks = [
        Desk(owner_roles=("county",), owner_division=COUNTY),
        Desk(owner_roles=("reporter",), org_id="bu-150102-3"),
        Desk(owner_roles=("reporter",), recorded_by="u-duty"),
        Desk(owner_roles=("itdiv",), unassigned=True),
    ]
    assert await explained(checked, problems.queue(desks, limit=100))
    await explained(checked, problems.sla_counts(LedgerFilter(area="150100"), month="2026-03"))


async def test_the_sla_boards_open_list_counts_and_figures_use_an_index(checked: Repositories) -> None:
    """Decision 0018: a page of the open cases (the region's, an area's), their counts per SLA state, and
    the figures read from the counters (the region, an area, an area and an organisation in it)."""
    problems = checked.problems
    for filters in (LedgerFilter(not_closed=True), LedgerFilter(area=COUNTY, not_closed=True)):
        assert len(await explained(checked, problems.ledger(filters, limit=50))) == 50
        assert await explained(checked, problems.ledger(filters, limit=50, skip=100))
        assert sum((await explained(checked, problems.open_counts(filters))).values()) > 100
    # The copies of month 2026-01 are those of the league/city 150100 (their spread shares `n % 12`).
    for filters in (LedgerFilter(), LedgerFilter(area="150100"), LedgerFilter(area="150100", org=f"bu-{COUNTY}-4")):
        counted = await explained(checked, problems.sla_counts(filters, month="2026-01"))
        assert sum(row["reported"] for row in counted.values()) > 0
    assert checked.db.seq_scans == []


async def test_the_faq_search_and_suggestions_use_the_trigram_index(checked: Repositories) -> None:
    faq = checked.faq
    found = await explained(checked, faq.search(["批量导入", "第12000条"], category=None, limit=20))
    assert found and all("12000" in entry["_id"] for entry in found)
    assert await explained(checked, faq.search(["批量导入"], category="payment", limit=20))
    assert await explained(checked, faq.get("FAQ-000000005"))
    assert await explained(checked, faq.sharing_words({"用款计划", "批量导入"}))
