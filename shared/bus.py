"""Kafka wiring (FastStream + aiokafka).

Producers: acks=all and idempotence on. Consumers: an explicit group id, reading from the earliest
offset when the group is new, and an ack policy that commits only after the handler succeeded
(FastStream's default acknowledges first and can lose messages). A handler that keeps failing sends
the message to the dead-letter topic with its error, from where `python -m shared.deadletter` replays it.
"""

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaError, TopicAlreadyExistsError
from faststream import AckPolicy
from faststream.kafka import KafkaBroker, KafkaMessage
from prometheus_client import Counter
from pydantic import ValidationError
from pymongo.errors import ConnectionFailure

from shared.events import Envelope, utcnow
from shared.inbox import Inbox
from shared.logs import bound_contextvars, get_logger
from shared.topics import PARTITIONS, Topics

log = get_logger(__name__)

Handler = Callable[[Envelope], Awaitable[None]]

CONSUMED = Counter("fiscaldesk_events_consumed_total", "Events handled by consumers", ["group", "type", "outcome"])
# Errors that mean "our infrastructure is down", not "this message is bad": never dead-letter for them,
# leave the offset uncommitted and let the message come again.
TRANSIENT = (ConnectionFailure, KafkaError, OSError)


def make_broker(bootstrap_servers: str, client_id: str) -> KafkaBroker:
    """Creating the broker opens no connection; it connects when the FastAPI lifespan starts it."""
    return KafkaBroker(
        bootstrap_servers,
        client_id=client_id,
        acks="all",
        enable_idempotence=True,
        request_timeout_ms=15000,
        logger=None,
    )


async def ensure_topics(bootstrap_servers: str, names: list[str], timeout: float = 60.0) -> None:
    """Create the topics that are missing (partitions keyed by ticket id keep one ticket in order)."""
    deadline = time.monotonic() + timeout
    while True:
        admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers)
        try:
            await admin.start()
            existing = set(await admin.list_topics())
            missing = [n for n in names if n not in existing]
            if missing:
                await admin.create_topics(
                    [NewTopic(n, num_partitions=PARTITIONS, replication_factor=1) for n in missing]
                )
            return
        except TopicAlreadyExistsError:
            return
        except (KafkaError, OSError) as error:
            if time.monotonic() > deadline:
                raise
            log.warning("kafka not ready", error=repr(error))
            await asyncio.sleep(1)
        finally:
            await admin.close()


class Consumers:
    """Registers idempotent, dead-lettering subscribers on one broker."""

    def __init__(self, broker: KafkaBroker, inbox: Inbox, topics: Topics, attempts: int) -> None:
        self._broker = broker
        self._inbox = inbox
        self._topics = topics
        self._attempts = attempts

    def subscribe(self, *topics: str, group: str, handlers: dict[str, Handler]) -> None:
        """Route each event type to its handler; other types on these topics are acknowledged and skipped."""

        @self._broker.subscriber(
            *topics,
            group_id=group,
            ack_policy=AckPolicy.NACK_ON_ERROR,
            auto_offset_reset="earliest",
        )
        async def consume(body: Any, message: KafkaMessage) -> None:
            await self._handle(group, handlers, body, message)

    async def _handle(self, group: str, handlers: dict[str, Handler], body: Any, message: KafkaMessage) -> None:
        try:
            envelope = Envelope.model_validate(body)
        except ValidationError as error:
            # A message that is not an envelope can never succeed: straight to the dead-letter topic.
            await self._dead_letter(group, message, error, attempts=1)
            return
        handler = handlers.get(envelope.type)
        if handler is None:
            return
        with bound_contextvars(correlation_id=envelope.correlationid, event_id=envelope.id, event_type=envelope.type):
            if await self._inbox.seen(group, envelope.id):
                CONSUMED.labels(group, envelope.type, "duplicate").inc()
                return
            for attempt in range(1, self._attempts + 1):
                try:
                    await handler(envelope)
                    break
                except TRANSIENT:
                    CONSUMED.labels(group, envelope.type, "transient").inc()
                    await asyncio.sleep(1)
                    raise  # nack: the offset is not committed, the message comes again
                except Exception as error:  # noqa: BLE001 - any other failure is retried, then dead-lettered
                    log.warning("handler failed", attempt=attempt, error=repr(error))
                    if attempt == self._attempts:
                        await self._dead_letter(group, message, error, attempts=attempt)
                        CONSUMED.labels(group, envelope.type, "dead_letter").inc()
                        return
                    await asyncio.sleep(0.2 * 2**attempt)
            await self._inbox.record(group, envelope.id, envelope.type)
            CONSUMED.labels(group, envelope.type, "ok").inc()

    async def _dead_letter(self, group: str, message: KafkaMessage, error: Exception, attempts: int) -> None:
        raw = message.raw_message
        record = {
            "failed_at": utcnow().isoformat(),
            "group": group,
            "topic": raw.topic,
            "partition": raw.partition,
            "offset": raw.offset,
            "key": raw.key.decode() if raw.key else None,
            "error": repr(error)[:2000],
            "attempts": attempts,
            "body": message.body.decode("utf-8", errors="replace"),
        }
        log.error("message dead-lettered", topic=raw.topic, offset=raw.offset, error=repr(error))
        await self._broker.publish(record, topic=self._topics.dead_letter, key=raw.key)
