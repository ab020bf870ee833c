"""Storage of the problem procedure: problem cases and FAQ entries (rows with their events in the outbox
table) and the region's calendar corrections as review learns them from intake's CalendarDayCorrected.

A case's columns are what the ledger, the desks' queues, the SLA check and the figures filter and sort
on; the whole case is in `doc` (services/review/problems/documents.py). Every change is ONE version-guarded
UPDATE with its outbox rows in one transaction: whoever loses a race gets ConcurrentChange (409) and nothing
is written. Reads go through `Database.fetch*` and take a filter object (ledger.LedgerFilter, ledger.Desk),
so callers never see SQL.
"""

from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import date, datetime
from typing import Any

from asyncpg import Record

from services.review.adapters.jsonb import like_pattern, revive
from services.review.problems.documents import case_from_document, case_state, entry_from_document, entry_state
from services.review.problems.domain import ConcurrentChange, FaqEntry, ProblemCase
from services.review.problems.ledger import Desk, LedgerFilter
from shared.db import Database, affected
from shared.events import Actor, Envelope, utcnow
from shared.outbox import Outbox
from shared.workcalendar import DayOverride, WorkCalendar

# The suggestions for a ticket being written are ranked in Python (bigrams, domain/faq.py) over at most
# this many of the most recently updated entries that share a word with its title.
FAQ_SUGGEST_LIMIT = 2000
# At most this many keywords of a search are matched (each is one trigram-indexed ILIKE).
FAQ_MAX_KEYWORDS = 10
CASE_COLUMNS = "id, doc, sla_next_check_at, created_at, written_at, version"
FAQ_COLUMNS = "id, doc, version"
FAQ_TEXT = "(question || ' ' || answer || ' ' || module)"
# What the SLA figures are worked out from (services/review/problems/figures.py), one column each.
SLA_COUNTERS = (
    "reported",
    "response_met",
    "response_decided",
    "resolution_met",
    "resolution_decided",
    "responded_same_day",
    "responded_same_day_decided",
    "resolved_same_day",
    "resolved_same_day_decided",
    "rated",
    "score_sum",
    "satisfied",
)
# The states an open case's clocks can be in (services/review/problems/sla.py), each counted for the board.
OPEN_STATES = ("on_track", "warning", "paused", "breached")

INSERT_CASE = """
INSERT INTO problem_cases (id, category, status, urgent, org_id, org_path, recorded_by, opened_at, opened_month,
    sla_state, sla_next_check_at, owner_role, owner_org_id, owner_division, doc, created_at, written_at, version)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $16, 1)
ON CONFLICT (id) DO NOTHING
RETURNING true
"""
UPDATE_CASE = """
UPDATE problem_cases SET category = $2, status = $3, urgent = $4, org_id = $5, org_path = $6, recorded_by = $7,
    opened_at = $8, opened_month = $9, sla_state = $10, sla_next_check_at = $11, owner_role = $12,
    owner_org_id = $13, owner_division = $14, doc = $15, written_at = $16, version = version + 1
WHERE id = $1 AND version = $17
"""
INSERT_FAQ = """
INSERT INTO faq_entries (id, category, question, answer, module, updated_at, doc, created_at, version)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 1)
ON CONFLICT (id) DO NOTHING
RETURNING true
"""
UPDATE_FAQ = """
UPDATE faq_entries SET category = $2, question = $3, answer = $4, module = $5, updated_at = $6, doc = $7,
    version = version + 1
WHERE id = $1 AND version = $8
"""
# The month's SLA figures per category (第十一条四): the read model's counters (migration 0003, decision 0018),
# kept by a trigger on problem_cases as cases change. The rows of the areas asked for (the reader's and the
# organisation's) whose path holds both: those of the deeper of the two, so each case counts once.
SLA_COUNTS = """
SELECT category, {sums}
FROM problem_sla_counters
WHERE month = $1 AND area = ANY($2::text[]) AND area_path @> $3::text[]
GROUP BY category
HAVING sum(reported) > 0
ORDER BY category
""".format(sums=", ".join(f"sum({name})::bigint AS {name}" for name in SLA_COUNTERS))
# The counters the SLA check's claimed cases may change, locked in the order the trigger locks them (the
# figures' rows, then the board's): the check saves many cases in one transaction, and without this two
# instances (or an instance and a step taken meanwhile) could each hold a counter the other one waits for.
LOCK_SLA_COUNTERS = """
SELECT 1 FROM problem_sla_counters
WHERE (month, area, category) IN (SELECT * FROM unnest($1::text[], $2::text[], $3::text[]))
ORDER BY month, area, category, area_path
FOR UPDATE
"""
LOCK_OPEN_COUNTERS = """
SELECT 1 FROM problem_open_counters WHERE area = ANY($1::text[]) ORDER BY area, area_path FOR UPDATE
"""
# The SLA board's cards: the open cases of the areas asked for, as SLA_COUNTS picks the rows.
OPEN_COUNTS = """
SELECT {sums}
FROM problem_open_counters
WHERE area = ANY($1::text[]) AND area_path @> $2::text[]
""".format(sums=", ".join(f"coalesce(sum({name}), 0)::bigint AS {name}" for name in ("open", *OPEN_STATES)))


