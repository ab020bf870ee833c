"""Intake's stores on its PostgreSQL database (decision 0011). A state change and its events commit in one
transaction (the outbox table); every change after the first is an UPDATE guarded by the version the
aggregate was read at (optimistic concurrency: a lost race is a 409, never a silent overwrite).

Rows keep the columns lists filter and sort on; the rest of a ticket is in its JSONB `doc`. Reads give
the documents the API has always answered (`_id`, `submitter`, `org`, …).
"""

import time
from collections.abc import Awaitable, Callable
from datetime import date, datetime
from typing import Any, TypeVar

import asyncpg

from services.intake.domain import Channel, Requirement, RequirementForm, Status, Submitter
from services.intake.problems import Problem
from shared.auth import Principal
from shared.db import Database, affected
from shared.errors import DomainError
from shared.events import Actor, Envelope, Event
from shared.logs import get_logger
from shared.outbox import Outbox, inserting_rows

FORM_FIELDS = (
    "category",
    "title",
    "description",
    "business_scenario",
    "expected_effect",
    "urgency",
    "module",
    "local_justification",
)

log = get_logger(__name__)


class ConcurrentChange(DomainError):
    status_code = 409

    def __init__(self) -> None:
        super().__init__("concurrent_change", "该需求刚被他人修改，请刷新后重试 (changed meanwhile; reload and retry)")


class TicketIdTaken(Exception):
    """A new ticket's random id is already another ticket's: nothing was stored; build it again (add_new)."""


# A new ticket's id is its month and 32 random bits (REQ-202612-1A2B3C4D): in a month of 100,000 submissions
# about one id drawn is one already taken (the birthday bound), so adding a ticket draws again, a few times.
NEW_ID_ATTEMPTS = 5


Ticket = TypeVar("Ticket", Requirement, Problem)
Added = TypeVar("Added")


async def add_new(build: Callable[[], Ticket], add: Callable[[Ticket], Awaitable[Added]]) -> tuple[Ticket, Added]:
    """Build a new ticket and add it; while its random id is taken, build it again with a fresh one. Never
    answer with the id of another's ticket, nor store nothing under it (what an ignored conflict did)."""
    for attempt in range(1, NEW_ID_ATTEMPTS + 1):
        ticket = build()
        try:
            return ticket, await add(ticket)
        except TicketIdTaken:
            log.warning("new ticket id taken, drawing another", ticket_id=ticket.id, attempt=attempt)
    raise TicketIdTaken(f"no free ticket id in {NEW_ID_ATTEMPTS} draws")


def _raise_if_id_taken(error: asyncpg.UniqueViolationError, primary_key: str) -> None:
    if error.constraint_name == primary_key:
        raise TicketIdTaken(primary_key) from error


class _Where:
    """WHERE conditions with their numbered arguments, built by intent (`area`, `equals`)."""

    def __init__(self) -> None:
        self.conditions: list[str] = []
        self.args: list[Any] = []

    def add(self, condition: str, *values: Any) -> None:
        numbers = [f"${len(self.args) + i + 1}" for i in range(len(values))]
        self.conditions.append(condition.format(*numbers))
        self.args.extend(values)

    def area(self, principal: Principal) -> None:
        """Tickets in the principal's area (Principal.covers), on the GIN-indexed org_path."""
        if (scope := principal.area_scope()) is not None:
            self.add("org_path @> ARRAY[{}]::text[]", scope)

    def sql(self) -> str:
        return " AND ".join(self.conditions) or "true"

    def page(self, limit: int, skip: int) -> str:
        self.args.extend([limit, skip])
        return f"LIMIT ${len(self.args) - 1} OFFSET ${len(self.args)}"


def _fields(row: asyncpg.Record, *names: str) -> dict[str, Any]:
    return {name: row[name] for name in names}


def _time(value: datetime | str) -> datetime:
    """A history entry's time: a datetime when just recorded, its ISO string once read back from JSONB."""
    return value if isinstance(value, datetime) else datetime.fromisoformat(value)


