"""Fixtures of notify's database-level tests: a throw-away database of its own (created with the test
cluster's admin connection, migrated to head, dropped afterwards), emptied before each test."""

from collections.abc import AsyncIterator

import pytest

from infra.launcher import Stack
from shared.db import Database
from tests.databases import scratch_database

TABLES = (
    "deliveries, notifications, notification_reads, announcements, scheme_versions, robots, preferences,"
    " robot_sends, inbox_tickets, inbox_marks, outbox, inbox"
)


@pytest.fixture(scope="module")
async def notify_database_url(stack: Stack) -> AsyncIterator[str]:
    """A fresh database with notify's migrations applied (the service's own test database stays untouched)."""
    async with scratch_database(stack.admin_database_url, "notify") as url:
        yield url


@pytest.fixture
async def notify_db(notify_database_url: str) -> AsyncIterator[Database]:
    """The scratch database, empty, as one notify instance's pool."""
    db = Database(notify_database_url)
    await db.connect()
    await db.execute(f"TRUNCATE {TABLES}")
    try:
        yield db
    finally:
        await db.close()


@pytest.fixture
async def second_instance(notify_db: Database) -> AsyncIterator[Database]:
    """Another pool on the same database: what a second notify instance would hold."""
    db = Database(notify_db.url)
    await db.connect()
    try:
        yield db
    finally:
        await db.close()