def _case_columns(case: ProblemCase) -> tuple:
    state = case_state(case)
    return (
        case.ticket_id,
        state["category"],
        state["status"],
        state["urgent"],
        state["org_id"],
        state["org_path"],
        state["recorded_by"],
        state["opened_at"],
        state["opened_month"],
        state["sla_state"],
        state["sla_next_check_at"],
        state["owner_role"],
        state["owner_org_id"],
        state["owner_division"],
        state,
    )


def _case_document(row: Record) -> dict[str, Any]:
    """The stored case as readers see it (the SLA check's next time is the column: a calendar correction
    moves it without a new version)."""
    return {
        "_id": row["id"],
        **revive(row["doc"]),
        "sla_next_check_at": row["sla_next_check_at"],
        "created_at": row["created_at"],
        "written_at": row["written_at"],
        "version": row["version"],
    }


class _Where:
    """Conditions and their numbered arguments, built up in order."""

    def __init__(self) -> None:
        self.conditions: list[str] = []
        self.args: list[Any] = []

    def arg(self, value: Any) -> str:
        self.args.append(value)
        return f"${len(self.args)}"

    def add(self, condition: str) -> None:
        self.conditions.append(condition)

    def sql(self) -> str:
        return " AND ".join(self.conditions) or "true"


def _ledger_where(filters: LedgerFilter, where: _Where | None = None) -> _Where:
    where = where or _Where()
    if filters.area:
        where.add(f"org_path @> ARRAY[{where.arg(filters.area)}]::text[]")
    if filters.ticket_id:
        where.add(f"id = {where.arg(filters.ticket_id)}")
    if filters.org:
        where.add(f"org_path @> ARRAY[{where.arg(filters.org)}]::text[]")
    for column in ("category", "status", "urgent", "sla_state"):
        value = getattr(filters, column)
        if value is not None:
            where.add(f"{column} = {where.arg(value)}")
    if filters.not_closed:
        where.add("status <> 'closed'")
    return where


def _areas(filters: LedgerFilter) -> list[str]:
    """The reader's area and the organisation asked for: the elements of a case's path a read model counts by."""
    return [area for area in (filters.area, filters.org) if area]


def _desk_condition(desk: Desk, where: _Where) -> str:
    parts = [f"owner_role = ANY({where.arg(list(desk.owner_roles))}::text[])"]
    if desk.owner_division is not None:
        parts.append(f"owner_division = {where.arg(desk.owner_division)}")
    if desk.owner_org_id is not None:
        parts.append(f"owner_org_id = {where.arg(desk.owner_org_id)}")
    if desk.unassigned:
        parts.append("owner_org_id IS NULL")
    if desk.recorded_by is not None:
        parts.append(f"recorded_by = {where.arg(desk.recorded_by)}")
    if desk.org_id is not None:
        parts.append(f"org_id = {where.arg(desk.org_id)}")
    return "(" + " AND ".join(parts) + ")"


