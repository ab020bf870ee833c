"""MongoDB wiring (PyMongo's AsyncMongoClient): one database per service, indexes created at start.

Only what FerretDB v1 supports is used here (see docs/decisions/0002-ferretdb-compatible-store.md):
single-document writes, unique and compound indexes, no transactions, no change streams.
"""

import asyncio
import time
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from pymongo import AsyncMongoClient
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import PyMongoError

from shared.logs import get_logger

log = get_logger(__name__)


@dataclass(frozen=True)
class IndexSpec:
    collection: str
    keys: list[tuple[str, int]]
    unique: bool = False
    name: str | None = None
    options: dict = field(default_factory=dict)


def make_client(url: str) -> AsyncMongoClient:
    # No connection is opened here: PyMongo connects on the first operation.
    return AsyncMongoClient(url, serverSelectionTimeoutMS=5000, tz_aware=True)


async def wait_for_database(db: AsyncDatabase, timeout: float = 60.0) -> None:
    """Start-up waits for its dependencies instead of crashing while they come up."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            await db.command("ping")
            return
        except PyMongoError as error:
            if time.monotonic() > deadline:
                raise
            log.warning("database not ready", error=str(error))
            await asyncio.sleep(1)


async def ensure_indexes(db: AsyncDatabase, specs: list[IndexSpec]) -> None:
    for spec in specs:
        await db[spec.collection].create_index(spec.keys, unique=spec.unique, name=spec.name, **spec.options)


class DocumentLocks:
    """An asyncio lock per document, dropped when nobody holds or waits for it."""

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
    """A collection whose updates of one document (by `_id`) wait for each other, within the process.

    FerretDB v1 runs an update as a read followed by a separate write of the whole document, so two
    updates of one document at the same moment lose one of them: a version-checked save could "win" twice
    and the outbox relay's `$pullAll` could undo a save (and its event) that came between its read and its
    write. MongoDB does each update atomically. Serialising the updates of a document inside the process
    (the service's saves and its relay's) makes one process per service correct on FerretDB too; several
    instances of a service need MongoDB (decision 0002).
    """

    def __init__(self, collection: AsyncCollection, locks: DocumentLocks) -> None:
        self._collection = collection
        self._locks = locks

    async def update_one(self, filter: dict[str, Any], update: Any, **kwargs: Any) -> Any:
        async with self._locks.hold((self._collection.name, filter["_id"])):
            return await self._collection.update_one(filter, update, **kwargs)

    async def find_one_and_update(self, filter: dict[str, Any], update: Any, **kwargs: Any) -> Any:
        async with self._locks.hold((self._collection.name, filter["_id"])):
            return await self._collection.find_one_and_update(filter, update, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._collection, name)
