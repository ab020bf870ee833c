"""The publication repository: one row per batch in `publications`, PublicationPublished in the outbox.

A month's publication is reserved under its id (PUB-2026-12: the id is the key), then completed in one
guarded UPDATE with its event; an amendment locks it and completes the revision it started from. The
publishing handler runs these, and the marking of each requirement, in one transaction (`atomically`).
"""

from contextlib import AbstractAsyncContextManager
from typing import Any

from asyncpg import Record

from services.review.adapters.documents import publication_from_document, publication_state
from services.review.adapters.jsonb import revive
from services.review.domain import ConcurrentChange, Publication
from shared.db import Database, affected
from shared.events import Actor
from shared.outbox import Outbox

DRAFTS_LIMIT = 100


def _document(row: Record) -> dict[str, Any]:
    return {"_id": row["id"], **revive(row["doc"])}


class PublicationRepository:
    def __init__(self, db: Database, outbox: Outbox) -> None:
        self._db = db
        self._outbox = outbox

    def atomically(self) -> AbstractAsyncContextManager[Any]:
        """One transaction around the whole publication (joined by every write inside it)."""
        return self._db.transaction()

    async def lock(self, batch_id: str) -> Publication | None:
        """The publication, locked until the transaction ends (an amendment is made by one officer at a time)."""
        row = await self._db.fetchrow("SELECT id, doc FROM publications WHERE id = $1 FOR UPDATE", batch_id)
        return publication_from_document(_document(row)) if row else None

    async def reserve(self, publication: Publication) -> bool:
        """Insert the draft under its batch id; False when that id is taken (try the next sequence)."""
        state = publication_state(publication)
        return bool(
            await self._db.fetchval(
                "INSERT INTO publications (id, month, status, published_at, doc) VALUES ($1, $2, $3, $4, $5)"
                " ON CONFLICT (id) DO NOTHING RETURNING true",
                publication.batch_id,
                publication.month,
                publication.status,
                publication.published_at,
                state,
            )
        )

    async def complete(self, publication: Publication, *, actor: Actor, correlation_id: str | None = None) -> None:
        """Record the published (or abandoned) batch and its event, once: only a draft, or the revision an
        amendment started from, can be completed."""
        async with self._db.transaction() as conn:
            status = await conn.execute(
                "UPDATE publications SET status = $2, published_at = $3, doc = $4"
                " WHERE id = $1 AND (status = 'publishing'"
                "  OR (status = 'published' AND coalesce((doc->>'revision')::int, 1) = $5))",
                publication.batch_id,
                publication.status,
                publication.published_at,
                publication_state(publication),
                publication.revision - 1,
            )
            if affected(status) != 1:
                raise ConcurrentChange(publication.batch_id)
            await self._outbox.add(conn, publication.events, actor=actor, correlation_id=correlation_id)
        publication.events.clear()

    async def drafts(self) -> list[Publication]:
        """Batches left half-way (reserved, never completed)."""
        rows = await self._db.fetch(
            "SELECT id, doc FROM publications WHERE status = 'publishing' ORDER BY id LIMIT $1", DRAFTS_LIMIT
        )
        return [publication_from_document(_document(row)) for row in rows]

    async def list_published(self, *, month: str | None, limit: int, skip: int) -> list[dict[str, Any]]:
        if month:
            where, args = "status = 'published' AND month = $3", [month]
        else:
            where, args = "status = 'published'", []
        rows = await self._db.fetch(
            f"SELECT id, doc FROM publications WHERE {where} ORDER BY published_at DESC LIMIT $1 OFFSET $2",
            limit,
            skip,
            *args,
        )
        return [_document(row) for row in rows]

    async def read(self, batch_id: str) -> dict[str, Any] | None:
        row = await self._db.fetchrow(
            "SELECT id, doc FROM publications WHERE id = $1 AND status = 'published'", batch_id
        )
        return _document(row) if row else None