class ProblemCaseRepository:
    def __init__(self, db: Database, outbox: Outbox) -> None:
        self._db = db
        self._outbox = outbox

    def atomically(self) -> AbstractAsyncContextManager[Any]:
        """One transaction around several writes (the FAQ entry and the case it came from)."""
        return self._db.transaction()

    async def add(self, case: ProblemCase, *, actor: Actor, cause: Envelope) -> bool:
        """Insert a new case; False when it exists already (the report was delivered before)."""
        async with self._db.transaction() as conn:
            if not await conn.fetchval(INSERT_CASE, *_case_columns(case), utcnow()):
                return False
            await self._outbox.add(conn, case.events, actor=actor, causation=cause)
        case.events.clear()
        case.version = 1
        return True

    async def save(
        self, case: ProblemCase, *, actor: Actor, cause: Envelope | None = None, correlation_id: str | None = None
    ) -> None:
        """Write the case's new state and events if nobody changed it since it was read."""
        async with self._db.transaction() as conn:
            status = await conn.execute(UPDATE_CASE, *_case_columns(case), utcnow(), case.version)
            if affected(status) != 1:
                raise ConcurrentChange(case.ticket_id)
            await self._outbox.add(conn, case.events, actor=actor, causation=cause, correlation_id=correlation_id)
        case.events.clear()
        case.version += 1

    async def get(self, ticket_id: str) -> ProblemCase | None:
        doc = await self.read(ticket_id)
        return case_from_document(doc) if doc else None

    async def read(self, ticket_id: str) -> dict[str, Any] | None:
        row = await self._db.fetchrow(f"SELECT {CASE_COLUMNS} FROM problem_cases WHERE id = $1", ticket_id)
        return _case_document(row) if row else None

    async def ledger(self, filters: LedgerFilter, *, limit: int, skip: int = 0) -> list[dict]:
        """问题解决台账: urgent first (急事急办), newest first."""
        where = _ledger_where(filters)
        sql = (
            f"SELECT {CASE_COLUMNS} FROM problem_cases WHERE {where.sql()}"
            f" ORDER BY urgent DESC, opened_at DESC LIMIT {where.arg(limit)} OFFSET {where.arg(skip)}"
        )
        return [_case_document(row) for row in await self._db.fetch(sql, *where.args)]

    async def queue(self, desks: list[Desk], *, limit: int) -> list[dict]:
        """The open cases of the given desks: urgent first, then the oldest."""
        if not desks:
            return []
        where = _Where()
        where.add("(" + " OR ".join(_desk_condition(desk, where) for desk in desks) + ")")
        where.add("owner_role <> 'none'")
        sql = (
            f"SELECT {CASE_COLUMNS} FROM problem_cases WHERE {where.sql()}"
            f" ORDER BY urgent DESC, opened_at LIMIT {where.arg(limit)}"
        )
        return [_case_document(row) for row in await self._db.fetch(sql, *where.args)]

    @asynccontextmanager
    async def claim_due_for_check(self, now: datetime, *, limit: int) -> AsyncIterator[list[ProblemCase]]:
        """Open cases whose clocks have a warning, a breach or a same-day outcome due by `now`, locked for
        the caller's transaction (the check saves them inside it). Rows another instance holds are skipped
        (SKIP LOCKED): two instances never read the same clock at once, so each alert is emitted once; a
        killed instance's transaction ends with its connection and the rows are claimed at the next pass."""
        async with self._db.transaction():
            rows = await self._db.fetch(
                f"SELECT {CASE_COLUMNS} FROM problem_cases"
                " WHERE sla_next_check_at IS NOT NULL AND sla_next_check_at <= $1"
                " ORDER BY sla_next_check_at LIMIT $2 FOR UPDATE SKIP LOCKED",
                now,
                limit,
            )
            cases = [case_from_document(_case_document(row)) for row in rows]
            await self._lock_counters_of(cases)
            yield cases

    async def _lock_counters_of(self, cases: list[ProblemCase]) -> None:
        """Lock, in the trigger's order, the counters of the cases (every area of each, every path to it: a
        superset of what their saves change, since a check changes no month, category or path)."""
        keys = sorted({(case.opened_month, area, case.category) for case in cases for area in ["", *case.org_path]})
        if keys:
            months, areas, categories = (list(column) for column in zip(*keys, strict=True))
            await self._db.fetch(LOCK_SLA_COUNTERS, months, areas, categories)
            await self._db.fetch(LOCK_OPEN_COUNTERS, sorted(set(areas)))

    async def sla_counts(self, filters: LedgerFilter, *, month: str) -> dict[str, dict[str, int]]:
        """Per category, the month's counts of reported cases and of decided and met clocks (SLA figures),
        read from the counters. Only the area and the organisation of `filters` apply (the figures' filters)."""
        areas = _areas(filters)
        rows = await self._db.fetch(SLA_COUNTS, month, areas or [""], areas)
        return {row["category"]: {key: row[key] for key in SLA_COUNTERS} for row in rows}

    async def open_counts(self, filters: LedgerFilter) -> dict[str, int]:
        """The open cases in the area and organisation of `filters` (`open`), and those in each SLA state:
        the SLA board's cards and the total of its pages, read from the counters."""
        areas = _areas(filters)
        row = await self._db.fetchrow(OPEN_COUNTS, areas or [""], areas)
        return dict(row.items())

    async def recheck_open_cases(self, at: datetime) -> None:
        """After a calendar correction every open case's clocks are read again at the next check."""
        await self._db.execute(
            "UPDATE problem_cases SET sla_next_check_at = $1 WHERE sla_next_check_at IS NOT NULL", at
        )


