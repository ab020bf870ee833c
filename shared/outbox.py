"""The outbox: a state change and the events it produces are saved in one document write.

An aggregate document carries its not-yet-published events in its `outbox` array. The relay reads
documents with a non-empty outbox, publishes each event (Kafka key = ticket id) and then removes exactly
the entries it published with `$pullAll`. Nothing needs a multi-document transaction, so it works the
same on MongoDB and FerretDB. Publishing is at least once: a crash after publishing and before the
removal republishes the event, and consumers drop the duplicate by event id (shared.inbox).
Never publish to Kafka right after a database write instead: that is the dual-write bug.
"""

import asyncio
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from prometheus_client import Counter, Gauge
from pymongo.asynchronous.collection import AsyncCollection

from shared.events import Actor, Envelope, Event
from shared.logs import get_logger
from shared.store import IndexSpec
from shared.topics import Topics

log = get_logger(__name__)

OUTBOX_FIELD = "outbox"
PUBLISHED = Counter("fiscaldesk_outbox_published_total", "Events published by the outbox relay", ["type"])
PENDING = Gauge("fiscaldesk_outbox_pending", "Events waiting in outboxes at the last relay pass")

Publish = Callable[[str, str, dict[str, Any]], Awaitable[None]]


def outbox_index(collection: str) -> IndexSpec:
    return IndexSpec(collection, [(f"{OUTBOX_FIELD}.id", 1)], name="outbox_pending")


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


class OutboxRelay:
    """Publishes what the service's aggregates left in their outboxes; wakes at once after a save."""

    def __init__(self, collections: list[AsyncCollection], publish: Publish, interval: float) -> None:
        self._collections = collections
        self._publish = publish
        self._interval = interval
        self._wakeup = asyncio.Event()
        self._task: asyncio.Task | None = None

    def wake(self) -> None:
        self._wakeup.set()

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="outbox-relay")

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        # A last pass, so what was saved just before shutdown leaves now rather than at the next start.
        try:
            await asyncio.wait_for(self.flush(), timeout=5)
        except Exception as error:  # noqa: BLE001 - it will be published after the restart
            log.warning("outbox not flushed at shutdown", error=repr(error))

    async def _run(self) -> None:
        while True:
            try:
                await self.flush()
            except asyncio.CancelledError:
                raise
            except Exception as error:  # noqa: BLE001 - broker or database down: retry on the next pass
                log.warning("outbox relay pass failed", error=repr(error))
            try:
                await asyncio.wait_for(self._wakeup.wait(), timeout=self._interval)
            except TimeoutError:
                pass
            self._wakeup.clear()

    async def flush(self) -> int:
        """One pass over every collection; returns how many events were published."""
        published = 0
        pending = 0
        for collection in self._collections:
            async for doc in collection.find({f"{OUTBOX_FIELD}.0": {"$exists": True}}, {OUTBOX_FIELD: 1}):
                entries = doc[OUTBOX_FIELD]
                pending += len(entries)
                for entry in entries:
                    await self._publish(entry["topic"], entry["key"], entry["envelope"])
                    PUBLISHED.labels(entry["envelope"]["type"]).inc()
                await collection.update_one({"_id": doc["_id"]}, {"$pullAll": {OUTBOX_FIELD: entries}})
                published += len(entries)
        PENDING.set(pending - published)
        return published
