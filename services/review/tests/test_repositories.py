"""Review's repositories against PostgreSQL: guarded writes (one of two racing updates wins, the other is a
409 and writes nothing), claims of the periodic checks by two instances at once (each reminder and each SLA
alert once), the monthly publication's batch ids, the ledger's filters, the SLA figures counted by the
database, the FAQ's keyword search, and the calendar corrections."""

import asyncio
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import timedelta

import asyncpg
import pytest
from alembic import command

from services.review.adapters import PublicationRepository, ReviewCaseRepository
from services.review.domain import (
    ConcurrentChange,
    ForwardRequirement,
    IllegalTransition,
    PublishMonth,
    forward,
    open_review_case,
    remind_if_overdue,
)
from services.review.handlers import remind_overdue_reviews
from services.review.problems.adapters import CalendarCorrections, FaqRepository, ProblemCaseRepository
from services.review.problems.domain import Step, publish_entry
from services.review.problems.figures import figures
from services.review.problems.handlers import ProblemDesk, check_clocks
from services.review.problems.ledger import ledger_query, queue_query
from services.review.problems.tests.factories import BEIJING, opened, step
from services.review.problems.tests.factories import NOW as OPENED
from services.review.problems.tests.fakes import MovableClock
from services.review.publishing import publish_month
from services.review.queue import ReviewClock
from services.review.tests.factories import CITY, COUNTY, ITDIV, NOW, SUBMITTER_USER, confirmed, new_case, submitted
from shared.clock import FixedClock
from shared.db import Database
from shared.events import SYSTEM
from shared.migrate import alembic_config
from shared.outbox import Outbox, OutboxWriter
from shared.topics import Topics
from shared.workcalendar import WorkCalendar

OUTBOX = Outbox(OutboxWriter(Topics("test"), source="/fiscaldesk/review"))


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


async def outbox_types(db: Database) -> list[str]:
    return [row["type"] for row in await db.fetch("SELECT envelope->>'type' AS type FROM outbox ORDER BY position")]


async def test_two_concurrent_guarded_updates_of_one_review_case_give_one_success_and_one_409(db, twin) -> None:
    cases, other = ReviewCaseRepository(db, OUTBOX), ReviewCaseRepository(twin, OUTBOX)
    await cases.add(new_case("REQ-1"), actor=SYSTEM, cause=None)
    first, second = await cases.get("REQ-1"), await other.get("REQ-1")
    forward(first, ForwardRequirement("REQ-1"), by=COUNTY, now=NOW)
    forward(second, ForwardRequirement("REQ-1", "同意"), by=COUNTY, now=NOW)

    results = await asyncio.gather(
        cases.save(first, actor=COUNTY.actor()), other.save(second, actor=COUNTY.actor()), return_exceptions=True
    )

    assert sorted(type(result).__name__ for result in results) == ["ConcurrentChange", "NoneType"]
    [refused] = [result for result in results if isinstance(result, ConcurrentChange)]
    assert refused.status_code == 409
    stored = await cases.read("REQ-1")
    assert (stored["version"], stored["current_level"]) == (2, "city")
    assert (await outbox_types(db)).count("RequirementForwarded") == 1  # the loser's events were not written


async def test_two_concurrent_guarded_updates_of_one_problem_case_give_one_success_and_one_409(db, twin) -> None:
    cases, other = ProblemCaseRepository(db, OUTBOX), ProblemCaseRepository(twin, OUTBOX)
    await cases.add(opened("bug"), actor=SYSTEM, cause=None)
    first, second = await cases.get("PRB-202612-0001"), await other.get("PRB-202612-0001")
    step(first, Step.REFINE, now=first.opened_at)
    step(second, Step.REFINE, now=second.opened_at)

    results = await asyncio.gather(
        cases.save(first, actor=ITDIV.actor()), other.save(second, actor=ITDIV.actor()), return_exceptions=True
    )

    assert sorted(type(result).__name__ for result in results) == ["ConcurrentChange", "NoneType"]
    assert (await cases.read("PRB-202612-0001"))["version"] == 2
    assert (await outbox_types(db)).count("ProblemRefined") == 1


async def test_a_case_is_added_once_however_often_its_event_comes(db) -> None:
    cases = ReviewCaseRepository(db, OUTBOX)

    def opening():
        return open_review_case(submitted("REQ-1"), submitted_month="2026-12", now=NOW)

    assert await cases.add(opening(), actor=SYSTEM, cause=None)
    assert not await cases.add(opening(), actor=SYSTEM, cause=None)
    assert await outbox_types(db) == ["ReviewTaskOpened"]
    stored = await cases.get("REQ-1")
    assert stored.tasks[0].opened_at == NOW and stored.history[0].at == NOW  # datetimes come back as datetimes


