"""A throw-away PostgreSQL database with review's migrations applied, for the repository and query-plan
tests (tests/databases.py: created with the test cluster's admin connection, dropped afterwards)."""

from collections.abc import AsyncIterator

import asyncpg
import pytest

from infra.launcher import Stack
from tests.databases import scratch_database


@pytest.fixture(scope="module")
async def review_database_url(stack: Stack) -> AsyncIterator[str]:
    """A database of its own per test module, at the migrations' head."""
    async with scratch_database(stack.admin_database_url, "review") as url:
        yield url


@pytest.fixture
async def empty_tables(review_database_url: str) -> str:
    """The module's database with every table of review emptied (outbox and inbox included)."""
    conn = await asyncpg.connect(review_database_url)
    try:
        await conn.execute(
            "TRUNCATE review_cases, publications, problem_cases, problem_sla_counters, problem_open_counters,"
            " faq_entries, calendar_corrections, outbox, inbox"
        )
    finally:
        await conn.close()
    return review_database_url
