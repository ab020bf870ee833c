"""What every service has at run time: settings, its database, the broker, the outbox relay, the inbox.

Built once in the service's `bootstrap`; nothing connects until `start()` runs in the FastAPI lifespan.
"""

import asyncio
import time
from typing import Any

from aiokafka.errors import KafkaError

from shared.auth import KeySet
from shared.bus import Consumers, Handler, Wants, ensure_topics, kafka_security, make_broker
from shared.clock import Clock
from shared.db import Database
from shared.inbox import INBOX, Inbox, PostgresInbox
from shared.inbox import INDEXES as INBOX_INDEXES
from shared.logs import get_logger
from shared.migrate import upgrade
from shared.outbox import Outbox, OutboxRelay, OutboxWriter, PostgresRelay, outbox_index
from shared.periodic import PeriodicTask
from shared.settings import Settings
from shared.store import DocumentLocks, IndexSpec, SerializedCollection, ensure_indexes, make_client, wait_for_database
from shared.topics import Topics

log = get_logger(__name__)


class Runtime:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.topics = Topics(settings.topic_prefix)
        self.clock = Clock(settings.clock_start)
        self.client = make_client(settings.mongodb_url)
        self.db = self.client[settings.database_name]
        self.kafka_security = kafka_security(settings)
        self.broker = make_broker(
            settings.kafka_bootstrap_servers, client_id=settings.service_name, security=self.kafka_security
        )
        self.inbox = Inbox(self.db[INBOX])
        self.consumers = Consumers(self.broker, self.inbox, self.topics, settings.consumer_attempts)
        self.outbox = OutboxWriter(self.topics, source=f"/fiscaldesk/{settings.service_name}")
        self.keys = KeySet(settings.keys_dir)
        self._indexes: list[IndexSpec] = list(INBOX_INDEXES)
        self.locks = DocumentLocks()
        self._aggregates: list[SerializedCollection] = []
        self.background: list[PeriodicTask] = []
        self.relay = OutboxRelay(self._aggregates, self._publish, settings.relay_interval_seconds)
        self.extra_topics: list[str] = []
        # PostgreSQL (decision 0011); a service moves to it with use_postgres() in its bootstrap.
        self.database: Database | None = None
        self.pg_outbox = Outbox(self.outbox)

    def use_postgres(self) -> Database:
        """Keep this service's state in its PostgreSQL database (FD_DATABASE_URL): its migrations run at
        start, consumers record processed events in the same transaction as their effects, and the outbox
        relay publishes from the outbox table. Call it before subscribing."""
        if not self.settings.database_url:
            raise RuntimeError("FD_DATABASE_URL is not set: the service's PostgreSQL database is needed")
        if self.database is None:
            self.database = Database(self.settings.database_url, max_size=self.settings.database_pool_size)
            self.consumers = Consumers(
                self.broker, PostgresInbox(self.database), self.topics, self.settings.consumer_attempts
            )
            self.relay = PostgresRelay(
                self.settings.database_url, self._publish_batch, self.settings.relay_interval_seconds
            )
        return self.database

    def serialized(self, name: str) -> SerializedCollection:
        """A collection whose updates of one document wait for each other in this process (FerretDB)."""
        return SerializedCollection(self.db[name], self.locks)

    def aggregates(self, name: str) -> SerializedCollection:
        """A collection whose documents carry an outbox; the relay publishes from it. Updates of one of
        its documents (the service's and the relay's) wait for each other (see SerializedCollection)."""
        collection = self.serialized(name)
        self._aggregates.append(collection)
        self._indexes.append(outbox_index(name))
        return collection

    def index(self, *specs: IndexSpec) -> None:
        self._indexes.extend(specs)

    def subscribe(self, *topics: str, group: str, handlers: dict[str, Handler], wants: Wants | None = None) -> None:
        self.consumers.subscribe(*topics, group=group, handlers=handlers, wants=wants)

    async def _publish(self, topic: str, key: str, envelope: dict[str, Any]) -> None:
        await self.broker.publish(envelope, topic=topic, key=key.encode())

    async def _publish_batch(self, items: list[tuple[str, str, dict[str, Any]]]) -> None:
        """Hand every message to the producer in order, then wait for all confirmations (acks=all)."""
        pending = [
            await self.broker.publish(envelope, topic=topic, key=key.encode(), no_confirm=True)
            for topic, key, envelope in items
        ]
        await asyncio.gather(*pending)

    async def start(self) -> None:
        if self.database is not None:
            await self.database.connect()
            await upgrade(self.settings.service_name, self.settings.database_url)
        else:
            await wait_for_database(self.db)
            await ensure_indexes(self.db, self._indexes)
        await ensure_topics(
            self.settings.kafka_bootstrap_servers,
            [*self.topics.static, *self.extra_topics],
            security=self.kafka_security,
        )
        await self._start_broker()
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
        await self.broker.stop()
        await self.client.close()
        if self.database is not None:
            await self.database.close()

    async def ready(self) -> dict[str, bool]:
        checks = {"database": False, "broker": False}
        try:
            if self.database is not None:
                checks["database"] = await asyncio.wait_for(self.database.ping(), timeout=2)
            else:
                await asyncio.wait_for(self.db.command("ping"), timeout=2)
                checks["database"] = True
        except Exception:  # noqa: BLE001 - reported as not ready
            pass
        try:
            checks["broker"] = bool(await self.broker.ping(timeout=2))
        except Exception:  # noqa: BLE001 - reported as not ready
            pass
        return checks