class RequirementRepository:
    def __init__(self, db: Database, outbox: Outbox) -> None:
        self._db = db
        self._outbox = outbox

    async def add(
        self, requirement: Requirement, *, actor: Actor, correlation_id: str, import_key: str | None = None
    ) -> bool:
        """Insert a new requirement; False when its spreadsheet import key already exists, TicketIdTaken (and
        nothing stored) when its id does."""
        entries = self._outbox.entries(requirement.events, actor=actor, correlation_id=correlation_id)
        try:
            inserted = await self._db.fetchval(
                "WITH added AS ("
                " INSERT INTO requirements (id, status, submitter_id, org_path, submitted_at, updated_at,"
                " import_key, doc, version) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 1)"
                " ON CONFLICT (import_key) DO NOTHING RETURNING true"
                f"), events AS ({inserting_rows('$9', when='EXISTS (SELECT FROM added)')})"
                " SELECT EXISTS (SELECT FROM added)",
                requirement.id,
                requirement.status.value,
                requirement.submitter.user_id,
                requirement.submitter.org_path,
                requirement.created_at,
                self._updated_at(requirement),
                import_key,
                self._doc(requirement),
                entries,
            )
        except asyncpg.UniqueViolationError as error:
            _raise_if_id_taken(error, "requirements_pkey")
            raise
        if not inserted:
            return False
        requirement.version = 1
        requirement.events.clear()
        return True

    async def save(
        self,
        requirement: Requirement,
        *,
        actor: Actor,
        correlation_id: str | None = None,
        cause: Envelope | None = None,
    ) -> None:
        """Write the requirement's new state and events; ConcurrentChange when it changed since it was read."""
        async with self._db.transaction() as conn:
            status = await conn.execute(
                "UPDATE requirements SET status = $3, updated_at = $4, doc = $5, version = version + 1"
                " WHERE id = $1 AND version = $2",
                requirement.id,
                requirement.version,
                requirement.status.value,
                self._updated_at(requirement),
                self._doc(requirement),
            )
            if affected(status) != 1:
                raise ConcurrentChange()
            await self._outbox.add(
                conn, requirement.events, actor=actor, correlation_id=correlation_id, causation=cause
            )
        requirement.version += 1
        requirement.events.clear()

    async def count_drafts(self, submitter_id: str) -> int:
        """The author's drafts (requirements_submitter index: one user's requirements at most)."""
        return await self._db.fetchval(
            "SELECT count(*) FROM requirements WHERE submitter_id = $1 AND status = 'draft'", submitter_id
        )

    async def delete_draft(self, requirement_id: str, version: int) -> bool:
        """Delete a draft (as read at `version`) and its files; False when it changed meanwhile."""
        async with self._db.transaction() as conn:
            status = await conn.execute(
                "DELETE FROM requirements WHERE id = $1 AND version = $2 AND status = 'draft'", requirement_id, version
            )
            if affected(status) != 1:
                return False
            await conn.execute("DELETE FROM attachment_files WHERE requirement_id = $1", requirement_id)
        return True

    async def get(self, requirement_id: str) -> Requirement | None:
        row = await self._db.fetchrow(f"SELECT {_REQUIREMENT_COLUMNS} FROM requirements WHERE id = $1", requirement_id)
        return _requirement(row) if row else None

    async def read(self, requirement_id: str) -> dict[str, Any] | None:
        row = await self._db.fetchrow(f"SELECT {_REQUIREMENT_COLUMNS} FROM requirements WHERE id = $1", requirement_id)
        return _requirement_doc(row) if row else None

    async def list_in_area(
        self, principal: Principal, *, status: str | None, mine: bool, limit: int, skip: int
    ) -> list[dict[str, Any]]:
        """Requirements in the principal's area, newest first; a draft is listed to its author alone."""
        where = _Where()
        where.area(principal)
        if status:
            where.add("status = {}", status)
        if mine or status == Status.DRAFT:
            where.add("submitter_id = {}", principal.user_id)
        elif not status:
            where.add("status <> 'draft'")
        page = where.page(limit, skip)
        rows = await self._db.fetch(
            f"SELECT {_REQUIREMENT_COLUMNS} FROM requirements WHERE {where.sql()} ORDER BY submitted_at DESC {page}",
            *where.args,
        )
        return [_requirement_doc(row) for row in rows]

    @staticmethod
    def _updated_at(requirement: Requirement) -> datetime:
        return _time(requirement.history[-1]["at"]) if requirement.history else requirement.created_at

    @staticmethod
    def _doc(requirement: Requirement) -> dict[str, Any]:
        form, submitter = requirement.form, requirement.submitter
        return {
            **{name: str(getattr(form, name)) for name in FORM_FIELDS},
            "channel": requirement.channel.value,
            "round": requirement.round,
            "recorded_by": requirement.recorded_by,
            "submitter_name": submitter.name,
            "org_id": submitter.org_id,
            "org_name": submitter.org_name,
            "history": requirement.history,
        }


_REQUIREMENT_COLUMNS = (
    "id, status, submitter_id, org_path, submitted_at, updated_at, import_key, attachments, doc, version"
)


