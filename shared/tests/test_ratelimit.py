"""Rate-limit counters on the store that runs (FerretDB): concurrent first hits all count, none fails."""

import asyncio
from datetime import UTC, datetime
from uuid import uuid4

import pytest
from pymongo import AsyncMongoClient

from infra.launcher import Stack
from shared.ratelimit import Limit, RateLimited, RateLimiter
from shared.store import DocumentLocks, SerializedCollection


async def test_concurrent_first_hits_of_a_window_all_count_and_the_limit_holds(stack: Stack) -> None:
    client = AsyncMongoClient(stack.mongodb_url, tz_aware=True)
    try:
        counters = client[f"{stack.db_prefix}_ratelimit"][f"limits_{uuid4().hex[:8]}"]
        limiter = RateLimiter(SerializedCollection(counters, DocumentLocks()))  # as Runtime.serialized gives it
        limit, now = Limit("submit", 15, 3600), datetime.now(UTC)
        outcomes = await asyncio.gather(*(limiter.hit(limit, "u-1", now) for _ in range(20)), return_exceptions=True)
        assert [o for o in outcomes if not isinstance(o, RateLimited | type(None))] == []
        assert sum(isinstance(o, RateLimited) for o in outcomes) >= 5  # at most 15 of 20 pass
        with pytest.raises(RateLimited):
            await limiter.hit(limit, "u-1", now)
    finally:
        await client.close()
