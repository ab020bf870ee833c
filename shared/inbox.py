"""The inbox: ids of events a consumer has processed, under a unique index, so a redelivered event is
recognised and skipped. Handlers are written to be idempotent as well (deterministic ids, conditional
writes), because a crash can fall between the handler's write and the inbox record."""

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import DuplicateKeyError

from shared.events import utcnow
from shared.store import IndexSpec

if TYPE_CHECKING:
    from shared.db import Database

Handler = Callable[[], Awaitable[None]]

INBOX = "inbox"
INDEXES = [IndexSpec(INBOX, [("consumer", 1), ("event_id", 1)], unique=True, name="consumer_event_unique")]


class Inbox:
    def __init__(self, collection: AsyncCollection) -> None:
        self._collection = collection

    async def seen(self, consumer: str, event_id: str) -> bool:
        return await self._collection.find_one({"_id": f"{consumer}:{event_id}"}, {"_id": 1}) is not None

    async def record(self, consumer: str, event_id: str, event_type: str) -> None:
        try:
            await self._collection.insert_one(
                {
                    "_id": f"{consumer}:{event_id}",
                    "consumer": consumer,
                    "event_id": event_id,
                    "type": event_type,
                    "at": utcnow(),
                }
            )
        except DuplicateKeyError:
            pass

    async def process(self, consumer: str, event_id: str, event_type: str, handler: Handler) -> bool:
        """Run `handler` unless the event was processed before, then record it; False for a duplicate."""
        if await self.seen(consumer, event_id):
            return False
        await handler()
        await self.record(consumer, event_id, event_type)
        return True


class PostgresInbox:
    """The transactional inbox (decision 0011): a consumer's effects and the id of the event it processed
    commit in one transaction, and the Kafka offset is committed only after it. A redelivered event finds
    its row and is skipped; a crash before the commit leaves neither the effects nor the row. Repositories
    called by the handler join the transaction (shared.db.Database.transaction)."""

    def __init__(self, db: "Database") -> None:
        self._db = db

    async def process(self, consumer: str, event_id: str, event_type: str, handler: Handler) -> bool:
        """Run `handler` with the inbox row in one transaction; False (and nothing run) for a duplicate."""
        async with self._db.transaction() as conn:
            fresh = await conn.fetchval(
                "INSERT INTO inbox (consumer, event_id, type) VALUES ($1, $2, $3)"
                " ON CONFLICT DO NOTHING RETURNING true",
                consumer,
                event_id,
                event_type,
            )
            if not fresh:
                return False
            await handler()
            return True
