"""Notify's stores on PostgreSQL: the in-app inbox, announcements and the durable delivery queue
(decision 0011; tables in migrations/0001_initial.py).

Every read goes through `Database.fetch*`, so a consumer's writes join its transaction (shared.inbox) and
the plan test sees every query. A delivery's outcome and the events it produces (NotificationDelivered,
a dead letter) are written in one transaction, so an event goes out exactly when the delivery is recorded.
"""

from datetime import datetime
from typing import Any

import asyncpg

from services.notify.announcements import Announcement
from shared.auth import Principal
from shared.db import Database
from shared.outbox import INSERT_OUTBOX

DELIVERY_COLUMNS = (
    "id", "event_id", "recipient", "channel", "message_key", "ticket_id", "state", "attempts", "created_at",
    "next_attempt_at", "reason", "scheme_version", "sent_at",
)  # fmt: skip
# What a finished attempt may set besides its state (the worker's keyword arguments to `finish`).
OUTCOME_COLUMNS = {"next_attempt_at", "last_error", "reason", "sent_at"}
HIDDEN = {"doc", "claimable_at"}
DELIVERIES_CHANGED = "fiscaldesk_deliveries"


def delivery_view(row: asyncpg.Record) -> dict[str, Any]:
    """A delivery row as the worker, the channels and the API see it (the id as `_id`, the doc's fields)."""
    view = {("_id" if key == "id" else key): value for key, value in row.items() if key not in HIDDEN}
    view.update(row["doc"])
    return view


def public_delivery(row: asyncpg.Record) -> dict[str, Any]:
    view = delivery_view(row)
    view.pop("lease_token", None)
    return view


