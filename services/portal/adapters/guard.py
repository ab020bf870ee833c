"""Wrong passwords counted per key ("<name>@<source>" and "<name>"), atomically for every portal instance,
and the locks they earn (LockoutPolicy decides when and how long). A name that does not exist is counted
like one that does."""

from datetime import datetime

from services.portal.domain import LockoutPolicy
from shared.db import Database
from shared.events import SYSTEM, SignInLocked
from shared.outbox import Outbox

FAIL = """
INSERT INTO sign_in_failures (key, failures, locks, locked_until, last_failure_at) VALUES ($1, 1, 0, NULL, $2)
ON CONFLICT (key) DO UPDATE SET
    failures = CASE WHEN sign_in_failures.last_failure_at < $3 THEN 1 ELSE sign_in_failures.failures + 1 END,
    locks = CASE WHEN sign_in_failures.last_failure_at < $3 THEN 0 ELSE sign_in_failures.locks END,
    last_failure_at = $2
RETURNING failures, locks
"""


class SignInGuard:
    def __init__(self, db: Database, policy: LockoutPolicy, outbox: Outbox | None = None) -> None:
        """`outbox` announces every lock (SignInLocked, for the audit trail) in the lock's transaction."""
        self._db = db
        self.policy = policy
        self._outbox = outbox

    async def locked_until(self, keys: list[str], now: datetime) -> datetime | None:
        """The latest lock of any of the keys still running (primary-key lookups)."""
        return await self._db.fetchval(
            "SELECT max(locked_until) FROM sign_in_failures WHERE key = ANY($1::text[]) AND locked_until > $2",
            keys,
            now,
        )

    async def fail(
        self, key: str, scope: str, now: datetime, *, username: str = "", source: str = ""
    ) -> datetime | None:
        """Count one more wrong password for the key; the end of the lock it earned, if it earned one. One
        transaction: the upsert holds the row until the lock is written, so concurrent failures are counted
        one after another and a limit reached once earns one lock."""
        memory = now - self.policy.memory
        async with self._db.transaction() as conn:
            failures, locks = await self._db.fetchrow(FAIL, key, now, memory)
            until = self.policy.lock_after(failures, now, locks_before=locks, scope=scope)
            if until is not None:
                await self._db.fetchval(
                    "UPDATE sign_in_failures SET locked_until = $2, locks = locks + 1, failures = 0"
                    " WHERE key = $1 RETURNING locks",
                    key,
                    until,
                )
                if self._outbox is not None:
                    locked = SignInLocked(username=username or key, source=source, scope=scope, until=until)
                    await self._outbox.add(conn, [locked], actor=SYSTEM)
        if failures == 1:  # a fresh count sweeps the rows nobody failed on for a day (an indexed range)
            await self._db.fetchval(
                "WITH gone AS (DELETE FROM sign_in_failures WHERE last_failure_at < $1"
                " AND (locked_until IS NULL OR locked_until < $2) RETURNING 1) SELECT count(*) FROM gone",
                memory,
                now,
            )
        return until

    async def clear(self, keys: list[str]) -> None:
        """A right password: the counts and locks of its keys are gone."""
        await self._db.fetchval(
            "WITH gone AS (DELETE FROM sign_in_failures WHERE key = ANY($1::text[]) RETURNING 1)"
            " SELECT count(*) FROM gone",
            keys,
        )


def keys_of(username: str, source: str) -> tuple[str, str]:
    """The user name as typed (trimmed, case-folded) from this source, and from anywhere."""
    name = username.strip().casefold()
    return f"{name}@{source}", name
