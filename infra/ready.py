"""Wait until Kafka and PostgreSQL answer real client calls (not a log line)."""

import argparse
import asyncio
import logging
import sys
import time

import asyncpg
from aiokafka.admin import AIOKafkaAdminClient


async def kafka_ready(bootstrap: str) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=3000)
    await admin.start()
    try:
        await admin.list_topics()
    finally:
        await admin.close()


async def postgres_ready(url: str) -> None:
    conn = await asyncpg.connect(url, timeout=3)
    try:
        await conn.fetchval("SELECT 1")
    finally:
        await conn.close()


async def wait(name: str, probe, deadline: float) -> None:
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        try:
            await probe()
            print(f"[infra] {name}: ready", file=sys.stderr)
            return
        except Exception as error:  # noqa: BLE001 - any failure means "not yet"
            last_error = error
            await asyncio.sleep(0.5)
    raise SystemExit(f"[infra] {name}: not ready ({last_error!r})")


async def main() -> None:
    logging.getLogger("aiokafka").setLevel(logging.CRITICAL)
    parser = argparse.ArgumentParser()
    parser.add_argument("--kafka", required=True)
    parser.add_argument("--postgres", required=True)
    parser.add_argument("--timeout", type=float, default=120)
    args = parser.parse_args()
    deadline = time.monotonic() + args.timeout
    await wait("postgres", lambda: postgres_ready(args.postgres), deadline)
    await wait("kafka", lambda: kafka_ready(args.kafka), deadline)


if __name__ == "__main__":
    asyncio.run(main())
