"""PostgreSQL wiring (asyncpg): one database and one role per service (docs/decisions/0011-postgresql.md).

`Database` holds the service's connection pool. Work that must commit together runs in
`async with db.transaction() as conn:`; a transaction opened while another is open in the same task
(a consumer's, say: its effects and its inbox row commit together, shared.inbox) joins the outer one as
a savepoint instead of opening a second, so repositories need not know whether a caller holds one.

JSONB columns take and give Python values (dicts, lists); timestamptz columns give aware datetimes.
"""

import asyncio
import json
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from contextvars import ContextVar
from datetime import date, datetime
from typing import Any

import asyncpg

from shared.logs import get_logger

log = get_logger(__name__)

# Errors that mean "the database is not reachable right now", not "this statement is wrong".
UNAVAILABLE = (
    OSError,
    asyncpg.PostgresConnectionError,
    asyncpg.CannotConnectNowError,
    asyncpg.TooManyConnectionsError,
    asyncpg.InterfaceError,
    asyncpg.AdminShutdownError,
)

_ambient: ContextVar[asyncpg.Connection | None] = ContextVar("fiscaldesk_db_transaction", default=None)


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bytes | bytearray):
        raise TypeError("bytes belong in a bytea column, not in JSONB")
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json")
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=_json_default, separators=(",", ":"))


async def _reset_connection(conn: asyncpg.Connection) -> None:
    """What a pooled connection needs before its next use. Nothing here leaves session state on one: no SET,
    LISTEN or session-level advisory lock (the outbox relay and notify's wake-ups have connections of their
    own; the audit's lock is the transaction's), so a rollback of a transaction left open is all, instead of
    asyncpg's default `pg_advisory_unlock_all(); CLOSE ALL; UNLISTEN *; RESET ALL` round trip per release."""
    if conn.is_in_transaction():
        await conn.execute("ROLLBACK")


async def _init_connection(conn: asyncpg.Connection) -> None:
    for name in ("json", "jsonb"):
        await conn.set_type_codec(name, encoder=dumps, decoder=json.loads, schema="pg_catalog")


class Database:
    """The service's pool; nothing connects before `connect()` (called in the FastAPI lifespan)."""

    def __init__(
        self, url: str, *, min_size: int = 1, max_size: int = 10, server_settings: dict[str, str] | None = None
    ) -> None:
        self.url = url
        self._min_size = min_size
        self._max_size = max_size
        # Set on every connection at connect time (not by SET, so the pool's reset keeps them).
        self._server_settings = server_settings
        self._pool: asyncpg.Pool | None = None

    @property
    def pool(self) -> asyncpg.Pool:
        if self._pool is None:
            raise RuntimeError("the database is not connected yet (Database.connect runs at start)")
        return self._pool

    async def connect(self, timeout: float = 60.0) -> None:
        """Open the pool, waiting for the server while it comes up instead of crashing."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                self._pool = await asyncpg.create_pool(
                    self.url,
                    min_size=self._min_size,
                    max_size=self._max_size,
                    init=_init_connection,
                    reset=_reset_connection,
                    command_timeout=60,
                    server_settings=self._server_settings,
                )
                return
            except UNAVAILABLE as error:
                if time.monotonic() > deadline:
                    raise
                log.warning("database not ready", error=repr(error))
                await asyncio.sleep(1)

    async def close(self) -> None:
        if self._pool is not None:
            await self._pool.close()
            self._pool = None

    async def ping(self) -> bool:
        return await self.fetchval("SELECT 1") == 1

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[asyncpg.Connection]:
        """One transaction; inside another of this task it becomes a savepoint of that one, so all commits
        together with the outer transaction (or not at all), and an error caught around the inner block
        leaves the outer one usable."""
        outer = _ambient.get()
        if outer is not None:
            async with outer.transaction():
                yield outer
            return
        async with self.pool.acquire() as conn, conn.transaction():
            token = _ambient.set(conn)
            try:
                yield conn
            finally:
                _ambient.reset(token)

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[asyncpg.Connection]:
        """The open transaction's connection if there is one, else one from the pool (autocommit)."""
        outer = _ambient.get()
        if outer is not None:
            yield outer
            return
        async with self.pool.acquire() as conn:
            yield conn

    async def execute(self, sql: str, *args: Any) -> str:
        async with self.connection() as conn:
            return await conn.execute(sql, *args)

    async def executemany(self, sql: str, args: list[tuple]) -> None:
        async with self.connection() as conn:
            await conn.executemany(sql, args)

    async def fetch(self, sql: str, *args: Any) -> list[asyncpg.Record]:
        async with self.connection() as conn:
            return await conn.fetch(sql, *args)

    async def fetchrow(self, sql: str, *args: Any) -> asyncpg.Record | None:
        async with self.connection() as conn:
            return await conn.fetchrow(sql, *args)

    async def fetchval(self, sql: str, *args: Any) -> Any:
        async with self.connection() as conn:
            return await conn.fetchval(sql, *args)


def in_transaction() -> bool:
    return _ambient.get() is not None


def affected(status: str) -> int:
    """Rows an INSERT/UPDATE/DELETE touched, from asyncpg's status string ("UPDATE 1")."""
    try:
        return int(status.rsplit(" ", 1)[-1])
    except ValueError:
        return 0
