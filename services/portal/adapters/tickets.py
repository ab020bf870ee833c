"""The read model built from every service's events: a row per ticket (its own fields, status, current
facts and milestones) and its timeline. Events of one ticket come from several topics, out of order and
perhaps twice, so every write is one idempotent statement: a milestone keeps its earliest time (LEAST),
a status or a group of current facts yields only to an event at least as new as the one that set it
(services/portal/milestones.py, timeline.py). A ticket's row may be created by whichever event comes first.
"""

from datetime import date, datetime
from typing import Any, Literal

from services.portal.dashboard import Counters
from services.portal.milestones import TicketFacts
from shared.db import Database
from shared.orgtree import REGION_CODE

# The fields an opening event (submission, report, split) gives a ticket.
OPENED_FIELDS = (
    "kind", "title", "description", "category", "urgency", "org_id", "org_name", "org_path", "submitter_id",
    "channel", "submitted_at", "split_from",
)  # fmt: skip
# The milestones of the procedure, each a column m_<name> (the migration lists the same names).
MILESTONES = (
    "submitted", "reported", "review_completed", "refined", "confirmed", "published", "dispatched",
    "delivered", "verification_requested", "verified", "released", "closed",
)  # fmt: skip
# A group of current facts → the column keeping the time of the event that set it, and its fields.
FACT_GROUPS = {
    "review": ("review_at", ("review_level",)),
    "decision": ("decision_at", ("adopted",)),
    "work_order": ("work_order_at", ("work_order_id", "vendor_id", "planned_delivery")),
}
# What a ticket reads as (the API's shape: `_id`, the fields that are set, `milestones`).
SHOWN = (
    "kind", "title", "category", "urgency", "org_id", "org_name", "org_path", "submitter_id", "channel",
    "submitted_at", "split_from", "status", "status_at", "review_level", "adopted", "work_order_id",
    "vendor_id", "planned_delivery",
)  # fmt: skip
TICKET_COLUMNS = ", ".join(("id", *SHOWN, *(f"m_{name}" for name in MILESTONES)))
TIMELINE_COLUMNS = "id, ticket_id, type, label, detail, at, actor, source, correlation_id, label_en, detail_en"
Order = Literal["submitted", "updated"]
ORDER_BY = {
    "submitted": "submitted_at DESC NULLS LAST, id DESC",
    "updated": "updated_at DESC",
}


