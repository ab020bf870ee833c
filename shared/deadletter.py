"""Look at and replay what consumers gave up on (the dead-letter topic).

    python -m shared.deadletter list   [--bootstrap HOST:PORT] [--prefix fiscaldesk]
    python -m shared.deadletter replay [--bootstrap HOST:PORT] [--prefix fiscaldesk] [--group review] [--offset N]

Each dead-letter record holds the original message (topic, partition, offset, key, body), the consumer
group that failed and its error. `replay` publishes the original body again to its original topic with
its key; the consumers' inbox makes a replay of something that meanwhile succeeded harmless.

Against a Kafka with SASL/SCRAM and ACLs (docker-compose), give a principal that may read the dead-letter
topic and, for `replay`, write the original topics: FD_KAFKA_SECURITY_PROTOCOL=SASL_PLAINTEXT,
FD_KAFKA_SASL_MECHANISM=SCRAM-SHA-512, FD_KAFKA_USERNAME=admin, FD_KAFKA_PASSWORD=… (docs/operations-docker.md).
"""

import argparse
import asyncio
import json
import os
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.structs import TopicPartition
from faststream.security import BaseSecurity

from shared.bus import kafka_client_options, kafka_security
from shared.settings import Settings
from shared.topics import Topics


async def read_all(bootstrap: str, topic: str, security: BaseSecurity | None = None) -> list[dict[str, Any]]:
    """Every record on the dead-letter topic, oldest first (read without a consumer group)."""
    options = kafka_client_options(security)
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, **options)
    await admin.start()
    try:
        [description] = await admin.describe_topics([topic])
    finally:
        await admin.close()
    partitions = [TopicPartition(topic, p["partition"]) for p in description["partitions"]]
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, **options)
    await consumer.start()
    try:
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        ends = await consumer.end_offsets(partitions)
        records: list[dict[str, Any]] = []
        while [tp for tp in partitions if await consumer.position(tp) < ends[tp]]:
            batch = await consumer.getmany(timeout_ms=1000)
            for messages in batch.values():
                records.extend({**json.loads(m.value), "dead_letter_offset": m.offset} for m in messages)
        return sorted(records, key=lambda r: r["failed_at"])
    finally:
        await asyncio.sleep(0)  # aiokafka 0.14 raises CancelledError when stopped in the same tick
        await consumer.stop()


async def replay(bootstrap: str, records: list[dict[str, Any]], security: BaseSecurity | None = None) -> int:
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap, acks="all", enable_idempotence=True, **kafka_client_options(security)
    )
    await producer.start()
    try:
        for record in records:
            key = record["key"].encode() if record.get("key") else None
            await producer.send_and_wait(record["topic"], record["body"].encode(), key=key)
        return len(records)
    finally:
        await producer.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=["list", "replay"])
    parser.add_argument("--bootstrap", default=os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092"))
    parser.add_argument("--prefix", default=os.environ.get("FD_TOPIC_PREFIX", "fiscaldesk"))
    parser.add_argument("--group", help="only records this consumer group gave up on")
    parser.add_argument("--offset", type=int, help="only the record at this dead-letter offset")
    args = parser.parse_args()
    security = kafka_security(Settings())  # FD_KAFKA_SECURITY_PROTOCOL and the rest; PLAINTEXT if unset
    records = asyncio.run(read_all(args.bootstrap, Topics(args.prefix).dead_letter, security))
    records = [
        r
        for r in records
        if (args.group is None or r["group"] == args.group)
        and (args.offset is None or r["dead_letter_offset"] == args.offset)
    ]
    if args.command == "list":
        for r in records:
            print(f"{r['failed_at']}  {r['group']:<12} {r['topic']}@{r['offset']}  key={r['key']}  {r['error'][:120]}")
        print(f"{len(records)} dead-lettered message(s)")
    else:
        print(f"replayed {asyncio.run(replay(args.bootstrap, records, security))} message(s)")


if __name__ == "__main__":
    main()
