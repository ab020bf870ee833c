"""The publication repository: one document per batch in "publications", PublicationPublished in its outbox.

A batch is first reserved as a draft ("publishing", its id unique), then completed in one write that
sets its final entries and pushes its event; a draft left by a crash is completed at the next start.
"""

from collections.abc import Callable
from typing import Any

from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import DuplicateKeyError

from services.review.adapters.documents import publication_from_document, publication_state
from services.review.domain import ConcurrentChange, Publication
from shared.events import Actor
from shared.outbox import OUTBOX_FIELD, OutboxWriter
from shared.store import IndexSpec

COLLECTION = "publications"
LIST_FIELDS = {OUTBOX_FIELD: 0}
INDEXES = [IndexSpec(COLLECTION, [("status", 1), ("published_at", -1)]), IndexSpec(COLLECTION, [("month", 1)])]


class PublicationRepository:
    def __init__(self, collection: AsyncCollection, outbox: OutboxWriter, saved: Callable[[], None]) -> None:
        self._collection = collection
        self._outbox = outbox
        self._saved = saved

    async def next_sequence(self, month: str) -> int:
        return await self._collection.count_documents({"month": month}) + 1

    async def reserve(self, publication: Publication) -> bool:
        """Insert the draft under its batch id; False when that id is taken (try the next sequence)."""
        try:
            await self._collection.insert_one({"_id": publication.batch_id, **publication_state(publication)})
        except DuplicateKeyError:
            return False
        return True

    async def complete(self, publication: Publication, *, actor: Actor, correlation_id: str | None = None) -> None:
        """Record the published (or abandoned) batch and its event, once: only a draft can be completed."""
        entries = self._outbox.entries(publication.events, actor=actor, correlation_id=correlation_id)
        update: dict[str, Any] = {"$set": publication_state(publication)}
        if entries:
            update["$push"] = {OUTBOX_FIELD: {"$each": entries}}
        result = await self._collection.update_one({"_id": publication.batch_id, "status": "publishing"}, update)
        if result.matched_count != 1:
            raise ConcurrentChange(publication.batch_id)
        publication.events.clear()
        if entries:
            self._saved()

    async def drafts(self) -> list[Publication]:
        """Batches a crash left half-way (reserved, never completed)."""
        cursor = self._collection.find({"status": "publishing"}, {OUTBOX_FIELD: 0})
        return [publication_from_document(doc) async for doc in cursor]

    async def list_published(self, *, month: str | None, limit: int, skip: int) -> list[dict[str, Any]]:
        query: dict[str, Any] = {"status": "published"}
        if month:
            query["month"] = month
        cursor = self._collection.find(query, LIST_FIELDS).sort("published_at", -1).skip(skip).limit(limit)
        return await cursor.to_list()

    async def read(self, batch_id: str) -> dict[str, Any] | None:
        return await self._collection.find_one({"_id": batch_id, "status": "published"}, {OUTBOX_FIELD: 0})
