"""MongoDB wiring (PyMongo's AsyncMongoClient): one database per service, indexes created at start.

Only what FerretDB v1 supports is used here (see docs/decisions/0002-ferretdb-compatible-store.md):
single-document writes, unique and compound indexes, no transactions, no change streams.
"""

import asyncio
import time
from dataclasses import dataclass, field

from pymongo import AsyncMongoClient
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
