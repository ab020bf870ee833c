"""Fixtures of the portal's database-level tests: a throw-away database at the portal's migration head
(created with the test cluster's admin connection, dropped afterwards) and pools on it."""

from collections.abc import AsyncIterator

import pytest

from infra.launcher import Stack
from shared.db import Database
from shared.outbox import Outbox, OutboxWriter
from shared.topics import Topics
from tests.databases import scratch_database


@pytest.fixture(scope="module")
async def portal_database_url(stack: Stack) -> AsyncIterator[str]:
    """A fresh database with the portal's migrations applied (the service's own stays untouched)."""
    async with scratch_database(stack.admin_database_url, "portal") as url:
        yield url


@pytest.fixture(scope="module")
async def portal_db(portal_database_url: str) -> AsyncIterator[Database]:
    db = Database(portal_database_url)
    await db.connect()
    try:
        yield db
    finally:
        await db.close()


def outbox() -> Outbox:
    return Outbox(OutboxWriter(Topics("test"), source="/fiscaldesk/portal"))
