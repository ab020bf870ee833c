"""The transactional outbox (decision 0011): a state change and the events it produces commit in one
transaction, as rows of the service's `outbox` table; the relay publishes them to Kafka and deletes them.

Publishing is at least once: a crash after publishing and before the delete republishes the event, and
consumers drop the duplicate by event id (shared.inbox). Never publish to Kafka right after a database write
instead: that is the dual-write bug.
"""

import asyncio
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from prometheus_client import Counter, Gauge

from shared.events import Actor, Envelope, Event
from shared.logs import get_logger
from shared.periodic import wait_for_wakeup
from shared.topics import Topics

log = get_logger(__name__)

PUBLISHED = Counter("fiscaldesk_outbox_published_total", "Events published by the outbox relay", ["type"])
PENDING = Gauge("fiscaldesk_outbox_pending", "Events waiting in outboxes at the last relay pass")


class OutboxWriter:
    """Turns domain events into outbox entries for the write that records the state change."""

    def __init__(self, topics: Topics, source: str) -> None:
        self._topics = topics
        self._source = source

    def entries(
        self,
        events: Iterable[Event],
        *,
        actor: Actor,
        correlation_id: str | None = None,
        causation: Envelope | None = None,
    ) -> list[dict[str, Any]]:
        entries = []
        for event in events:
            envelope = Envelope.wrap(
                event, source=self._source, actor=actor, correlation_id=correlation_id, causation=causation
            )
            entries.append(
                {
                    "id": envelope.id,
                    "topic": self._topics.for_event(event),
                    "key": envelope.subject,
                    "envelope": envelope.model_dump(mode="json"),
                }
            )
        return entries


OUTBOX_CHANNEL = "fiscaldesk_outbox"
RELAY_LOCK = 0x6F7574626F78  # pg_advisory_lock key of the one active relay of a service's database
RELAY_BATCH = 500

RELAY_ACTIVE = Gauge("fiscaldesk_outbox_relay_active", "1 when this instance holds its service's relay lock")


class Outbox:
    """Writes a state change's events as outbox rows, on the connection of the change's transaction.

    The table's trigger (shared.schema) sends NOTIFY on commit, which wakes the service's relay at once.
    """

    def __init__(self, writer: OutboxWriter) -> None:
        self._writer = writer

    async def add(
        self,
        conn: Any,
        events: Iterable[Event],
        *,
        actor: Actor,
        correlation_id: str | None = None,
        causation: Envelope | None = None,
    ) -> int:
        """Insert the events' rows (in order); returns how many. Must run inside the change's transaction."""
        entries = self._writer.entries(events, actor=actor, correlation_id=correlation_id, causation=causation)
        rows = [(e["id"], e["topic"], e["key"], e["envelope"]) for e in entries]
        if len(rows) == 1:
            await conn.execute(INSERT_OUTBOX, *rows[0])
        elif rows:
            await conn.executemany(INSERT_OUTBOX, rows)
        return len(rows)

    def entries(
        self,
        events: Iterable[Event],
        *,
        actor: Actor,
        correlation_id: str | None = None,
        causation: Envelope | None = None,
    ) -> list[dict[str, Any]]:
        """The events' rows for a statement that writes them itself (`inserting_rows`), in order."""
        return self._writer.entries(events, actor=actor, correlation_id=correlation_id, causation=causation)


INSERT_OUTBOX = "INSERT INTO outbox (event_id, topic, key, envelope) VALUES ($1, $2, $3, $4)"


def inserting_rows(entries_arg: str, *, when: str = "true") -> str:
    """An INSERT of outbox rows given as one jsonb array argument (`entries_arg`, e.g. "$9", of
    `Outbox.entries`), in their order, only `when` a condition holds: the tail of a data-modifying CTE, so a
    new row and its events are one statement, one round trip, instead of BEGIN, two INSERTs and COMMIT. Its
    own statement is its transaction; the outbox trigger wakes the relay on its commit as on any other."""
    return (
        "INSERT INTO outbox (event_id, topic, key, envelope)"
        " SELECT e.entry->>'id', e.entry->>'topic', e.entry->>'key', e.entry->'envelope'"
        f" FROM jsonb_array_elements({entries_arg}::jsonb) WITH ORDINALITY AS e(entry, n) WHERE {when} ORDER BY e.n"
    )