def _requirement(row: asyncpg.Record) -> Requirement:
    doc = row["doc"]
    return Requirement(
        id=row["id"],
        form=RequirementForm(**{name: doc[name] for name in FORM_FIELDS}),
        submitter=Submitter(
            row["submitter_id"], doc["submitter_name"], doc["org_id"], doc["org_name"], row["org_path"]
        ),
        channel=Channel(doc["channel"]),
        created_at=row["submitted_at"],
        status=Status(row["status"]),
        round=doc["round"],
        recorded_by=doc["recorded_by"],
        version=row["version"],
        history=doc["history"],
    )


def _requirement_doc(row: asyncpg.Record) -> dict[str, Any]:
    """The requirement as the API shows it."""
    doc = row["doc"]
    return {
        "_id": row["id"],
        "kind": "requirement",
        **{name: doc[name] for name in FORM_FIELDS},
        "channel": doc["channel"],
        "status": row["status"],
        "round": doc["round"],
        "recorded_by": doc["recorded_by"],
        "submitter": {"id": row["submitter_id"], "name": doc["submitter_name"]},
        "org": {"id": doc["org_id"], "name": doc["org_name"], "path": row["org_path"]},
        "history": doc["history"],
        "updated_at": row["updated_at"],
        "submitted_at": row["submitted_at"],
        "version": row["version"],
        "import_key": row["import_key"] or f"id:{row['id']}",
        "attachments": row["attachments"],
    }


class CalendarStore:
    """The region's corrections of the official calendar and the extra windows it opened (第五条).

    Every submission checks the window, so with `cache_seconds` the two reads are kept that long: a change
    made through this store is seen at once (it empties the cache), one made through another instance
    within `cache_seconds` (FD_WINDOW_CACHE_SECONDS, 1 s by default; 0 reads every time). The region opens
    and corrects days ahead of time, so a second is far below what the procedure can notice."""

    def __init__(self, db: Database, outbox: Outbox, *, cache_seconds: float = 0.0) -> None:
        self._db = db
        self._outbox = outbox
        self._cache_seconds = cache_seconds
        self._overrides: dict[date, tuple[float, list[dict[str, Any]]]] = {}
        self._windows: tuple[float, datetime, list[dict[str, Any]]] | None = None

    def _fresh(self, read_at: float) -> bool:
        return time.monotonic() - read_at < self._cache_seconds

    def _forget(self) -> None:
        self._overrides, self._windows = {}, None

    async def overrides(self, since: date) -> list[dict[str, Any]]:
        """Corrections in force from `since` on (a withdrawn one keeps its row with is_workday NULL, for the
        record, and is not listed)."""
        kept = self._overrides.get(since)
        if kept and self._fresh(kept[0]):
            return kept[1]
        read_at = time.monotonic()
        listed = await self._read_overrides(since)
        if self._cache_seconds > 0:
            self._overrides = {since: (read_at, listed)}
        return listed

    async def _read_overrides(self, since: date) -> list[dict[str, Any]]:
        rows = await self._db.fetch(
            "SELECT day, is_workday, note, by, at FROM calendar_overrides"
            " WHERE is_workday IS NOT NULL AND day >= $1 ORDER BY day",
            since,
        )
        return [{"_id": row["day"].isoformat(), **_fields(row, "is_workday", "note", "by", "at")} for row in rows]

    async def set_override(
        self, day: str, state: dict[str, Any], events: list[Event], actor: Actor, correlation_id: str
    ) -> None:
        """Set (or, with is_workday None, withdraw) a correction; its event commits with it."""
        async with self._db.transaction() as conn:
            await conn.execute(
                "INSERT INTO calendar_overrides (day, is_workday, note, by, at) VALUES ($1, $2, $3, $4, $5)"
                " ON CONFLICT (day) DO UPDATE SET is_workday = EXCLUDED.is_workday, note = EXCLUDED.note,"
                " by = EXCLUDED.by, at = EXCLUDED.at",
                date.fromisoformat(day),
                state["is_workday"],
                state["note"],
                state["by"],
                state["at"],
            )
            await self._outbox.add(conn, events, actor=actor, correlation_id=correlation_id)
        self._forget()

    async def extra_windows(self, open_after: datetime) -> list[dict[str, Any]]:
        """The extra windows not closed at `open_after` (open now or still to come), by opening time."""
        kept = self._windows
        if kept and self._fresh(kept[0]) and kept[1] <= open_after:
            return [window for window in kept[2] if window["closes_at"] > open_after]
        read_at = time.monotonic()
        listed = await self._read_windows(open_after)
        if self._cache_seconds > 0:
            self._windows = (read_at, open_after, listed)
        return listed

    async def _read_windows(self, open_after: datetime) -> list[dict[str, Any]]:
        rows = await self._db.fetch(
            "SELECT id, opens_at, closes_at, reason, by FROM submission_windows WHERE closes_at > $1 ORDER BY opens_at",
            open_after,
        )
        return [{"_id": row["id"], **_fields(row, "opens_at", "closes_at", "reason", "by")} for row in rows]

    async def add_window(self, window: dict[str, Any], events: list[Event], actor: Actor, correlation_id: str) -> None:
        async with self._db.transaction() as conn:
            await conn.execute(
                "INSERT INTO submission_windows (id, opens_at, closes_at, reason, by) VALUES ($1, $2, $3, $4, $5)",
                window["_id"],
                window["opens_at"],
                window["closes_at"],
                window["reason"],
                window["by"],
            )
            await self._outbox.add(conn, events, actor=actor, correlation_id=correlation_id)
        self._forget()


