"""Rate limits shared by every instance of a service: fixed windows counted in the database.

A counter row per (key, window) is incremented by one atomic statement, so two instances behind a load
balancer count together. Used for sign-in attempts and submissions per user.
"""

from dataclasses import dataclass
from datetime import datetime

from shared.db import Database, in_transaction
from shared.errors import DomainError


class RateLimited(DomainError):
    status_code = 429

    def __init__(self, retry_after: int) -> None:
        super().__init__("rate_limited", f"操作过于频繁，请 {retry_after} 秒后再试 (too many requests)")
        self.retry_after = retry_after


@dataclass(frozen=True)
class Limit:
    name: str
    requests: int
    window_seconds: int


RATE_LIMITS_TABLE = """
CREATE TABLE rate_limits (
    counter text PRIMARY KEY,
    count integer NOT NULL,
    expires bigint NOT NULL
)
"""
RATE_LIMITS_INDEX = "CREATE INDEX rate_limits_expires ON rate_limits (expires)"

HIT = """
INSERT INTO rate_limits (counter, count, expires) VALUES ($1, 1, $2)
ON CONFLICT (counter) DO UPDATE SET count = rate_limits.count + 1
RETURNING count
"""

# The same hit, committed without waiting for its WAL to reach the disk: `set_config(…, true)` lasts until the
# end of this statement's own transaction, whose commit is the one it relaxes. A counter is a safeguard, not a
# record: a crash of PostgreSQL can forget the hits of its last fraction of a second (up to three
# wal_writer_delay), which lets a user a few more tries, never fewer. Waiting for the flush made every hit cost
# a disk write, and made hits on one counter (one user's submissions from several tabs, a bench's single
# account) queue one fsync each behind the row lock.
HIT_UNFLUSHED = """
WITH unflushed AS (SELECT set_config('synchronous_commit', 'off', true))
INSERT INTO rate_limits (counter, count, expires) SELECT $1, 1, $2 FROM unflushed
ON CONFLICT (counter) DO UPDATE SET count = rate_limits.count + 1
RETURNING count
"""


class RateLimiter:
    """Fixed windows counted by one `INSERT … ON CONFLICT DO UPDATE … RETURNING` per hit: atomic, so every
    instance of a service counts together. Each service keeps its own `rate_limits` table (its migration
    creates it from RATE_LIMITS_TABLE and RATE_LIMITS_INDEX)."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def hit(self, limit: Limit, key: str, now: datetime) -> None:
        """Count one request for `key`; raise RateLimited when the window's allowance is used up."""
        epoch = int(now.timestamp())
        window = epoch - epoch % limit.window_seconds
        # Inside a caller's transaction the relaxed commit would be that transaction's: count plainly there.
        statement = HIT if in_transaction() else HIT_UNFLUSHED
        count = await self._db.fetchval(statement, f"{limit.name}:{key}:{window}", window + limit.window_seconds)
        if count == 1:
            # The first hit of a window sweeps the counters of windows that have ended (an indexed range).
            await self._db.execute("DELETE FROM rate_limits WHERE expires < $1", epoch)
        if count > limit.requests:
            raise RateLimited(retry_after=window + limit.window_seconds - epoch)