class OutboxRelay:
    """Publishes the outbox rows of one service's database, in the order they were written.

    One relay of a service is active at a time: the instance holding the advisory lock (RELAY_LOCK) on its
    own connection. The others wait and take over within `interval` seconds when that connection (or its
    process) dies. The active one LISTENs on OUTBOX_CHANNEL, so a commit wakes it at once; it also looks
    every `interval` seconds in case a notification was missed. Rows are published in batches (each ticket's
    events keep their order: one relay, rows by position, Kafka key = ticket id) and deleted only after
    Kafka confirmed them; a crash in between republishes, and consumers drop the duplicate (inbox).
    """

    def __init__(self, url: str, publish_batch: "PublishBatch", interval: float) -> None:
        self._url = url
        self._publish_batch = publish_batch
        self._interval = interval
        self._wakeup = asyncio.Event()
        self._task: asyncio.Task | None = None
        self._conn: Any = None
        self._stopping = False
        self.active = False

    def wake(self) -> None:
        self._wakeup.set()

    def start(self) -> None:
        self._stopping = False
        self._task = asyncio.create_task(self._run(), name="outbox-relay")

    async def stop(self) -> None:
        # The flag ends the loop even if a driver's own wait swallows the cancellation.
        self._stopping = True
        if self._task:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        if self._conn is not None and self.active:
            # A last pass, so what was saved just before shutdown leaves now rather than after a takeover.
            try:
                await asyncio.wait_for(self.flush(), timeout=5)
            except Exception as error:  # noqa: BLE001 - it will be published by the next active relay
                log.warning("outbox not flushed at shutdown", error=repr(error))
        await self._disconnect()

    async def _disconnect(self) -> None:
        conn, self._conn = self._conn, None
        self.active = False
        RELAY_ACTIVE.set(0)
        if conn is not None:
            try:
                await asyncio.wait_for(conn.close(), timeout=2)
            except Exception:  # noqa: BLE001 - a dead connection: the server dropped the lock with it
                conn.terminate()

    async def _acquire(self) -> bool:
        import asyncpg

        from shared.db import _init_connection

        if self._conn is None or self._conn.is_closed():
            self._conn = await asyncpg.connect(self._url)
            await _init_connection(self._conn)
        if await self._conn.fetchval("SELECT pg_try_advisory_lock($1)", RELAY_LOCK):
            await self._conn.add_listener(OUTBOX_CHANNEL, lambda *_: self._wakeup.set())
            self.active = True
            RELAY_ACTIVE.set(1)
            log.info("outbox relay active")
            return True
        return False

    async def _run(self) -> None:
        while not self._stopping:
            try:
                if not self.active and not await self._acquire():
                    await self._sleep()
                    continue
                while await self.flush() == RELAY_BATCH:
                    pass
            except asyncio.CancelledError:
                raise
            except Exception as error:  # noqa: BLE001 - broker or database down: retry on the next pass
                log.warning("outbox relay pass failed", error=repr(error))
                if self._conn is None or self._conn.is_closed():
                    await self._disconnect()
            await self._sleep()

    async def _sleep(self) -> None:
        await wait_for_wakeup(self._wakeup, self._interval)

    async def flush(self) -> int:
        """Publish one batch of the oldest rows and delete them; returns how many were published."""
        if not self.active or self._conn is None:
            return 0
        rows = await self._conn.fetch(
            "SELECT position, topic, key, envelope FROM outbox ORDER BY position LIMIT $1", RELAY_BATCH
        )
        if not rows:
            PENDING.set(0)
            return 0
        await self._publish_batch([(row["topic"], row["key"], row["envelope"]) for row in rows])
        await self._conn.execute("DELETE FROM outbox WHERE position = ANY($1::bigint[])", [r["position"] for r in rows])
        for row in rows:
            PUBLISHED.labels(row["envelope"]["type"]).inc()
        PENDING.set(len(rows) if len(rows) == RELAY_BATCH else 0)
        return len(rows)


PublishBatch = Callable[[list[tuple[str, str, dict[str, Any]]]], Awaitable[None]]