async def _within_daily_quota(conn: Any, uploader: str, size: int, daily_bytes: int) -> bool:
    """Whether `size` more bytes keep the uploader's last 24 hours within `daily_bytes`. An advisory lock on
    the uploader, held to the commit, makes their concurrent uploads count one after another."""
    await conn.execute("SELECT pg_advisory_xact_lock(hashtext('attachments:' || $1))", uploader)
    used = await conn.fetchval(
        "SELECT coalesce(sum(size), 0) FROM attachment_files"
        " WHERE uploaded_by = $1 AND uploaded_at > now() - interval '24 hours'",
        uploader,
    )
    return used + size <= daily_bytes


class AttachmentStore:
    """Attachment bytes in their own table; the requirement keeps only their descriptions."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def add(
        self, requirement_id: str, description: dict[str, Any], content: bytes, limit: int, daily_bytes: int
    ) -> str | None:
        """List the attachment on its requirement and store its bytes; or why not: "ticket_full" when the
        requirement has `limit` already, "quota_reached" when the uploader's last 24 hours would pass
        `daily_bytes`.

        The conditional UPDATE counts and appends in one statement and holds the requirement's row lock
        until the commit, so concurrent uploads cannot take it past `limit`; an advisory lock on the
        uploader makes their concurrent uploads count one after another."""
        async with self._db.transaction() as conn:
            uploader = description["by"]
            if not await _within_daily_quota(conn, uploader, len(content), daily_bytes):
                return "quota_reached"
            listed = await conn.execute(
                "UPDATE requirements SET attachments = attachments || jsonb_build_array($2::jsonb)"
                " WHERE id = $1 AND jsonb_array_length(attachments) < $3",
                requirement_id,
                description,
                limit,
            )
            if affected(listed) != 1:
                return "ticket_full"
            await conn.execute(
                "INSERT INTO attachment_files (id, requirement_id, content, uploaded_by, size)"
                " VALUES ($1, $2, $3, $4, $5)",
                description["id"],
                requirement_id,
                content,
                uploader,
                len(content),
            )
        return None

    async def content(self, attachment_id: str) -> bytes | None:
        return await self._db.fetchval("SELECT content FROM attachment_files WHERE id = $1", attachment_id)

    async def add_to_problem(
        self, problem_id: str, description: dict[str, Any], content: bytes, limit: int, daily_bytes: int
    ) -> str | None:
        """As `add`, for a problem report: listed in the problem's document, at most `limit` of them."""

        async def listed(conn: Any) -> bool:
            done = await conn.execute(
                "UPDATE problems SET doc = jsonb_set(doc, '{attachments}',"
                " coalesce(doc->'attachments', '[]'::jsonb) || jsonb_build_array($2::jsonb))"
                " WHERE id = $1 AND jsonb_array_length(coalesce(doc->'attachments', '[]'::jsonb)) < $3",
                problem_id,
                description,
                limit,
            )
            return affected(done) == 1

        return await self._add_for_ticket(problem_id, "problem", description, content, daily_bytes, listed)

    async def add_to_comments(
        self, ticket_id: str, description: dict[str, Any], content: bytes, limit: int, daily_bytes: int
    ) -> str | None:
        """A file for a comment on the ticket, kept until a comment names it (the portal's); at most `limit`
        per ticket, counted under a lock on the ticket so concurrent uploads cannot pass it."""

        async def listed(conn: Any) -> bool:
            await conn.execute("SELECT pg_advisory_xact_lock(hashtext('comment-files:' || $1))", ticket_id)
            count = await conn.fetchval(
                "SELECT count(*) FROM attachment_files WHERE ticket_id = $1 AND purpose = 'comment'", ticket_id
            )
            return count < limit

        return await self._add_for_ticket(ticket_id, "comment", description, content, daily_bytes, listed)

    async def _add_for_ticket(
        self,
        ticket_id: str,
        purpose: str,
        description: dict[str, Any],
        content: bytes,
        daily_bytes: int,
        listed: Callable[[Any], Awaitable[bool]],
    ) -> str | None:
        async with self._db.transaction() as conn:
            uploader = description["by"]
            if not await _within_daily_quota(conn, uploader, len(content), daily_bytes):
                return "quota_reached"
            if not await listed(conn):
                return "ticket_full"
            await conn.execute(
                "INSERT INTO attachment_files (id, ticket_id, purpose, description, content, uploaded_by, size)"
                " VALUES ($1, $2, $3, $4, $5, $6, $7)",
                description["id"],
                ticket_id,
                purpose,
                description,
                content,
                uploader,
                len(content),
            )
        return None

    async def of_ticket(self, ticket_id: str, attachment_id: str) -> tuple[dict[str, Any], bytes] | None:
        """A file of a problem or a comment on `ticket_id`: its description and bytes (None if not that ticket's)."""
        row = await self._db.fetchrow(
            "SELECT description, content FROM attachment_files WHERE id = $1 AND ticket_id = $2",
            attachment_id,
            ticket_id,
        )
        return (row["description"], row["content"]) if row and row["description"] else None


