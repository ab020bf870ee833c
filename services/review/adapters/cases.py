"""The review case repository: one row per requirement in `review_cases`, its events in the outbox table.

The columns are what the queues filter and sort on (the open task's division and opening, the status, the
business division, the month); the whole case is in `doc` (services/review/adapters/documents.py). Every
change is ONE version-guarded UPDATE together with its outbox rows in one transaction: whoever loses a
race gets ConcurrentChange (409) and nothing is written, so no step is ever applied twice or half.
"""

from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import datetime
from typing import Any

from asyncpg import Record

from services.review.adapters.documents import case_from_document, case_state
from services.review.adapters.jsonb import like_pattern, like_prefix, revive
from services.review.domain import ConcurrentChange, ReviewCase, Status
from shared.db import Database, affected
from shared.events import Actor, Envelope, utcnow
from shared.outbox import Outbox

COLUMNS = "id, doc, opened_at, updated_at, version"
INSERT = """
INSERT INTO review_cases (id, status, title, description, category, urgency, org_id, org_path, submitted_month,
    business_division_id, batch_id, current_level, current_division, current_opened_at, current_overdue_at,
    doc, opened_at, updated_at, version)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $17, 1)
ON CONFLICT (id) DO NOTHING
RETURNING true
"""
UPDATE = """
UPDATE review_cases SET status = $2, title = $3, description = $4, category = $5, urgency = $6, org_id = $7,
    org_path = $8, submitted_month = $9, business_division_id = $10, batch_id = $11, current_level = $12,
    current_division = $13, current_opened_at = $14, current_overdue_at = $15, doc = $16, updated_at = $17,
    version = version + 1
WHERE id = $1 AND version = $18
"""
# A level deployment's received task (decision 0016), kept only while it is its case's open task: a task
# received after it was closed (by a deployment serving every level) is not queued.
RECEIVE = """
INSERT INTO review_level_queue (ticket_id, task_id, level, division_code, received_at)
SELECT id, $2, $3, $4, $5 FROM review_cases WHERE id = $1 AND doc->>'current_task_id' = $2
ON CONFLICT DO NOTHING
RETURNING true
"""
# The rows of tasks no longer open leave with the write that closed them.
FORGET_CLOSED = """
DELETE FROM review_level_queue WHERE ticket_id = $1 AND ($2::text IS NULL OR task_id <> $2)
"""
# Filters of a bureau's queue that are exact matches on a column.
QUEUE_FILTERS = ("category", "urgency", "org_id")


def _columns(case: ReviewCase, state: dict[str, Any]) -> tuple:
    return (
        case.ticket_id,
        state["status"],
        state["title"],
        state["description"],
        state["category"],
        state["urgency"],
        state["org_id"],
        state["org_path"],
        state["submitted_month"],
        state["business_division_id"],
        state["batch_id"],
        state["current_level"],
        state["current_division"],
        state["current_opened_at"],
        state["current_overdue_at"],
        state,
    )


def _document(row: Record) -> dict[str, Any]:
    """The stored case as readers see it: its state, when it was opened and last written, its version."""
    return {
        "_id": row["id"],
        **revive(row["doc"]),
        "opened_at": row["opened_at"],
        "updated_at": row["updated_at"],
        "version": row["version"],
    }


def _case(row: Record) -> ReviewCase:
    return case_from_document(_document(row))


