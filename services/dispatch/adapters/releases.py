"""Releases (部署上线, 第六条八) as rows. A release, the tickets it names and its events (ReleaseAnnounced,
one RequirementReleased per ticket) are one transaction. The keys do the checking that used to be a read
before the write: `release_version` is unique, and `release_tickets` holds a ticket once, so two releases
announced at the same moment cannot both take the same ticket."""

from typing import Any

from services.dispatch.domain import Release
from shared.db import Database
from shared.errors import DomainError
from shared.outbox import Outbox

FIELDS = (
    "id",
    "release_version",
    "release_date",
    "title",
    "notes",
    "ticket_ids",
    "manual_url",
    "video_url",
    "report_guide_url",
    "announced_at",
    "announced_by",
)
COLUMNS = ", ".join(FIELDS)
INSERT = f"""
    INSERT INTO releases ({COLUMNS}, version) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 1)
    ON CONFLICT (release_version) DO NOTHING
    RETURNING true
"""
TAKE_TICKETS = """
    INSERT INTO release_tickets (ticket_id, release_id) SELECT unnest($1::text[]), $2
    ON CONFLICT (ticket_id) DO NOTHING
    RETURNING ticket_id
"""


class ReleaseRepository:
    def __init__(self, db: Database, outbox: Outbox) -> None:
        self._db = db
        self._outbox = outbox

    async def add(self, release: Release, *, correlation_id: str) -> dict[str, Any]:
        """The release, its tickets and its events in one transaction; a clash on the version or on a ticket
        already released changes nothing and says which rule it broke."""
        command = release.command
        document = {
            "id": release.id,
            "release_version": command.version,
            "release_date": command.release_date,
            "title": command.title,
            "notes": command.notes,
            "ticket_ids": list(command.ticket_ids),
            "manual_url": command.manual_url,
            "video_url": command.video_url,
            "report_guide_url": command.report_guide_url,
            "announced_at": release.announced_at,
            "announced_by": {"user_id": release.announced_by.user_id, "name": release.announced_by.name},
        }
        async with self._db.transaction() as conn:
            if not await conn.fetchval(INSERT, *(document[name] for name in FIELDS)):
                raise DomainError(
                    "release_version_exists",
                    f"版本 {command.version} 已发布过 (version already released)",
                    field="version",
                )
            taken = {row["ticket_id"] for row in await conn.fetch(TAKE_TICKETS, document["ticket_ids"], release.id)}
            if missing := [ticket_id for ticket_id in command.ticket_ids if ticket_id not in taken]:
                raise DomainError(
                    "ticket_already_released",
                    f"需求 {missing[0]} 已在其他发布中上线 (already released)",
                    field="ticket_ids",
                )
            await self._outbox.add(conn, release.events, actor=release.announced_by, correlation_id=correlation_id)
        return document

    async def released_in(self, ticket_ids: list[str]) -> dict[str, str]:
        """The release that already holds each of these tickets (those in none are left out)."""
        rows = await self._db.fetch(
            "SELECT ticket_id, release_id FROM release_tickets WHERE ticket_id = ANY($1::text[])", ticket_ids
        )
        return {row["ticket_id"]: row["release_id"] for row in rows}

    async def latest(self, *, limit: int, skip: int) -> list[dict[str, Any]]:
        rows = await self._db.fetch(
            f"SELECT {COLUMNS} FROM releases ORDER BY announced_at DESC, id DESC LIMIT $1 OFFSET $2", limit, skip
        )
        return [dict(row) for row in rows]
