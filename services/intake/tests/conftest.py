"""Fixtures of intake's database-level tests: a throw-away database of its own (created with the test
cluster's admin connection, migrated to head, dropped afterwards) and intake's stores on it."""

from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest

from infra.launcher import Stack
from services.intake.adapters import AttachmentStore, CalendarStore, ProblemRepository, RequirementRepository
from services.intake.directory import OrganisationDirectory
from shared.db import Database
from shared.outbox import Outbox, OutboxWriter
from shared.topics import Topics
from tests.databases import scratch_database


@pytest.fixture(scope="module")
async def intake_database_url(stack: Stack) -> AsyncIterator[str]:
    """A fresh database with intake's migrations applied (the service's own test database stays untouched)."""
    async with scratch_database(stack.admin_database_url, "intake") as url:
        yield url


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
