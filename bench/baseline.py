"""The raw baseline: the same durable work with plain asyncpg and aiokafka, no fiscaldesk code.

    insert a submission and its outbox row in one transaction → produce an event (acks=all, idempotent)
    → a consumer in its own process (group id, commit after the insert) → insert a receipt

The consumer runs as a separate process, as notify does, so it does not share a CPU and an event loop
with the load generator: `python -m bench.baseline consume ...` (started and stopped by `Baseline`).
The event is produced right after the commit, by the same task (no relay, no LISTEN/NOTIFY, no inbox): the
cheapest path that still writes what fiscaldesk writes, the floor the skeleton's outbox relay, inbox and
second hop are compared with.
"""

import argparse
import asyncio
import json
import signal
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from uuid import uuid4

import asyncpg
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError

from bench.measure import SEEN, stage_percentiles
from infra.launcher import with_database
from shared.topics import SPECS

ROOT = Path(__file__).resolve().parent.parent
PARTITIONS = SPECS["requirements"].partitions  # as fiscaldesk's topic, so both spread keys the same way


GROUP = "bench-baseline"
STAGES = ["insert sent", "inserted", "produced (acks=all)", "receipt inserted", SEEN]
# The same fields a requirement carries, so documents and events are of a similar size.
BODY = {
    "category": "optimisation",
    "title": "指标查询增加导出功能",
    "description": "在指标查询界面增加按条件导出 Excel 的功能，便于核对年度指标。",
    "urgency": "normal",
    "org": {"id": "bu-150102-01", "name": "新城区教育局", "path": ["15", "1501", "150102"]},
}


class Baseline:
    """Load side of the baseline (runs in the benchmark's process) and owner of the consumer process."""

    name = "baseline"
    groups = frozenset({GROUP})

    def __init__(self, bootstrap: str, admin_url: str, db_prefix: str, topic: str, log_path: Path) -> None:
        self._bootstrap = bootstrap
        # Two databases on the same server, as two fiscaldesk services have.
        self._source_url = with_database(admin_url, f"{db_prefix}_baseline_source")
        self._sink_url = with_database(admin_url, f"{db_prefix}_baseline_sink")
        self._admin_url = admin_url
        self._topic = topic
        self._log_path = log_path
        self._source: asyncpg.Pool | None = None
        self._sink: asyncpg.Pool | None = None
        self._producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True)
        self._consumer: asyncio.subprocess.Process | None = None
        self.stamps: dict[str, dict[str, float]] = {}

    async def start(self) -> None:
        await create_databases(self._admin_url, [self._source_url, self._sink_url])
        # As many connections as fiscaldesk's intake has (shared.settings.database_pool_size).
        self._source = await asyncpg.create_pool(self._source_url, min_size=2, max_size=10)
        self._sink = await asyncpg.create_pool(self._sink_url, min_size=1, max_size=2)
        await create_topic(self._bootstrap, self._topic)
        await self._producer.start()
        self._log_path.parent.mkdir(parents=True, exist_ok=True)
        with self._log_path.open("ab") as log:  # the child keeps its own copy of the descriptor
            self._consumer = await asyncio.create_subprocess_exec(
                sys.executable,
                *("-m", "bench.baseline", "consume", self._bootstrap, self._sink_url, self._topic),
                cwd=ROOT,
                stdout=log,
                stderr=log,
            )

    async def submit(self, index: int) -> tuple[str, float]:
        doc_id = uuid4().hex
        sent_at = time.time()
        event = {"id": uuid4().hex, "type": "BaselineSubmitted", "subject": doc_id, "data": BODY}
        payload = json.dumps(event, ensure_ascii=False)
        async with self._source.acquire() as conn, conn.transaction():
            await conn.execute(
                "INSERT INTO submissions (id, doc, submitted_at) VALUES ($1, $2::jsonb, $3)",
                doc_id,
                json.dumps(BODY, ensure_ascii=False),
                datetime.now(UTC),
            )
            position = await conn.fetchval(
                "INSERT INTO outbox (topic, key, envelope) VALUES ($1, $2, $3::jsonb) RETURNING position",
                self._topic,
                doc_id,
                payload,
            )
        accepted_at = time.time()  # the row and its event are committed: what intake's 201 stands for
        await self._producer.send_and_wait(self._topic, payload.encode(), key=doc_id.encode())
        await self._source.execute("DELETE FROM outbox WHERE position = $1", position)
        self.stamps[doc_id] = {STAGES[0]: sent_at, STAGES[1]: accepted_at, STAGES[2]: time.time()}
        return doc_id, accepted_at

    async def completions(self, since: datetime) -> set[str]:
        rows = await self._sink.fetch("SELECT id FROM receipts WHERE created_at >= $1", since)
        return {row["id"] for row in rows}

    async def pending(self) -> int:
        return 0  # no outbox: the event is produced before `submit` returns

    async def breakdown(self) -> dict[str, dict[str, float | None]]:
        rows = await self._sink.fetch(
            "SELECT id, created_at FROM receipts WHERE id = ANY($1::text[])", list(self.stamps)
        )
        for row in rows:
            self.stamps[row["id"]][STAGES[3]] = row["created_at"].timestamp()
        return stage_percentiles(self.stamps, STAGES)

    async def close(self) -> None:
        if self._consumer and self._consumer.returncode is None:
            self._consumer.terminate()
            try:
                await asyncio.wait_for(self._consumer.wait(), timeout=20)
            except TimeoutError:
                self._consumer.kill()
                await self._consumer.wait()
        await self._producer.stop()
        for pool in (self._source, self._sink):
            if pool is not None:
                await pool.close()


