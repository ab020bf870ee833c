"""What every service has at run time: settings, its database, the broker, the outbox relay, the inbox.

Built once in the service's `bootstrap`; nothing connects until `start()` runs in the FastAPI lifespan.
"""

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiokafka.errors import KafkaError

from shared.auth import KeySet
from shared.bus import (
    Consumers,
    Handler,
    Record,
    Wants,
    ensure_topics,
    kafka_client_options,
    kafka_security,
    make_broker,
)
from shared.clock import Clock, clock_settings
from shared.db import Database
from shared.inbox import Inbox
from shared.logs import get_logger
from shared.migrate import upgrade
from shared.outbox import Outbox, OutboxRelay, OutboxWriter
from shared.periodic import PeriodicTask
from shared.sessions import RevokedSessions, SessionFollower
from shared.settings import Settings
from shared.topics import Topics

log = get_logger(__name__)
# A vendor's own topic's consumer: the body as it came, its record, and `vendor_id=` the topic's vendor.
VendorHandler = Callable[..., Awaitable[None]]


class Runtime:
    def __init__(self, settings: Settings) -> None:
        if not settings.database_url:
            raise RuntimeError("FD_DATABASE_URL is not set: the service's PostgreSQL database is needed")
        self.settings = settings
        self.topics = Topics(settings.topic_prefix)
        self.clock = Clock(settings.clock_start)
        # The service's own PostgreSQL database (decision 0011): its migrations run at start, consumers
        # record processed events in the same transaction as their effects (Inbox), and the relay
        # publishes what the changes' transactions wrote to the outbox table.
        self.database = Database(
            settings.database_url, max_size=settings.database_pool_size, server_settings=clock_settings(self.clock)
        )
        self.kafka_security = kafka_security(settings)
        self.broker = make_broker(
            settings.kafka_bootstrap_servers,
            client_id=settings.service_name,
            security=self.kafka_security,
            topic_discovery_seconds=settings.topic_discovery_seconds,
        )
        self.consumers = Consumers(
            self.broker,
            Inbox(self.database),
            self.topics,
            settings.consumer_attempts,
            settings.consumer_commit_seconds,
            settings.consumer_workers,
        )
        # `outbox.add(conn, events, ...)` inside a change's transaction; the writer only shapes the rows.
        self.outbox_writer = OutboxWriter(self.topics, source=f"/fiscaldesk/{settings.service_name}")
        self.outbox = Outbox(self.outbox_writer)
        self.keys = KeySet(settings.keys_dir, settings.private_key_file)
        self.background: list[PeriodicTask] = []
        self.relay = OutboxRelay(settings.database_url, self._publish_batch, settings.relay_interval_seconds)
        self.extra_topics: list[str] = []
        # Sessions the portal ended early, refused by current_principal (shared/sessions.py).
        self.revoked = RevokedSessions()
        self.session_follower = SessionFollower(
            settings.kafka_bootstrap_servers, self.topics.sessions, self.revoked,
            kafka_client_options(self.kafka_security),
        )  # fmt: skip

    def subscribe(
        self,
        *topics: str,
        group: str,
        handlers: dict[str, Handler],
        wants: Wants | None = None,
        pattern: str | None = None,
    ) -> None:
        self.consumers.subscribe(*topics, group=group, handlers=handlers, wants=wants, pattern=pattern)

    def subscribe_outside(self, pattern: str, *, group: str, handler: VendorHandler) -> None:
        """Vendors' own progress topics, by pattern: `handler(body, record, vendor_id=…)` checks every message
        itself, told whose topic it came on (whatever the message claims)."""

        async def from_vendor(body: Any, record: Record) -> None:
            await handler(body, record, vendor_id=self.topics.vendor_of(record.topic))

        self.consumers.subscribe_outside(pattern, group=group, handler=from_vendor)

    async def ensure_topics(self, names: list[str], *, strict: bool = False) -> None:
        """Create those of `names` that do not exist yet (a vendor's topics when the vendor appears; `strict`:
        raise when one could not be created)."""
        await ensure_topics(
            self.settings.kafka_bootstrap_servers,
            names,
            security=self.kafka_security,
            topics=self.topics,
            strict=strict,
        )

    async def _publish_batch(self, items: list[tuple[str, str, dict[str, Any]]]) -> None:
        """Hand every message to the producer in order, then wait for all confirmations (acks=all)."""
        pending = [
            await self.broker.publish(envelope, topic=topic, key=key.encode(), no_confirm=True)
            for topic, key, envelope in items
        ]
        await asyncio.gather(*pending)

    async def start(self) -> None:
        await self.database.connect()
        await upgrade(self.settings.service_name, self.settings.database_url)
        await self.ensure_topics([*self.topics.static, *self.extra_topics])
        await self._start_broker()
        await self.session_follower.start()
        self.relay.start()
        for task in self.background:
            await task.start()
        log.info("service started")

    async def _start_broker(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                await self.broker.start()
                return
            except (KafkaError, OSError) as error:
                if time.monotonic() > deadline:
                    raise
                log.warning("broker not ready", error=repr(error))
                await self.broker.stop()
                await asyncio.sleep(1)

    async def stop(self) -> None:
        for task in self.background:
            await task.stop()
        await self.relay.stop()
        await self.session_follower.stop()
        await self.consumers.flush()
        await self.broker.stop()
        await self.database.close()

    async def ready(self) -> dict[str, bool]:
        checks = {"database": False, "broker": False, "sessions": self.revoked.caught_up}
        try:
            checks["database"] = await asyncio.wait_for(self.database.ping(), timeout=2)
        except Exception:  # noqa: BLE001 - reported as not ready
            pass
        try:
            checks["broker"] = bool(await self.broker.ping(timeout=2))
        except Exception:  # noqa: BLE001 - reported as not ready
            pass
        return checks