class TicketViews:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def record(self, entry: dict[str, Any]) -> None:
        """Add a line to a ticket's timeline; its id is the event's, so a redelivered event adds nothing."""
        await self._db.execute(
            f"INSERT INTO timeline ({TIMELINE_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
            " ON CONFLICT (id) DO NOTHING",
            entry["_id"],
            entry["ticket_id"],
            entry["type"],
            entry["label"],
            entry["detail"],
            entry["at"],
            entry["actor"],
            entry["source"],
            entry.get("correlation_id"),
            entry.get("label_en"),
            entry.get("detail_en"),
        )

    async def upsert_ticket(self, ticket_id: str, fields: dict[str, Any]) -> None:
        """Set a ticket's own fields (from the event that opens it), creating its row if need be."""
        names = _known(fields, OPENED_FIELDS)
        columns = ", ".join(names)
        values = ", ".join(f"${n}" for n in range(2, len(names) + 2))
        updates = ", ".join(f"{name} = EXCLUDED.{name}" for name in names)
        await self._db.execute(
            f"INSERT INTO tickets (id, {columns}) VALUES ($1, {values})"
            f" ON CONFLICT (id) DO UPDATE SET {updates}, updated_at = now()",
            ticket_id,
            *(fields[name] for name in names),
        )

    async def move_status(self, ticket_id: str, status: str, at: datetime) -> None:
        """Take the status only from an event at least as new as the one that set the current one."""
        await self._db.execute(
            "INSERT INTO tickets (id, status, status_at) VALUES ($1, $2, $3)"
            " ON CONFLICT (id) DO UPDATE SET status = EXCLUDED.status, status_at = EXCLUDED.status_at,"
            " updated_at = now() WHERE tickets.status_at IS NULL OR tickets.status_at <= EXCLUDED.status_at",
            ticket_id,
            status,
            at,
        )

    async def record_facts(self, ticket_id: str, facts: TicketFacts) -> None:
        """Milestones keep their first time; current facts only yield to a newer event (milestones.py)."""
        if facts.milestones:
            names = [f"m_{name}" for name in _known(facts.milestones, MILESTONES)]
            values = ", ".join(f"${n}" for n in range(2, len(names) + 2))
            updates = ", ".join(f"{name} = LEAST(tickets.{name}, EXCLUDED.{name})" for name in names)
            await self._db.execute(
                f"INSERT INTO tickets (id, {', '.join(names)}) VALUES ($1, {values})"
                f" ON CONFLICT (id) DO UPDATE SET {updates}, updated_at = now()",
                ticket_id,
                *facts.milestones.values(),
            )
        if facts.group:
            stamp, allowed = FACT_GROUPS[facts.group]
            names = [*_known(facts.current, allowed), stamp]
            values = ", ".join(f"${n}" for n in range(2, len(names) + 2))
            updates = ", ".join(f"{name} = EXCLUDED.{name}" for name in names)
            await self._db.execute(
                f"INSERT INTO tickets (id, {', '.join(names)}) VALUES ($1, {values})"
                f" ON CONFLICT (id) DO UPDATE SET {updates}, updated_at = now()"
                f" WHERE tickets.{stamp} IS NULL OR tickets.{stamp} <= EXCLUDED.{stamp}",
                ticket_id,
                *(facts.current[name] for name in names[:-1]),
                facts.at,
            )

    async def move_desk(self, ticket_id: str, desk: list[dict[str, str]], at: datetime) -> None:
        """Who holds the ticket now (services/portal/desks.py), only from an event at least as new."""
        await self._db.execute(
            "INSERT INTO tickets (id, desk, desk_at) VALUES ($1, $2, $3)"
            " ON CONFLICT (id) DO UPDATE SET desk = EXCLUDED.desk, desk_at = EXCLUDED.desk_at"
            " WHERE tickets.desk_at IS NULL OR tickets.desk_at <= EXCLUDED.desk_at",
            ticket_id,
            desk,
            at,
        )

    async def desk(self, ticket_id: str) -> list[dict[str, str]]:
        return await self._db.fetchval("SELECT desk FROM tickets WHERE id = $1", ticket_id) or []

    async def ticket(self, ticket_id: str) -> dict[str, Any] | None:
        row = await self._db.fetchrow(f"SELECT {TICKET_COLUMNS} FROM tickets WHERE id = $1", ticket_id)
        return _ticket(row) if row else None

    async def timeline(self, ticket_id: str, *, english: bool = False) -> list[dict[str, Any]]:
        """A ticket's history, oldest first, in Chinese or (where the line has it) in English."""
        rows = await self._db.fetch(
            f"SELECT {TIMELINE_COLUMNS} FROM timeline WHERE ticket_id = $1 ORDER BY at, id", ticket_id
        )
        return [_timeline_line(row, english) for row in rows]

    async def tickets_in_area(
        self,
        scope: str | None,
        *,
        status: str | None = None,
        kind: str | None = None,
        ticket_id: str | None = None,
        keyword: str | None = None,
        order: Order = "submitted",
        limit: int,
        skip: int = 0,
    ) -> list[dict[str, Any]]:
        """Tickets whose org_path contains `scope` (Principal.area_scope(); None: all), newest first.

        `keyword` is a substring of the id, title or description (Chinese too), found by the trigram index."""
        where = _Where()
        if scope is not None:
            where.add("org_path @> ARRAY[{}]::text[]", scope)
        if status:
            where.add("status = {}", status)
        if kind:
            where.add("kind = {}", kind)
        if ticket_id:
            where.add("id = {}", ticket_id)
        if keyword:
            where.add("search_text ILIKE {}", f"%{_escape_like(keyword)}%")
        limit_at, skip_at = where.arg(limit), where.arg(skip)
        rows = await self._db.fetch(
            f"SELECT {TICKET_COLUMNS} FROM tickets {where} ORDER BY {ORDER_BY[order]}"
            f" LIMIT {limit_at} OFFSET {skip_at}",
            *where.args,
        )
        return [_ticket(row) for row in rows]

    async def dashboard_rows(
        self, scope: str | None, *, kind: str | None, since: datetime | None, limit: int
    ) -> list[dict[str, Any]]:
        """The tickets of an area, newest first, at most `limit`, as the dashboard's figures read: the documents
        `dashboard.figures` counts from (the tests' recount of the counters; no request reads them)."""
        where = _Where()
        if scope is not None:
            where.add("org_path @> ARRAY[{}]::text[]", scope)
        if kind:
            where.add("kind = {}", kind)
        if since is not None:
            where.add("submitted_at >= {}", since)
        limit_at = where.arg(limit)
        rows = await self._db.fetch(
            f"SELECT {TICKET_COLUMNS} FROM tickets {where} ORDER BY {ORDER_BY['submitted']} LIMIT {limit_at}",
            *where.args,
        )
        return [_ticket(row) for row in rows]

    async def dashboard_counters(
        self, scope: str | None, *, first: str | None, last: str | None, kind: str | None, today: date
    ) -> Counters:
        """The dashboard's counters (migration 0008) of an area (Principal.area_scope(); None: all, the region's
        row set) summed over the months from `first` to `last` and the kind: a few thousand rows at most, by
        primary key. `today` (business calendar) splits the undelivered work orders into overdue and not due."""
        where = _Where()
        where.add("area = {}", scope or REGION_CODE)
        where.add("month >= {}", first or "")
        where.add("month <= {}", last or "9999-12")
        if kind:
            where.add("kind = {}", kind)
        counters = Counters()
        counts = await self._db.fetch(
            "SELECT dimension, value, CASE WHEN dimension = 'total' THEN month END AS month, kind,"
            f" sum(count)::bigint AS count FROM dashboard_counts {where} GROUP BY 1, 2, 3, 4",
            *where.args,
        )
        for row in counts:
            counters.counts[(row["dimension"], row["value"], row["month"], row["kind"])] += row["count"]
        stages = await self._db.fetch(
            "SELECT stage, bucket, sum(count)::bigint AS count, sum(seconds) AS seconds, min(shortest) AS shortest,"
            f" max(longest) AS longest FROM dashboard_stages {where} AND count > 0 GROUP BY stage, bucket",
            *where.args,
        )
        for row in stages:
            counters.add_stage(*row.values())
        today_at = where.arg(today.isoformat())
        vendors = await self._db.fetch(
            "SELECT vendor, CASE WHEN state <> 'undelivered' THEN state"
            f" WHEN planned < {today_at} THEN 'overdue' ELSE 'not_due' END AS state, sum(count)::bigint AS count"
            f" FROM dashboard_vendors {where} GROUP BY 1, 2",
            *where.args,
        )
        for row in vendors:
            counters.vendors[(row["vendor"], row["state"])] += row["count"]
        return counters

    async def rebuild_dashboard(self) -> None:
        """Every dashboard counter again from the tickets, in one grouped pass (migration 0008)."""
        await self._db.execute("SELECT dashboard_rebuild()")