async def test_two_instances_checking_for_overdue_reviews_remind_each_task_once(db, twin) -> None:
    cases, other = ReviewCaseRepository(db, OUTBOX), ReviewCaseRepository(twin, OUTBOX)
    for number in range(40):
        await cases.add(new_case(f"REQ-{number:02}"), actor=SYSTEM, cause=None)
    await db.execute("UPDATE review_cases SET current_opened_at = current_opened_at - interval '20 days'")
    await db.execute(  # the open task opened 20 days earlier too, as if the bureau had left it lying
        "UPDATE review_cases SET doc = jsonb_set(doc, '{tasks,0,opened_at}', to_jsonb($1::text))",
        (NOW - timedelta(days=20)).isoformat(),
    )
    timing = ReviewClock(FixedClock(NOW), lambda: _calendar(), working_days=3)

    counts = await asyncio.gather(
        remind_overdue_reviews(repository=cases, timing=timing, limit=25),
        remind_overdue_reviews(repository=other, timing=timing, limit=25),
    )

    assert sum(counts) == 40 and all(counts)  # both instances worked, on different cases
    assert (await outbox_types(db)).count("ReviewTaskOverdue") == 40
    assert await remind_overdue_reviews(repository=cases, timing=timing) == 0  # said once
    case = await cases.get("REQ-00")
    assert case.tasks[-1].overdue_at is not None and not remind_if_overdue(
        case, await timing.deadline(), now=NOW, offset=timedelta(0)
    )


async def _calendar() -> WorkCalendar:
    return WorkCalendar()


async def test_two_instances_reading_the_sla_clocks_announce_each_warning_once(db, twin) -> None:
    opened_at = NOW.astimezone(BEIJING).replace(hour=9, minute=0)
    cases = ProblemCaseRepository(db, OUTBOX)
    for number in range(30):
        await cases.add(opened("consulting", ticket_id=f"PRB-{number:02}", at=opened_at), actor=SYSTEM, cause=None)
    later = opened_at.replace(hour=10, minute=40)  # 1 h 40 min of 2 h: past the 75% warning
    desks = [
        ProblemDesk(ProblemCaseRepository(pool, OUTBOX), FaqRepository(pool, OUTBOX), CalendarCorrections(pool),
                    MovableClock(later))
        for pool in (db, twin)
    ]  # fmt: skip

    counts = await asyncio.gather(*(check_clocks(desk=desk, limit=20) for desk in desks))
    counts = [*counts, *await asyncio.gather(*(check_clocks(desk=desk, limit=20) for desk in desks))]

    assert sum(counts) == 30
    assert (await outbox_types(db)).count("ProblemSlaWarning") == 30


async def test_publishing_a_month_twice_at_once_gives_one_publication_of_both_and_no_requirement_twice(
    db, twin
) -> None:
    cases = ReviewCaseRepository(db, OUTBOX)
    for ticket_id in ("REQ-A", "REQ-B"):
        case = confirmed(ticket_id)
        case.events.clear()
        await cases.add(case, actor=SYSTEM, cause=None)

    async def publish(pool: Database, ticket_id: str):
        return await publish_month(
            PublishMonth("2026-12", (ticket_id,)),
            by=ITDIV,
            cases=ReviewCaseRepository(pool, OUTBOX),
            publications=PublicationRepository(pool, OUTBOX),
            correlation_id="c",
        )

    batches = await asyncio.gather(publish(db, "REQ-A"), publish(twin, "REQ-B"))
    assert {batch["_id"] for batch in batches} == {"PUB-2026-12"}, "the second amends the first (decision 0012)"
    assert sorted(batch["revision"] for batch in batches) == [1, 2]
    with pytest.raises(IllegalTransition) as refused:
        await publish(db, "REQ-A")
    assert refused.value.code == "already_published"
    [listed] = await PublicationRepository(db, OUTBOX).list_published(month="2026-12", limit=10, skip=0)
    assert sorted(entry["ticket_id"] for entry in listed["entries"]) == ["REQ-A", "REQ-B"]
    assert (await outbox_types(db)).count("PublicationPublished") == 2


async def test_the_ledger_lists_the_readers_area_with_its_filters_and_open_means_not_closed(db) -> None:
    cases = ProblemCaseRepository(db, OUTBOX)
    minute = timedelta(minutes=1)
    await cases.add(opened("bug", ticket_id="PRB-1"), actor=SYSTEM, cause=None)
    await cases.add(opened("consulting", ticket_id="PRB-2", urgent=True, at=OPENED + 2 * minute), actor=SYSTEM,
                    cause=None)  # fmt: skip
    other_city = opened(
        "bug", ticket_id="PRB-3", at=OPENED + minute, org_path=["150000", "150200", "150202", "bu-150202-01"]
    )
    await cases.add(other_city, actor=SYSTEM, cause=None)
    closed = await cases.get("PRB-1")
    closed.status = type(closed.status)("closed")
    await cases.save(closed, actor=SYSTEM)

    def ids(rows):
        return [row["_id"] for row in rows]

    assert ids(await cases.ledger(ledger_query(ITDIV), limit=10)) == ["PRB-2", "PRB-3", "PRB-1"]  # urgent first
    assert ids(await cases.ledger(ledger_query(CITY), limit=10)) == ["PRB-2", "PRB-1"]
    assert ids(await cases.ledger(ledger_query(ITDIV, status="open"), limit=10)) == ["PRB-2", "PRB-3"]
    assert ids(await cases.ledger(ledger_query(ITDIV, category="bug", org="150200"), limit=10)) == ["PRB-3"]
    assert ids(await cases.ledger(ledger_query(CITY, ticket_id="PRB-3"), limit=10)) == []
    assert ids(await cases.ledger(ledger_query(ITDIV), limit=1, skip=1)) == ["PRB-3"]
    assert ids(await cases.queue(queue_query(SUBMITTER_USER), limit=10)) == []  # the IT division's turn
    assert ids(await cases.queue(queue_query(ITDIV), limit=10)) == ["PRB-2", "PRB-3"]  # urgent first


