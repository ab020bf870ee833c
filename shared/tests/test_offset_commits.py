"""Offsets committed together (shared.bus.OffsetCommits), against the test stack's Kafka and PostgreSQL: a
consumer never commits past a message it is still handling, commits what it handled within moments, and a
consumer that stops before committing loses nothing and repeats nothing (the next one reads the messages
again and the inbox drops them)."""

import asyncio
import time
from collections import Counter
from collections.abc import AsyncIterator
from uuid import uuid4

import pytest
from aiokafka.admin import AIOKafkaAdminClient

from infra.launcher import Stack
from shared.bus import Consumers, ensure_topics, make_broker
from shared.db import Database
from shared.events import SYSTEM, RequirementForwarded
from shared.events.base import Envelope
from shared.inbox import Inbox
from shared.outbox import OutboxWriter
from shared.topics import Topics
from tests.databases import scratch_database

pytestmark = pytest.mark.e2e


@pytest.fixture
async def database(stack: Stack) -> AsyncIterator[Database]:
    async with scratch_database(stack.admin_database_url, "notify") as url:
        db = Database(url)
        await db.connect()
        yield db
        await db.close()


def forwarded(n: int) -> dict:
    event = RequirementForwarded(
        ticket_id=f"REQ-202612-{n:08d}", task_id=f"t{n}", level="county", division_code="150102", next_level="city"
    )
    [entry] = OutboxWriter(Topics("x"), source="/tests").entries([event], actor=SYSTEM)
    return entry["envelope"]


async def publish(stack: Stack, topic: str, count: int) -> None:
    broker = make_broker(stack.kafka_bootstrap, client_id="test-producer")
    await broker.start()
    try:
        for n in range(count):
            await broker.publish(forwarded(n), topic=topic, key=f"k{n % 5}".encode())
    finally:
        await broker.stop()


async def committed(stack: Stack, topic: str, group: str) -> int:
    """The offsets the group has committed, summed over the topic's partitions."""
    admin = AIOKafkaAdminClient(bootstrap_servers=stack.kafka_bootstrap)
    await admin.start()
    try:
        offsets = await admin.list_consumer_group_offsets(group)
    finally:
        await admin.close()
    return sum(meta.offset for partition, meta in offsets.items() if partition.topic == topic and meta.offset > 0)


async def until(check, deadline: float = 30.0):
    end = time.monotonic() + deadline
    while True:
        value = await check()
        if value or time.monotonic() > end:
            return value
        await asyncio.sleep(0.1)


async def start_consumer(stack: Stack, db: Database, topic: str, group: str, handler, interval: float):
    broker = make_broker(stack.kafka_bootstrap, client_id=f"test-{group}")
    consumers = Consumers(broker, Inbox(db), Topics(topic.split(".")[0]), attempts=1, commit_interval=interval)
    consumers.subscribe(topic, group=group, handlers={"RequirementForwarded": handler})
    await broker.start()
    return broker, consumers


async def test_offsets_cover_only_handled_messages_and_are_committed_within_moments(
    stack: Stack, database: Database
) -> None:
    prefix = f"commits{uuid4().hex[:6]}"
    topic, group = f"{prefix}.review-events", f"{prefix}-group"
    await ensure_topics(stack.kafka_bootstrap, [topic])
    await publish(stack, topic, 30)
    handled: list[str] = []
    release = asyncio.Event()

    async def handle(envelope: Envelope) -> None:
        if len(handled) == 10:
            await release.wait()  # the 11th message is still being handled
        handled.append(envelope.subject)

    broker, _ = await start_consumer(stack, database, topic, group, handle, interval=0.1)
    try:
        assert await until(lambda: asyncio.sleep(0, len(handled) == 10))
        # Well past the commit interval: what is committed is the ten handled, not the position beyond them.
        assert await until(lambda: _equals(committed(stack, topic, group), 10))
        await asyncio.sleep(1.0)  # ten commit intervals, and still nothing beyond the message being handled
        assert await committed(stack, topic, group) == 10
        release.set()
        assert await until(lambda: _equals(committed(stack, topic, group), 30))
        assert len(handled) == 30
    finally:
        await broker.stop()


async def test_a_consumer_gone_before_its_commit_loses_nothing_and_the_next_repeats_nothing(
    stack: Stack, database: Database
) -> None:
    prefix = f"commits{uuid4().hex[:6]}"
    topic, group = f"{prefix}.review-events", f"{prefix}-group"
    await ensure_topics(stack.kafka_bootstrap, [topic])
    await publish(stack, topic, 20)
    runs: Counter[str] = Counter()

    async def handle(envelope: Envelope) -> None:
        runs[envelope.subject] += 1

    # A commit interval far longer than the test: the first consumer stops with nothing committed.
    broker, _ = await start_consumer(stack, database, topic, group, handle, interval=600)
    try:
        assert await until(lambda: asyncio.sleep(0, len(runs) == 20))
    finally:
        await broker.stop()
    assert await committed(stack, topic, group) == 0

    broker, consumers = await start_consumer(stack, database, topic, group, handle, interval=600)
    try:
        # The second reads all twenty again (nothing was committed: its commits reach 20 only once it has
        # read them all); the inbox drops each.
        assert await until(lambda: _equals(_flushed(consumers, stack, topic, group), 20))
    finally:
        await broker.stop()
    assert await database.fetchval("SELECT count(*) FROM inbox WHERE consumer = $1", group) == 20
    assert set(runs.values()) == {1}, "every event was handled once"
    assert await committed(stack, topic, group) == 20


async def _equals(value, expected: int) -> bool:
    return await value == expected


async def _flushed(consumers: Consumers, stack: Stack, topic: str, group: str) -> int:
    await consumers.flush()
    return await committed(stack, topic, group)