class _Where:
    """A WHERE clause built from fixed conditions and numbered arguments."""

    def __init__(self) -> None:
        self.conditions: list[str] = []
        self.args: list[Any] = []

    def arg(self, value: Any) -> str:
        self.args.append(value)
        return f"${len(self.args)}"

    def add(self, condition: str, value: Any) -> None:
        self.conditions.append(condition.format(self.arg(value)))

    def __str__(self) -> str:
        return f"WHERE {' AND '.join(self.conditions)}" if self.conditions else ""


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _known(fields: dict[str, Any], allowed: tuple[str, ...]) -> list[str]:
    """The names of `fields`, each a column this adapter knows (names become SQL identifiers)."""
    unknown = set(fields) - set(allowed)
    if unknown:
        raise ValueError(f"not a ticket column: {sorted(unknown)}")
    return list(fields)


def _ticket(row: Any) -> dict[str, Any]:
    ticket: dict[str, Any] = {"_id": row["id"]}
    ticket.update({name: row[name] for name in SHOWN if row[name] is not None})
    ticket["milestones"] = {name: row[f"m_{name}"] for name in MILESTONES if row[f"m_{name}"] is not None}
    return ticket


ENGLISH_COLUMNS = ("label_en", "detail_en")


def _timeline_line(row: Any, english: bool) -> dict[str, Any]:
    """A line in the reader's language: the English words where the line has them (older lines do not)."""
    line = {"_id": row["id"], **{key: row[key] for key in row.keys() if key != "id" and key not in ENGLISH_COLUMNS}}
    if english:
        line["label"] = row["label_en"] or row["label"]
        line["detail"] = row["detail_en"] or row["detail"]
    return line
