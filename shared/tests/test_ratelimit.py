"""Rate-limit counters in PostgreSQL: hits from several instances of a service count together, at once."""

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from infra.launcher import Stack
from shared.db import Database
from shared.ratelimit import RATE_LIMITS_INDEX, RATE_LIMITS_TABLE, Limit, RateLimited, RateLimiter
from tests.databases import scratch_database


@pytest.fixture(scope="module")
async def two_instances(stack: Stack) -> AsyncIterator[tuple[Database, Database]]:
    """Two pools (two instances of one service) on a throw-away database holding a rate_limits table."""
    async with scratch_database(stack.admin_database_url, "ratelimit", migrate=False) as url:
        first, second = Database(url), Database(url)
        try:
            await first.connect()
            await second.connect()
            await first.execute(RATE_LIMITS_TABLE)
            await first.execute(RATE_LIMITS_INDEX)
            yield first, second
        finally:
            await first.close()
            await second.close()


async def test_concurrent_hits_from_two_instances_count_together_and_the_limit_holds(
    two_instances: tuple[Database, Database],
) -> None:
    limiters = [RateLimiter(db) for db in two_instances]
    limit, now = Limit("submit", 15, 3600), datetime.now(UTC)

    outcomes = await asyncio.gather(
        *(limiters[n % 2].hit(limit, "u-1", now) for n in range(20)), return_exceptions=True
    )

    assert [o for o in outcomes if not isinstance(o, RateLimited | type(None))] == []
    assert outcomes.count(None) == 15  # exactly the allowance passes, whichever instance took the hit
    assert sum(isinstance(o, RateLimited) for o in outcomes) == 5
    with pytest.raises(RateLimited) as refused:
        await limiters[0].hit(limit, "u-1", now)
    assert refused.value.status_code == 429 and 0 < refused.value.retry_after <= 3600
    await limiters[1].hit(limit, "u-2", now)  # another key has its own allowance


async def test_the_next_window_starts_a_new_count_and_sweeps_the_ended_ones(
    two_instances: tuple[Database, Database],
) -> None:
    first, _ = two_instances
    limiter, limit = RateLimiter(first), Limit("login", 2, 60)
    start = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
    await limiter.hit(limit, "u-3", start)
    await limiter.hit(limit, "u-3", start)
    with pytest.raises(RateLimited):
        await limiter.hit(limit, "u-3", start)

    later = datetime(2026, 12, 1, 2, 1, 30, tzinfo=UTC)
    await limiter.hit(limit, "u-3", later)
    ended = int(start.timestamp()) + 60
    assert await first.fetchval("SELECT count(*) FROM rate_limits WHERE expires <= $1", ended) == 0


async def test_a_hit_relaxes_only_its_own_commit_never_the_callers_transaction_or_the_connection(
    stack: Stack,
) -> None:
    """The counter's commit does not wait for the disk; a record written beside it in one transaction still
    does, and the pooled connection is handed back with the durable setting."""
    async with scratch_database(stack.admin_database_url, "ratelimit_commit", migrate=False) as url:
        # One connection, so what the hit did to it is what is read; durable, as in production (the tests'
        # cluster itself does not wait for the disk).
        db = Database(url, min_size=1, max_size=1, server_settings={"synchronous_commit": "on"})
        await db.connect()
        try:
            await db.execute(RATE_LIMITS_TABLE)
            limiter, limit, now = RateLimiter(db), Limit("submit", 5, 60), datetime.now(UTC)

            await limiter.hit(limit, "u-4", now)
            assert await db.fetchval("SHOW synchronous_commit") == "on"

            async with db.transaction() as conn:
                await limiter.hit(limit, "u-4", now)
                assert await conn.fetchval("SHOW synchronous_commit") == "on"
            assert await db.fetchval("SELECT count FROM rate_limits WHERE counter LIKE 'submit:u-4:%'") == 2
        finally:
            await db.close()