async def test_figures_count_decided_outcomes_only(db) -> None:
    cases = ProblemCaseRepository(db, OUTBOX)
    states = [
        ("consulting", {"response_state": "met", "resolution_state": "met", "responded_same_day": True,
                        "resolved_same_day": True}),
        ("consulting", {"response_state": "breached", "resolution_state": "on_track", "responded_same_day": True,
                        "resolved_same_day": None}),
        ("consulting", {"response_state": "on_track", "resolution_state": "on_track", "responded_same_day": None,
                        "resolved_same_day": None}),
        ("bug", {"response_state": "met", "resolution_state": "breached"}),
    ]  # fmt: skip
    for number, (category, sla) in enumerate(states):
        case = opened(category, ticket_id=f"PRB-{number}")
        case.sla = replace(case.sla, **sla)
        await cases.add(case, actor=SYSTEM, cause=None)

    counted = figures(await cases.sla_counts(ledger_query(ITDIV), month=NOW.astimezone(BEIJING).strftime("%Y-%m")))

    consulting = counted["consulting"]
    assert (consulting["reported"], consulting["two_hour_response_rate"]) == (3, 0.5)
    assert (consulting["same_day_response_rate"], consulting["same_day_resolution_rate"]) == (1.0, 1.0)
    assert counted["by_category"]["bug"]["resolution_rate"] == 0.0


async def test_the_faq_search_needs_every_keyword_ranks_question_matches_first_and_escapes_wildcards(db) -> None:
    faq = FaqRepository(db, OUTBOX)
    entries = [
        ("F1", "如何查询直达资金支付进度", "在 支付管理 → 直达资金 → 支付进度查询 中查看。", "支付管理"),
        ("F2", "预算指标如何导出 Excel", "在指标查询界面点击导出按钮。", "指标管理"),
        ("F3", "三保标识填错了怎么办", "提交数据修复问题，经盟市审核后由自治区统一修正。", "指标管理"),
        ("F4", "100%_完成率怎么看", "在统计页面查看。", ""),
    ]
    for minutes, (entry_id, question, answer, module) in enumerate(entries):
        entry = publish_entry(entry_id, question=question, answer=answer, category="general", module=module,
                              links=[], by=ITDIV, now=NOW + timedelta(minutes=minutes))  # fmt: skip
        await faq.add(entry, actor=ITDIV.actor())

    async def found(*keywords: str) -> list[str]:
        return [entry["_id"] for entry in await faq.search(list(keywords), category=None, limit=10)]

    assert await found("指标", "导出") == ["F2"]
    assert await found("指标") == ["F2", "F3"]  # in F2's question, only in F3's module
    assert await found("excel") == ["F2"]
    assert await found("不存在的词") == []
    assert await found("%") == ["F4"] and await found("_") == ["F4"] and await found(".*") == []
    assert await found() == ["F4", "F3", "F2", "F1"]  # no keyword: the newest first
    assert [entry["_id"] for entry in await faq.sharing_words({"直达", "资金"})] == ["F1"]


async def test_a_calendar_correction_is_kept_and_a_withdrawn_one_no_longer_counts(db) -> None:
    calendar = CalendarCorrections(db)
    await calendar.correct("2027-01-04", False, "示例")
    await calendar.correct("2027-01-09", True, "调休")
    await calendar.correct("2027-01-09", None, "撤销")
    current = await calendar.current()
    assert not current.is_workday(NOW.date().replace(year=2027, month=1, day=4))
    assert not current.is_workday(NOW.date().replace(year=2027, month=1, day=9))  # a Saturday again


async def test_every_migration_runs_down_and_up_again(empty_tables: str) -> None:
    config = alembic_config("review", empty_tables)
    await asyncio.to_thread(command.downgrade, config, "base")
    conn = await asyncpg.connect(empty_tables)
    try:
        assert await conn.fetchval("SELECT to_regclass('review_cases')") is None
    finally:
        await conn.close()
    await asyncio.to_thread(command.upgrade, config, "head")