class FaqRepository:
    def __init__(self, db: Database, outbox: Outbox) -> None:
        self._db = db
        self._outbox = outbox

    async def add(self, entry: FaqEntry, *, actor: Actor, correlation_id: str | None = None) -> bool:
        async with self._db.transaction() as conn:
            if not await conn.fetchval(INSERT_FAQ, *self._columns(entry), utcnow()):
                return False
            await self._outbox.add(conn, entry.events, actor=actor, correlation_id=correlation_id)
        entry.events.clear()
        entry.version = 1
        return True

    async def save(self, entry: FaqEntry, *, actor: Actor, correlation_id: str | None = None) -> None:
        async with self._db.transaction() as conn:
            status = await conn.execute(UPDATE_FAQ, *self._columns(entry), entry.version)
            if affected(status) != 1:
                raise ConcurrentChange(entry.id)
            await self._outbox.add(conn, entry.events, actor=actor, correlation_id=correlation_id)
        entry.events.clear()
        entry.version += 1

    async def get(self, entry_id: str) -> FaqEntry | None:
        row = await self._db.fetchrow(f"SELECT {FAQ_COLUMNS} FROM faq_entries WHERE id = $1", entry_id)
        return entry_from_document(self._document(row)) if row else None

    async def search(self, keywords: list[str], *, category: str | None, limit: int) -> list[dict]:
        """Entries holding every keyword in question, answer or module (trigram index); those whose question
        holds more of them first, then the most recently updated."""
        where = _Where()
        if category:
            where.add(f"category = {where.arg(category)}")
        in_question = []
        for keyword in keywords[:FAQ_MAX_KEYWORDS]:
            pattern = where.arg(like_pattern(keyword))
            where.add(f"{FAQ_TEXT} ILIKE {pattern}")
            in_question.append(f"(question ILIKE {pattern})::int")
        rank = f"{' + '.join(in_question)} DESC, " if in_question else ""
        sql = (
            f"SELECT {FAQ_COLUMNS} FROM faq_entries WHERE {where.sql()}"
            f" ORDER BY {rank}updated_at DESC NULLS LAST LIMIT {where.arg(limit)}"
        )
        return [self._public(row) for row in await self._db.fetch(sql, *where.args)]

    async def sharing_words(self, words: set[str]) -> list[dict]:
        """The most recently updated entries (at most FAQ_SUGGEST_LIMIT) holding one of `words`."""
        if not words:
            return []
        rows = await self._db.fetch(
            f"SELECT {FAQ_COLUMNS} FROM faq_entries WHERE {FAQ_TEXT} ILIKE ANY($1::text[])"
            " ORDER BY updated_at DESC NULLS LAST LIMIT $2",
            [like_pattern(word) for word in sorted(words)],
            FAQ_SUGGEST_LIMIT,
        )
        return [self._public(row) for row in rows]

    @staticmethod
    def _columns(entry: FaqEntry) -> tuple:
        state = entry_state(entry)
        return (entry.id, entry.category, entry.question, entry.answer, entry.module, entry.updated_at, state)

    @staticmethod
    def _document(row: Record) -> dict[str, Any]:
        return {"_id": row["id"], **revive(row["doc"]), "version": row["version"]}

    @classmethod
    def _public(cls, row: Record) -> dict[str, Any]:
        """What a search answers of an entry (as the API listed it before: no publisher's id, no version)."""
        doc = cls._document(row)
        return {key: doc.get(key) for key in PUBLIC_FAQ_FIELDS}


PUBLIC_FAQ_FIELDS = ("_id", "question", "answer", "category", "module", "links", "source_ticket_id", "revision",
                     "updated_at")  # fmt: skip


class CalendarCorrections:
    """The region's corrections of the official calendar (adjusted workdays for a year chinese_calendar
    does not know yet), so the SLA clocks and the review deadline count the same working days as the
    submission window."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def correct(self, day: str, is_workday: bool | None, note: str) -> None:
        await self._db.execute(
            "INSERT INTO calendar_corrections (day, is_workday, note) VALUES ($1, $2, $3)"
            " ON CONFLICT (day) DO UPDATE SET is_workday = EXCLUDED.is_workday, note = EXCLUDED.note",
            date.fromisoformat(day),
            is_workday,
            note,
        )

    async def current(self) -> WorkCalendar:
        rows = await self._db.fetch(
            "SELECT day, is_workday, note FROM calendar_corrections WHERE is_workday IS NOT NULL ORDER BY day"
        )
        return WorkCalendar(DayOverride(row["day"], row["is_workday"], row["note"]) for row in rows)