class ReviewCaseRepository:
    def __init__(self, db: Database, outbox: Outbox) -> None:
        self._db = db
        self._outbox = outbox

    def atomically(self) -> AbstractAsyncContextManager[Any]:
        """One transaction around several writes (joined by every save inside it)."""
        return self._db.transaction()

    async def add(self, case: ReviewCase, *, actor: Actor, cause: Envelope) -> bool:
        """Insert a new case; False when it already exists (the triggering event was seen before)."""
        async with self._db.transaction() as conn:
            if not await conn.fetchval(INSERT, *_columns(case, case_state(case)), utcnow()):
                return False
            await self._outbox.add(conn, case.events, actor=actor, causation=cause)
        case.version = 1
        case.events.clear()
        return True

    async def save(
        self, case: ReviewCase, *, actor: Actor, cause: Envelope | None = None, correlation_id: str | None = None
    ) -> None:
        """Write the case's new state and events if nobody changed it since it was read."""
        async with self._db.transaction() as conn:
            status = await conn.execute(UPDATE, *_columns(case, case_state(case)), utcnow(), case.version)
            if affected(status) != 1:
                raise ConcurrentChange(case.ticket_id)
            task = case.current_task
            await conn.execute(FORGET_CLOSED, case.ticket_id, task.id if task else None)
            await self._outbox.add(conn, case.events, actor=actor, causation=cause, correlation_id=correlation_id)
        case.version += 1
        case.events.clear()

    async def get(self, ticket_id: str) -> ReviewCase | None:
        row = await self._db.fetchrow(f"SELECT {COLUMNS} FROM review_cases WHERE id = $1", ticket_id)
        return _case(row) if row else None

    async def get_many(self, ticket_ids: list[str]) -> dict[str, ReviewCase]:
        rows = await self._db.fetch(f"SELECT {COLUMNS} FROM review_cases WHERE id = ANY($1::text[])", ticket_ids)
        return {row["id"]: _case(row) for row in rows}

    async def read(self, ticket_id: str) -> dict[str, Any] | None:
        """The stored case as readers see it."""
        row = await self._db.fetchrow(f"SELECT {COLUMNS} FROM review_cases WHERE id = $1", ticket_id)
        return _document(row) if row else None

    async def receive_task(
        self, ticket_id: str, task_id: str, level: str, division_code: str, *, received_at: datetime
    ) -> bool:
        """A level deployment took the task from its level's topic (decision 0016): from now on it is in its
        bureau's queue there. False when it was received before, or is no longer its case's open task."""
        return bool(await self._db.fetchval(RECEIVE, ticket_id, task_id, level, division_code, received_at))

    async def received(self, ticket_id: str, task_id: str) -> bool:
        row = await self._db.fetchval(
            "SELECT true FROM review_level_queue WHERE ticket_id = $1 AND task_id = $2", ticket_id, task_id
        )
        return bool(row)

    @asynccontextmanager
    async def claim_overdue(
        self, opened_before: datetime, *, limit: int, level: str | None = None, area: str = ""
    ) -> AsyncIterator[list[ReviewCase]]:
        """Cases whose open task opened before `opened_before` (real time) and was not reminded yet, locked
        for the caller's transaction: the periodic check reads the deadline of each (a deadline is never
        shorter than its working days) and saves the reminded ones inside it. Rows another instance holds
        are skipped (SKIP LOCKED), so two instances never remind the same task; a killed instance's
        transaction ends with its connection and its rows are claimed again at the next pass. A level
        deployment (decision 0016) claims only its level's and area's tasks."""
        scope, args = "", [opened_before, limit]
        if level is not None:
            args += [level, like_prefix(area)]
            scope = " AND current_level = $3 AND current_division LIKE $4"
        async with self._db.transaction():
            rows = await self._db.fetch(
                f"SELECT {COLUMNS} FROM review_cases"
                " WHERE status = 'in_review' AND current_overdue_at IS NULL AND current_opened_at < $1"
                f"{scope} ORDER BY current_opened_at LIMIT $2 FOR UPDATE SKIP LOCKED",
                *args,
            )
            yield [_case(row) for row in rows]

    async def open_tasks_for(
        self,
        division_code: str,
        *,
        limit: int,
        keyword: str | None = None,
        received_only: bool = False,
        **filters: str | None,
    ) -> list[dict]:
        """The queue of one finance bureau: cases whose current task is at its division, the task opened
        longest ago first (hence the soonest due). `filters` are exact fields (category, urgency, org_id);
        `keyword` is looked for in the id, title and description (trigram indexes). `received_only` (a
        level deployment, decision 0016): only the tasks it has taken from its level's topic."""
        c = "c." if received_only else ""
        conditions, args = [f"{c}current_division = $1"], [division_code]
        for field, value in filters.items():
            if field not in QUEUE_FILTERS:
                raise ValueError(f"no queue filter {field}")
            if value:
                args.append(value)
                conditions.append(f"{c}{field} = ${len(args)}")
        if keyword and keyword.strip():
            args.append(like_pattern(keyword.strip()))
            n = len(args)
            conditions.append(f"({c}id ILIKE ${n} OR {c}title ILIKE ${n} OR {c}description ILIKE ${n})")
        args.append(limit)
        order = f"ORDER BY {c}current_opened_at, {c}opened_at LIMIT ${len(args)}"
        if not received_only:
            return await self._list(f"{' AND '.join(conditions)} {order}", args)
        # The division's received rows drive the join (their index), each case by its primary key.
        rows = await self._db.fetch(
            "SELECT c.id, c.doc, c.opened_at, c.updated_at, c.version"
            " FROM review_level_queue q JOIN review_cases c ON c.id = q.ticket_id"
            " AND c.doc->>'current_task_id' = q.task_id"
            f" WHERE q.division_code = $1 AND {' AND '.join(conditions)} {order}",
            *args,
        )
        return [_document(row) for row in rows]

    async def awaiting_refinement(self, *, limit: int) -> list[dict]:
        """The IT division's refinement queue (第六条二)."""
        return await self._list("status = $1 ORDER BY updated_at LIMIT $2", [Status.AWAITING_REFINEMENT.value, limit])

    async def awaiting_confirmation(self, business_division_id: str, *, limit: int) -> list[dict]:
        """One business division's confirmation queue (第六条三)."""
        return await self._list(
            "status = 'awaiting_confirmation' AND business_division_id = $1 ORDER BY updated_at LIMIT $2",
            [business_division_id, limit],
        )

    async def publishable(self, *, submitted_month: str | None = None, limit: int = 1000) -> list[ReviewCase]:
        """Confirmed and not yet published (第六条四), optionally only those submitted in one month."""
        if submitted_month:
            where, args = "status = $1 AND submitted_month = $2 ORDER BY updated_at LIMIT $3", [submitted_month]
        else:
            where, args = "status = $1 ORDER BY updated_at LIMIT $2", []
        docs = await self._list(where, [Status.CONFIRMED.value, *args, limit])
        return [case_from_document(doc) for doc in docs]

    async def _list(self, where: str, args: list[Any]) -> list[dict]:
        rows = await self._db.fetch(f"SELECT {COLUMNS} FROM review_cases WHERE {where}", *args)
        return [_document(row) for row in rows]