class ProblemRepository:
    """Problems as reported; the report and its ProblemReported event commit together."""

    def __init__(self, db: Database, outbox: Outbox) -> None:
        self._db = db
        self._outbox = outbox

    async def add(self, problem: Problem, *, actor: Actor, correlation_id: str) -> None:
        form, reporter = problem.form, problem.reporter
        doc = {
            "title": form.title,
            "description": form.description,
            "urgent": form.urgent,
            "module": form.module,
            "details": form.details.model_dump(mode="json"),
            "channel": problem.channel,
            "status": "reported",
            "submitter": {"id": reporter.user_id, "name": reporter.name},
            "org": {"id": reporter.org_id, "name": reporter.org_name, "kind": reporter.org_kind},
            "caller": problem.caller.model_dump() if problem.caller else None,
        }
        entries = self._outbox.entries(problem.events, actor=actor, correlation_id=correlation_id)
        try:
            await self._db.execute(
                "WITH added AS ("
                " INSERT INTO problems (id, category, org_path, recorded_by, reported_at, doc, version)"
                " VALUES ($1, $2, $3, $4, $5, $6, 1) RETURNING true"
                f") {inserting_rows('$7', when='EXISTS (SELECT FROM added)')}",
                problem.id,
                form.category,
                reporter.org_path,
                problem.recorded_by,
                problem.reported_at,
                doc,
                entries,
            )
        except asyncpg.UniqueViolationError as error:
            _raise_if_id_taken(error, "problems_pkey")
            raise
        problem.events.clear()

    async def read(self, problem_id: str) -> dict[str, Any] | None:
        row = await self._db.fetchrow(f"SELECT {_PROBLEM_COLUMNS} FROM problems WHERE id = $1", problem_id)
        return _problem_doc(row) if row else None

    async def list_in_area(self, principal: Principal, *, category: str | None, limit: int, skip: int) -> list[dict]:
        """Problems in the principal's area (of one category when given), newest first."""
        where = _Where()
        where.area(principal)
        if category:
            where.add("category = {}", category)
        page = where.page(limit, skip)
        rows = await self._db.fetch(
            f"SELECT {_PROBLEM_COLUMNS} FROM problems WHERE {where.sql()} ORDER BY reported_at DESC {page}",
            *where.args,
        )
        return [_problem_doc(row) for row in rows]


_PROBLEM_COLUMNS = "id, category, org_path, recorded_by, reported_at, doc, version"


def _problem_doc(row: asyncpg.Record) -> dict[str, Any]:
    """The problem as the API shows it."""
    doc = row["doc"]
    return {
        "_id": row["id"],
        "kind": "problem",
        "category": row["category"],
        **{k: doc[k] for k in ("title", "description", "urgent", "module", "details", "channel", "status")},
        "submitter": doc["submitter"],
        "org": {**doc["org"], "path": row["org_path"]},
        "recorded_by": row["recorded_by"],
        "caller": doc["caller"],
        "attachments": doc.get("attachments", []),
        "reported_at": row["reported_at"],
        "version": row["version"],
    }
