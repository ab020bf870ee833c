"""Fixtures of intake's database-level tests: a throw-away database of its own (created with the test
cluster's admin connection, migrated to head, dropped afterwards) and intake's stores on it."""

from collections.abc import AsyncIterator
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit
from uuid import uuid4

import asyncpg
import pytest

from infra.launcher import Stack
from services.intake.adapters import AttachmentStore, CalendarStore, ProblemRepository, RequirementRepository
from services.intake.directory import OrganisationDirectory
from shared.db import Database
from shared.migrate import upgrade
from shared.outbox import Outbox, OutboxWriter
from shared.topics import Topics


def with_database(url: str, name: str) -> str:
    """The same server and credentials, another database."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


async def create_database(admin_url: str, name: str) -> str:
    conn = await asyncpg.connect(admin_url)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return with_database(admin_url, name)


async def drop_database(admin_url: str, name: str) -> None:
    conn = await asyncpg.connect(admin_url)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


@pytest.fixture(scope="module")
async def intake_database_url(stack: Stack) -> AsyncIterator[str]:
    """A fresh database with intake's migrations applied (the service's own test database stays untouched)."""
    name = f"{stack.db_prefix}_intake_{uuid4().hex[:8]}"
    url = await create_database(stack.admin_database_url, name)
    try:
        await upgrade("intake", url)
        yield url
    finally:
        await drop_database(stack.admin_database_url, name)


@dataclass
class Stores:
    db: Database
    requirements: RequirementRepository
    calendar: CalendarStore
    attachments: AttachmentStore
    problems: ProblemRepository
    directory: OrganisationDirectory


def intake_stores(db: Database) -> Stores:
    outbox = Outbox(OutboxWriter(Topics("test"), source="/fiscaldesk/intake"))
    return Stores(
        db,
        RequirementRepository(db, outbox),
        CalendarStore(db, outbox),
        AttachmentStore(db),
        ProblemRepository(db, outbox),
        OrganisationDirectory(db),
    )