SCHEMA = {
    "source": [
        "CREATE TABLE IF NOT EXISTS submissions (id text PRIMARY KEY, doc jsonb NOT NULL, submitted_at timestamptz)",
        "CREATE TABLE IF NOT EXISTS outbox (position bigserial PRIMARY KEY, topic text, key text, envelope jsonb)",
    ],
    "sink": [
        "CREATE TABLE IF NOT EXISTS receipts (id text PRIMARY KEY, event_id text NOT NULL, created_at timestamptz)",
        "CREATE INDEX IF NOT EXISTS receipts_created_at ON receipts (created_at)",
    ],
}


async def create_databases(admin_url: str, urls: list[str]) -> None:
    admin = await asyncpg.connect(admin_url)
    try:
        for url in urls:
            name = url.rsplit("/", 1)[1]
            if not await admin.fetchval("SELECT true FROM pg_database WHERE datname = $1", name):
                await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    for url, role in zip(urls, ("source", "sink"), strict=True):
        conn = await asyncpg.connect(url)
        try:
            for statement in SCHEMA[role]:
                await conn.execute(statement)
        finally:
            await conn.close()


async def create_topic(bootstrap: str, topic: str) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(topic, num_partitions=PARTITIONS, replication_factor=1)])
    except TopicAlreadyExistsError:
        pass
    finally:
        await admin.close()


async def consume(bootstrap: str, url: str, topic: str) -> None:
    """Receive each event, insert its receipt, then commit its offset: at least once, like fiscaldesk."""
    conn = await asyncpg.connect(url)
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=bootstrap, group_id=GROUP, enable_auto_commit=False, auto_offset_reset="earliest"
    )
    await consumer.start()
    try:
        async for message in consumer:
            event = json.loads(message.value)
            # The submission id as key makes a redelivered event (crash before the commit) harmless.
            await conn.execute(
                "INSERT INTO receipts (id, event_id, created_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
                event["subject"],
                event["id"],
                utcnow(),
            )
            await consumer.commit()
    finally:
        await consumer.stop()
        await conn.close()


def utcnow() -> datetime:
    return datetime.now(UTC)


async def _consume_until_terminated(args: argparse.Namespace) -> None:
    """SIGTERM cancels the consumer, so it leaves its group at once and the next run does not wait."""
    task = asyncio.create_task(consume(args.bootstrap, args.url, args.topic))
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, task.cancel)
    try:
        await task
    except asyncio.CancelledError:
        pass


def main() -> None:
    parser = argparse.ArgumentParser(description="The baseline's consumer process (started by bench.run).")
    parser.add_argument("command", choices=["consume"])
    for name in ("bootstrap", "url", "topic"):
        parser.add_argument(name)
    asyncio.run(_consume_until_terminated(parser.parse_args()))


if __name__ == "__main__":
    main()
