"""The raw baseline: the same durable work with plain pymongo and aiokafka, no fiscaldesk code.

    insert a submission → produce an event (acks=all, idempotent) → a consumer in its own process
    (group id, commit after the insert) → insert a receipt

The consumer runs as a separate process, as notify does, so it does not share a CPU and an event loop
with the load generator: `python -m bench.baseline consume ...` (started and stopped by `Baseline`).
It is a naive dual write (insert, then produce) on purpose: the cheapest correct-looking path, the
floor the skeleton's outbox, inbox and second hop are compared with.
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

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError
from pymongo import AsyncMongoClient
from pymongo.errors import DuplicateKeyError

from bench.measure import SEEN, stage_percentiles

ROOT = Path(__file__).resolve().parent.parent
PARTITIONS = 3  # as many as fiscaldesk's topics, so both spread keys the same way
SUBMISSIONS = "submissions"
RECEIPTS = "receipts"
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

    def __init__(self, bootstrap: str, mongodb_url: str, db_prefix: str, topic: str, log_path: Path) -> None:
        self._bootstrap = bootstrap
        self._mongodb_url = mongodb_url
        # Two databases, as two fiscaldesk services have: FerretDB keeps each database in its own SQLite
        # file, so the producer's and the consumer's writes do not queue for one file's write lock.
        self._source_db = f"{db_prefix}_baseline_source"
        self._sink_db = f"{db_prefix}_baseline_sink"
        self._topic = topic
        self._log_path = log_path
        self._mongo: AsyncMongoClient = AsyncMongoClient(mongodb_url, tz_aware=True)
        self._producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True)
        self._consumer: asyncio.subprocess.Process | None = None
        self.stamps: dict[str, dict[str, float]] = {}

    async def start(self) -> None:
        await create_topic(self._bootstrap, self._topic)
        await self._producer.start()
        self._log_path.parent.mkdir(parents=True, exist_ok=True)
        with self._log_path.open("ab") as log:  # the child keeps its own copy of the descriptor
            self._consumer = await asyncio.create_subprocess_exec(
                sys.executable,
                *("-m", "bench.baseline", "consume", self._bootstrap, self._mongodb_url, self._sink_db, self._topic),
                cwd=ROOT,
                stdout=log,
                stderr=log,
            )

    async def submit(self, index: int) -> tuple[str, float]:
        doc_id = uuid4().hex
        sent_at = time.time()
        await self._mongo[self._source_db][SUBMISSIONS].insert_one(
            {"_id": doc_id, **BODY, "submitted_at": datetime.now(UTC)}
        )
        accepted_at = time.time()  # the document is stored: what intake's 201 stands for
        event = {"id": uuid4().hex, "type": "BaselineSubmitted", "subject": doc_id, "data": BODY}
        await self._producer.send_and_wait(self._topic, json.dumps(event).encode(), key=doc_id.encode())
        self.stamps[doc_id] = {STAGES[0]: sent_at, STAGES[1]: accepted_at, STAGES[2]: time.time()}
        return doc_id, accepted_at

    async def completions(self, since: datetime) -> set[str]:
        cursor = self._mongo[self._sink_db][RECEIPTS].find({"created_at": {"$gte": since}}, {"_id": 1})
        return {doc["_id"] async for doc in cursor}

    async def pending(self) -> int:
        return 0  # no outbox: the event is produced before `submit` returns

    async def breakdown(self) -> dict[str, dict[str, float | None]]:
        cursor = self._mongo[self._sink_db][RECEIPTS].find({"_id": {"$in": list(self.stamps)}}, {"created_at": 1})
        async for doc in cursor:
            self.stamps[doc["_id"]][STAGES[3]] = doc["created_at"].timestamp()
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
        await self._mongo.close()


async def create_topic(bootstrap: str, topic: str) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(topic, num_partitions=PARTITIONS, replication_factor=1)])
    except TopicAlreadyExistsError:
        pass
    finally:
        await admin.close()


async def consume(bootstrap: str, mongodb_url: str, database: str, topic: str) -> None:
    """Receive each event, insert its receipt, then commit its offset: at least once, like fiscaldesk."""
    mongo: AsyncMongoClient = AsyncMongoClient(mongodb_url, tz_aware=True)
    receipts = mongo[database][RECEIPTS]
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=bootstrap, group_id=GROUP, enable_auto_commit=False, auto_offset_reset="earliest"
    )
    await consumer.start()
    try:
        async for message in consumer:
            event = json.loads(message.value)
            try:
                # The submission id as _id makes a redelivered event (crash before the commit) harmless.
                await receipts.insert_one({"_id": event["subject"], "event_id": event["id"], "created_at": utcnow()})
            except DuplicateKeyError:
                pass
            await consumer.commit()
    finally:
        await consumer.stop()
        await mongo.close()


def utcnow() -> datetime:
    return datetime.now(UTC)


async def _consume_until_terminated(args: argparse.Namespace) -> None:
    """SIGTERM cancels the consumer, so it leaves its group at once and the next run does not wait."""
    task = asyncio.create_task(consume(args.bootstrap, args.mongodb_url, args.database, args.topic))
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, task.cancel)
    try:
        await task
    except asyncio.CancelledError:
        pass


def main() -> None:
    parser = argparse.ArgumentParser(description="The baseline's consumer process (started by bench.run).")
    parser.add_argument("command", choices=["consume"])
    for name in ("bootstrap", "mongodb_url", "database", "topic"):
        parser.add_argument(name)
    asyncio.run(_consume_until_terminated(parser.parse_args()))


if __name__ == "__main__":
    main()
