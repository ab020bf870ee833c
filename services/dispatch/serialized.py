"""One writer at a time per document, within the process.

FerretDB v1 runs `update_one` as a read followed by a separate, unconditional write of the whole document
by `_id` (internal/handler/msg_update.go, backends/sqlite UpdateAll). Two updates of one document at the
same moment therefore lose one of them: a version-checked save can "win" twice, and the outbox relay's
`$pullAll` can undo a save that came between its read and its write (and the event with it). MongoDB,
in production, does each update atomically. Serialising every update of a document inside the process
(the saves and the relay's) makes the single dispatch process correct on FerretDB as well; several
processes on FerretDB would still race (the shared fix is for the lead: see the report of this change).
"""

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from pymongo.asynchronous.collection import AsyncCollection


class DocumentLocks:
    """An asyncio lock per document key, dropped when nobody holds or waits for it."""

    def __init__(self) -> None:
        self._locks: dict[Any, asyncio.Lock] = {}
        self._users: Counter = Counter()

    @asynccontextmanager
    async def hold(self, key: Any) -> AsyncIterator[None]:
        lock = self._locks.setdefault(key, asyncio.Lock())
        self._users[key] += 1
        try:
            async with lock:
                yield
        finally:
            self._users[key] -= 1
            if not self._users[key]:
                del self._users[key]
                del self._locks[key]


class SerializedCollection:
    """An AsyncCollection whose `update_one` by `_id` waits for any other update of that document."""

    def __init__(self, collection: AsyncCollection, locks: DocumentLocks) -> None:
        self._collection = collection
        self._locks = locks

    async def update_one(self, filter: dict[str, Any], update: Any, **kwargs: Any) -> Any:
        async with self._locks.hold((self._collection.name, filter["_id"])):
            return await self._collection.update_one(filter, update, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._collection, name)