class NotificationRepository:
    """The in-app inbox as its readers see it (the inbox channel writes it). A notification is addressed to
    a recipient key (a user, or a role at an organisation); each user's reading is a row of their own."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def add(self, notification: dict[str, Any]) -> bool:
        """Store a notification once (its id is its delivery's); False when it was there already."""
        columns = {"id", "recipient", "message_key", "ticket_id", "created_at"}
        doc = {k: v for k, v in notification.items() if k not in columns}
        return bool(
            await self._db.fetchval(
                "INSERT INTO notifications (id, recipient, message_key, ticket_id, created_at, doc)"
                " VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (id) DO NOTHING RETURNING true",
                notification["id"],
                notification["recipient"],
                notification["message_key"],
                notification["ticket_id"],
                notification["created_at"],
                doc,
            )
        )

    async def inbox(self, recipients: list[str], user_id: str, *, unread_only: bool, limit: int) -> list[dict]:
        """Newest first across the user's recipient keys: at most `limit` rows of each key's index range.
        Each comes with its ticket's title and whether it is read (by the user, or by 全部已读) or done."""
        unread = f"AND n.created_at > m.read_until AND NOT {_read('$2')} AND NOT {_done('$4')}"
        rows = await self._db.fetch(
            f"""
            WITH m AS ({_MARK})
            SELECT mine.*, t.title AS ticket_title,
                   mine.created_at <= (SELECT read_until FROM m) OR EXISTS (
                       SELECT 1 FROM notification_reads r WHERE r.user_id = $2 AND r.notification_id = mine.id
                   ) AS read,
                   mine.doc->>'category' = ANY($4::text[]) AND t.moved_on_at > mine.created_at AS done
            FROM unnest($1::text[]) AS addressed(recipient)
            CROSS JOIN LATERAL (
                SELECT n.* FROM notifications n CROSS JOIN m
                LEFT JOIN inbox_tickets t ON t.ticket_id = n.ticket_id
                WHERE n.recipient = addressed.recipient {unread if unread_only else ""}
                ORDER BY n.created_at DESC LIMIT $3
            ) AS mine
            LEFT JOIN inbox_tickets t ON t.ticket_id = mine.ticket_id
            ORDER BY mine.created_at DESC, mine.id LIMIT $3
            """,
            recipients,
            user_id,
            limit,
            list(TASK_CATEGORIES),
        )
        return [self._public(row) for row in rows]

    async def get(self, notification_id: str, recipients: list[str], user_id: str) -> dict | None:
        row = await self._db.fetchrow(
            f"""
            WITH m AS ({_MARK.replace("$2", "$3")})
            SELECT n.*, t.title AS ticket_title,
                   n.created_at <= (SELECT read_until FROM m) OR EXISTS (
                       SELECT 1 FROM notification_reads r WHERE r.user_id = $3 AND r.notification_id = n.id
                   ) AS read,
                   n.doc->>'category' = ANY($4::text[]) AND t.moved_on_at > n.created_at AS done
            FROM notifications n LEFT JOIN inbox_tickets t ON t.ticket_id = n.ticket_id
            WHERE n.id = $1 AND n.recipient = ANY($2::text[])
            """,
            notification_id,
            recipients,
            user_id,
            list(TASK_CATEGORIES),
        )
        return self._public(row) if row else None

    @staticmethod
    def _public(row: asyncpg.Record) -> dict:
        return {
            "_id": row["id"],
            "message_key": row["message_key"],
            "ticket_id": row["ticket_id"],
            "ticket_title": row["ticket_title"],
            "recipient": row["recipient"],
            "created_at": row["created_at"],
            **row["doc"],
            "read": row["read"],
            "done": bool(row["done"]),
        }

    async def unread_count(self, recipients: list[str], user_id: str) -> int:
        """The user's notifications neither read nor done, up to UNREAD_CAP (the badge says 99+ beyond):
        the recipient index from the user's 全部已读 mark on, never the whole of a role's history."""
        return await self._db.fetchval(
            f"""
            WITH m AS ({_MARK})
            SELECT count(*) FROM (
                SELECT 1 FROM notifications n CROSS JOIN m
                LEFT JOIN inbox_tickets t ON t.ticket_id = n.ticket_id
                WHERE n.recipient = ANY($1::text[]) AND n.created_at > m.read_until
                  AND NOT {_read("$2")} AND NOT {_done("$3")}
                LIMIT {UNREAD_CAP}
            ) AS unread
            """,
            recipients,
            user_id,
            list(TASK_CATEGORIES),
        )

    async def mark_read(self, notification_id: str, recipients: list[str], user_id: str) -> bool:
        """Record that the user read it (once however often they ask); False when it is not theirs."""
        return bool(
            await self._db.fetchval(
                """
                WITH mine AS (SELECT id FROM notifications WHERE id = $1 AND recipient = ANY($2::text[])),
                marked AS (
                    INSERT INTO notification_reads (user_id, notification_id) SELECT $3, id FROM mine
                    ON CONFLICT DO NOTHING
                )
                SELECT count(*) FROM mine
                """,
                notification_id,
                recipients,
                user_id,
            )
        )

    async def mark_ticket_read(self, ticket_id: str, recipients: list[str], user_id: str) -> int:
        """The user opened the ticket: its notifications to them are read (the ticket's index range)."""
        return await self._db.fetchval(
            """
            WITH marked AS (
                INSERT INTO notification_reads (user_id, notification_id)
                SELECT $3, id FROM notifications WHERE ticket_id = $1 AND recipient = ANY($2::text[])
                ON CONFLICT DO NOTHING RETURNING 1
            )
            SELECT count(*) FROM marked
            """,
            ticket_id,
            recipients,
            user_id,
        )

    async def mark_all_read(self, user_id: str, until: datetime) -> None:
        """全部已读: one row per user, whatever the number of notifications."""
        await self._db.fetchval(
            "INSERT INTO inbox_marks (user_id, read_until) VALUES ($1, $2) ON CONFLICT (user_id)"
            " DO UPDATE SET read_until = greatest(inbox_marks.read_until, excluded.read_until) RETURNING true",
            user_id,
            until,
        )

    async def ticket_moved_on(self, ticket_id: str, title: str | None, at: datetime) -> None:
        """A step of the ticket was handled at `at`: its task notifications from before are done. The title is
        kept from the first event that carries it (later events of the ticket name it by id only)."""
        await self._db.fetchval(
            """
            INSERT INTO inbox_tickets (ticket_id, title, moved_on_at) VALUES ($1, $2, $3)
            ON CONFLICT (ticket_id) DO UPDATE SET
                title = coalesce(excluded.title, inbox_tickets.title),
                moved_on_at = greatest(inbox_tickets.moved_on_at, excluded.moved_on_at)
            RETURNING true
            """,
            ticket_id,
            title,
            at,
        )


# A notification that asks someone to act is done once the ticket has moved on from the step it asked for.
TASK_CATEGORIES = ("review", "work_order", "verification", "problem", "sla")
UNREAD_CAP = 100
_MARK = "SELECT coalesce((SELECT read_until FROM inbox_marks WHERE user_id = $2), '-infinity') AS read_until"


def _read(user: str) -> str:
    return f"EXISTS (SELECT 1 FROM notification_reads r WHERE r.user_id = {user} AND r.notification_id = n.id)"


def _done(categories: str) -> str:
    return f"coalesce(n.doc->>'category' = ANY({categories}::text[]) AND t.moved_on_at > n.created_at, false)"


ANNOUNCEMENT_COLUMNS = """id, kind, title, body, links, published_at, visible_from, visible_until, pinned, created_by,
    audience_division_prefixes, audience_org_ids, audience_roles, audience_everywhere, audience_any_role"""
ANNOUNCEMENT_VIEW = f"SELECT {ANNOUNCEMENT_COLUMNS} FROM announcements"


class AnnouncementRepository:
    """System announcements (通知公告); an id from an event makes a redelivery add nothing."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def add(self, announcement: Announcement) -> bool:
        audience = announcement.audience.to_doc()
        return bool(
            await self._db.fetchval(
                """
                INSERT INTO announcements (
                    id, kind, title, body, links, published_at, visible_from, visible_until, pinned, created_by,
                    audience_division_prefixes, audience_org_ids, audience_roles, audience_everywhere,
                    audience_any_role
                ) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
                ON CONFLICT (id) DO UPDATE SET
                    title = excluded.title, body = excluded.body, links = excluded.links,
                    published_at = excluded.published_at
                WHERE announcements.kind = 'publication' AND announcements.body IS DISTINCT FROM excluded.body
                RETURNING true
                """,
                announcement.id,
                announcement.kind,
                announcement.title,
                announcement.body,
                announcement.links,
                announcement.published_at,
                announcement.visible_from,
                announcement.visible_until,
                announcement.pinned,
                announcement.created_by,
                audience["division_prefixes"],
                audience["org_ids"],
                audience["roles"],
                audience["everywhere"],
                audience["any_role"],
            )
        )

    async def visible_to(self, principal: Principal, now: datetime, limit: int) -> list[dict]:
        """What this user may read now, pinned first: the query form of Audience.admits and visible_at."""
        code = principal.division_code
        prefixes = [code[:length] for length in range(1, len(code) + 1)]
        rows = await self._db.fetch(
            ANNOUNCEMENT_VIEW
            + """
            WHERE visible_from <= $1 AND (visible_until IS NULL OR visible_until > $1)
              AND (audience_everywhere OR audience_org_ids @> ARRAY[$2::text]
                   OR audience_division_prefixes && $3::text[])
              AND (audience_any_role OR audience_roles && $4::text[])
            ORDER BY pinned DESC, published_at DESC LIMIT $5
            """,
            now,
            principal.org_id,
            prefixes,
            list(principal.roles),
            limit,
        )
        return [self._doc(row) for row in rows]

    async def every(self, limit: int) -> list[dict]:
        rows = await self._db.fetch(ANNOUNCEMENT_VIEW + " ORDER BY published_at DESC LIMIT $1", limit)
        return [self._doc(row) for row in rows]

    async def withdraw(self, announcement_id: str, now: datetime) -> dict | None:
        row = await self._db.fetchrow(
            f"UPDATE announcements SET visible_until = $2 WHERE id = $1 RETURNING {ANNOUNCEMENT_COLUMNS}",
            announcement_id,
            now,
        )
        return self._doc(row) if row else None

    @staticmethod
    def _doc(row: asyncpg.Record) -> dict:
        """The announcement in the shape the API has always answered (Announcement.to_doc)."""
        return {
            "_id": row["id"],
            "kind": row["kind"],
            "title": row["title"],
            "body": row["body"],
            "links": row["links"],
            "published_at": row["published_at"],
            "visible_from": row["visible_from"],
            "visible_until": row["visible_until"],
            "pinned": row["pinned"],
            "audience": {
                "division_prefixes": row["audience_division_prefixes"],
                "org_ids": row["audience_org_ids"],
                "roles": row["audience_roles"],
                "everywhere": row["audience_everywhere"],
                "any_role": row["audience_any_role"],
            },
            "created_by": row["created_by"],
        }


class DeliveryQueue:
    """The durable delivery queue: a work queue many workers (of many instances) take from at once.

    `claim` takes the most overdue claimable row with `FOR UPDATE SKIP LOCKED` (a row another worker is
    claiming is passed over, never waited for) and gives it a lease and a new lease token in the same
    statement. A worker that died leaves its lease to run out; the row is then claimable again and the next
    claim replaces the token, so the dead worker's late outcome (if it was only slow) is refused.
    """

    def __init__(self, db: Database) -> None:
        self._db = db

    async def add_all(self, deliveries: list[dict[str, Any]]) -> int:
        """Insert what is not there yet (ids are (event, recipient, channel)); returns how many were new."""
        if not deliveries:
            return 0
        rows = [
            {**{c: d.get("_id" if c == "id" else c) for c in DELIVERY_COLUMNS}, "doc": _doc_of(d)} for d in deliveries
        ]
        return await self._db.fetchval(
            """
            WITH added AS (
                INSERT INTO deliveries (
                    id, event_id, recipient, channel, message_key, ticket_id, state, attempts, created_at,
                    next_attempt_at, reason, scheme_version, sent_at, doc
                )
                SELECT id, event_id, recipient, channel, message_key, ticket_id, state, attempts, created_at,
                       next_attempt_at, reason, scheme_version, sent_at, doc
                FROM jsonb_to_recordset($1::jsonb) AS planned(
                    id text, event_id text, recipient text, channel text, message_key text, ticket_id text,
                    state text, attempts integer, created_at timestamptz, next_attempt_at timestamptz,
                    reason text, scheme_version integer, sent_at timestamptz, doc jsonb
                )
                ON CONFLICT DO NOTHING
                RETURNING 1
            )
            SELECT count(*) FROM added
            """,
            rows,
        )

    async def claim(self, now: datetime, lease_seconds: float, worker: str) -> dict | None:
        """Take the most overdue claimable delivery: pending and due, or sending with an expired lease."""
        row = await self._db.fetchrow(
            """
            UPDATE deliveries SET state = 'sending', lease_until = $1 + make_interval(secs => $2),
                   lease_token = gen_random_uuid()::text, claimed_by = $3, claims = claims + 1
            WHERE id = (
                SELECT id FROM deliveries WHERE claimable_at <= $1
                ORDER BY claimable_at LIMIT 1 FOR UPDATE SKIP LOCKED
            )
            RETURNING *
            """,
            now,
            float(lease_seconds),
            worker,
        )
        return delivery_view(row) if row else None

    async def finish(
        self, delivery: dict, *, state: str, now: datetime, attempted: bool, outbox: list | None = None, **fields: Any
    ) -> bool:
        """Record the outcome (and its outbox entries) while this claim is the delivery's latest; False when
        the lease ran out and another worker claimed it since."""
        unknown = set(fields) - OUTCOME_COLUMNS
        if unknown:
            raise ValueError(f"not an outcome of a delivery: {sorted(unknown)}")
        names = sorted(fields)
        sets = "".join(f", {name} = ${index}" for index, name in enumerate(names, start=6))
        async with self._db.transaction() as conn:
            recorded = await self._db.fetchval(
                f"""
                UPDATE deliveries SET state = $3, lease_until = NULL, lease_token = NULL, updated_at = $4,
                       attempts = attempts + $5{sets}
                WHERE id = $1 AND lease_token = $2 RETURNING true
                """,
                delivery["_id"],
                delivery["lease_token"],
                state,
                now,
                1 if attempted else 0,
                *(fields[name] for name in names),
            )
            if recorded and outbox:
                await conn.executemany(INSERT_OUTBOX, [(e["id"], e["topic"], e["key"], e["envelope"]) for e in outbox])
        return bool(recorded)

    async def find(
        self, *, ticket_id: str | None = None, state: str | None = None, channel: str | None = None, limit: int
    ) -> list[dict]:
        """Delivery records, newest first, narrowed by any of ticket, state and channel (each indexed)."""
        given = {"ticket_id": ticket_id, "state": state, "channel": channel}
        conditions = [(column, value) for column, value in given.items() if value is not None]
        where = " AND ".join(f"{column} = ${n}" for n, (column, _) in enumerate(conditions, start=2))
        rows = await self._db.fetch(
            f"SELECT * FROM deliveries {'WHERE ' + where if where else ''} ORDER BY created_at DESC LIMIT $1",
            limit,
            *(value for _, value in conditions),
        )
        return [public_delivery(row) for row in rows]

    async def of_message(self, message_key: str) -> list[dict]:
        rows = await self._db.fetch("SELECT * FROM deliveries WHERE message_key = $1 ORDER BY channel", message_key)
        return [public_delivery(row) for row in rows]

    async def requeue(self, delivery_id: str, now: datetime) -> dict | None:
        """An administrator sends a failed, permanent or skipped delivery again (attempts start over).
        Not a race with the workers: they never claim a delivery in these states."""
        row = await self._db.fetchrow(
            """
            UPDATE deliveries SET state = 'pending', next_attempt_at = $2, attempts = 0, reason = NULL
            WHERE id = $1 AND state IN ('failed', 'permanent', 'skipped') RETURNING *
            """,
            delivery_id,
            now,
        )
        return public_delivery(row) if row else None

    async def next_due(self) -> datetime | None:
        """When the earliest delivery becomes claimable (tests drive a manual clock with it)."""
        return await self._db.fetchval(
            "SELECT claimable_at FROM deliveries WHERE claimable_at IS NOT NULL ORDER BY claimable_at LIMIT 1"
        )

    async def listen(self, wake: Any) -> asyncpg.Connection:
        """A connection of its own that calls `wake()` whenever deliveries were added (any instance)."""
        conn = await asyncpg.connect(self._db.url)
        await conn.add_listener(DELIVERIES_CHANGED, lambda *_: wake())
        return conn


def _doc_of(delivery: dict[str, Any]) -> dict[str, Any]:
    """The fields of a planned delivery that nothing filters or sorts on (texts, robot, openid, …)."""
    return {k: v for k, v in delivery.items() if k not in DELIVERY_COLUMNS and k != "_id"}
