"""The inbox: ids of events a consumer has processed, under a unique index, so a redelivered event is
recognised and skipped. Handlers are written to be idempotent as well (deterministic ids, conditional
writes), because a crash can fall between the handler's write and the inbox record."""

from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import DuplicateKeyError

from shared.events import utcnow
from shared.store import IndexSpec

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
