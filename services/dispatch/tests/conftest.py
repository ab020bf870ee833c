"""Fixtures of dispatch's database-level tests: a throw-away database migrated to dispatch's head
(tests/databases.py), and dispatch's repositories on it as two service instances would hold them."""

from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest

from infra.launcher import Stack
from services.dispatch.adapters import DispatchCaseRepository, ReleaseRepository, VendorRefusalRepository
from shared.db import Database
from shared.outbox import Outbox, OutboxWriter
from shared.topics import Topics
from tests.databases import scratch_database


@dataclass
class Stores:
    db: Database
    cases: DispatchCaseRepository
    releases: ReleaseRepository
    refusals: VendorRefusalRepository


def dispatch_stores(db: Database) -> Stores:
    outbox = Outbox(OutboxWriter(Topics("test"), source="/fiscaldesk/dispatch"))
    return Stores(db, DispatchCaseRepository(db, outbox), ReleaseRepository(db, outbox), VendorRefusalRepository(db))


@pytest.fixture(scope="module")
async def dispatch_database_url(stack: Stack) -> AsyncIterator[str]:
    async with scratch_database(stack.admin_database_url, "dispatch") as url:
        yield url
