"""Comments on tickets and who watches each ticket (services/portal/comments.py has the rules). A comment,
the watcher rows it adds and its TicketCommented event commit in one transaction (the outbox)."""

from datetime import datetime
from typing import Any

from shared.db import Database
from shared.events import Actor, Event
from shared.outbox import Outbox

COMMENT_COLUMNS = "seq, id, ticket_id, author_id, author_name, author_org_name, body, mentioned_ids, attachments, at"
# Watchers named in one event, and in the count shown: a ticket is not a mailing list.
WATCHERS_LIMIT = 500


class Comments:
    def __init__(self, db: Database, outbox: Outbox) -> None:
        self._db = db
        self._outbox = outbox

    async def add(
        self, comment: dict[str, Any], events: list[Event], *, actor: Actor, correlation_id: str | None
    ) -> dict[str, Any]:
        """Store the comment, make its author a watcher (unless they turned watching off) and write its event."""
        async with self._db.transaction() as conn:
            row = await conn.fetchrow(
                "INSERT INTO comments (id, ticket_id, author_id, author_name, author_org_name, body, mentioned_ids,"
                f" attachments, at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING {COMMENT_COLUMNS}",
                comment["id"],
                comment["ticket_id"],
                comment["author_id"],
                comment["author_name"],
                comment["author_org_name"],
                comment["body"],
                comment["mentioned_ids"],
                comment["attachments"],
                comment["at"],
            )
            await conn.execute(
                "INSERT INTO ticket_watchers (ticket_id, user_id, watching, reason, at)"
                " VALUES ($1, $2, true, 'commented', $3) ON CONFLICT (ticket_id, user_id) DO NOTHING",
                comment["ticket_id"],
                comment["author_id"],
                comment["at"],
            )
            await self._outbox.add(conn, events, actor=actor, correlation_id=correlation_id)
        return _comment(row)

    async def page(self, ticket_id: str, *, after: int, limit: int) -> list[dict[str, Any]]:
        """The ticket's comments after position `after`, oldest first (keyset on the ticket's index)."""
        rows = await self._db.fetch(
            f"SELECT {COMMENT_COLUMNS} FROM comments WHERE ticket_id = $1 AND seq > $2 ORDER BY seq LIMIT $3",
            ticket_id,
            after,
            limit,
        )
        return [_comment(row) for row in rows]

    async def set_watching(self, ticket_id: str, user_id: str, watching: bool, reason: str, at: datetime) -> None:
        await self._db.execute(
            "INSERT INTO ticket_watchers (ticket_id, user_id, watching, reason, at) VALUES ($1, $2, $3, $4, $5)"
            " ON CONFLICT (ticket_id, user_id) DO UPDATE SET watching = EXCLUDED.watching,"
            " reason = EXCLUDED.reason, at = EXCLUDED.at",
            ticket_id,
            user_id,
            watching,
            reason,
            at,
        )

    async def watcher_rows(self, ticket_id: str) -> dict[str, bool]:
        """Each user with a say about watching this ticket → whether they watch it (on the primary key)."""
        rows = await self._db.fetch(
            "SELECT user_id, watching FROM ticket_watchers WHERE ticket_id = $1 ORDER BY user_id LIMIT $2",
            ticket_id,
            WATCHERS_LIMIT,
        )
        return {row["user_id"]: row["watching"] for row in rows}


def _comment(row: Any) -> dict[str, Any]:
    return {
        "_id": row["id"],
        "seq": row["seq"],
        "ticket_id": row["ticket_id"],
        "author": {"id": row["author_id"], "name": row["author_name"], "org_name": row["author_org_name"]},
        "body": row["body"],
        "mentioned_ids": list(row["mentioned_ids"]),
        "attachments": row["attachments"],
        "at": row["at"],
    }
