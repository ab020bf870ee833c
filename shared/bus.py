"""Kafka wiring (FastStream + aiokafka).

Producers: acks=all and idempotence on. Consumers: an explicit group id, reading from the earliest
offset when the group is new, and offsets committed only for messages whose handler succeeded
(FastStream's default acknowledges first and can lose messages). Those offsets are committed together, a
moment after the first of them (`OffsetCommits`), not one round trip to Kafka per message: every handler
is idempotent through the inbox, so what a crash leaves uncommitted comes again and is dropped there. A
handler that keeps failing sends the message to the dead-letter topic with its error, from where
`python -m shared.deadletter` replays it.

Security: PLAINTEXT unless the settings ask for SASL (`kafka_security`); docker-compose gives every service
its own SCRAM principal, and ACLs decide what it may read and write (docs/decisions/0007-kafka-sasl-acls.md).
"""

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aiokafka import AIOKafkaConsumer, ConsumerRebalanceListener, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import IllegalStateError, KafkaError, TopicAlreadyExistsError, for_code
from aiokafka.helpers import create_ssl_context
from faststream import AckPolicy
from faststream.kafka import KafkaBroker, KafkaMessage
from faststream.kafka.security import parse_security
from faststream.security import BaseSecurity, SASLPlaintext, SASLScram256, SASLScram512
from prometheus_client import Counter
from pydantic import ValidationError

from shared.db import UNAVAILABLE
from shared.events import EVENT_TYPES, Envelope, utcnow
from shared.inbox import Inbox
from shared.logs import bound_contextvars, get_logger
from shared.settings import Settings
from shared.topics import Topics

log = get_logger(__name__)

Handler = Callable[[Envelope], Awaitable[None]]
# Whether a consumer wants an event at all: an event it does not want is acknowledged without touching the
# inbox (no read, no write), for consumers that read whole topics but act on few of their events.
Wants = Callable[[Envelope], Awaitable[bool]]


@dataclass(frozen=True)
class Record:
    """Where a message was read: the one thing about it its writer cannot choose (the topic's ACL)."""

    topic: str
    partition: int
    offset: int
    key: str | None


# A consumer of a topic written from outside fiscaldesk (a vendor's): the body as it came, and its record.
OutsideHandler = Callable[[Any, Record], Awaitable[None]]

CONSUMED = Counter("fiscaldesk_events_consumed_total", "Events handled by consumers", ["group", "type", "outcome"])
# Errors that mean "our infrastructure is down", not "this message is bad": never dead-letter for them,
# leave the offset uncommitted and let the message come again.
TRANSIENT = (KafkaError, *UNAVAILABLE)

PROTOCOLS = ("PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL")
SASL_MECHANISMS: dict[str, type[SASLScram512 | SASLScram256 | SASLPlaintext]] = {
    "SCRAM-SHA-512": SASLScram512,
    "SCRAM-SHA-256": SASLScram256,
    "PLAIN": SASLPlaintext,
}


def kafka_security(settings: Settings) -> BaseSecurity | None:
    """How this process authenticates to Kafka: the one mapping from the FD_KAFKA_* settings.

    None for PLAINTEXT (the default, the local stack: nothing changes). SASL_PLAINTEXT or SASL_SSL with a
    mechanism (SCRAM-SHA-512 when none is given), username and password: the FastStream security object
    for the broker; `kafka_client_options` turns it into aiokafka's arguments for the other clients.
    """
    protocol = settings.kafka_security_protocol.upper()
    if protocol not in PROTOCOLS:
        raise ValueError(f"FD_KAFKA_SECURITY_PROTOCOL must be one of {', '.join(PROTOCOLS)}, not {protocol!r}")
    # aiokafka needs a context for TLS; the default one checks the broker against the system's CAs.
    ssl_context = create_ssl_context() if protocol.endswith("SSL") else None
    if not protocol.startswith("SASL_"):
        if settings.kafka_sasl_mechanism or settings.kafka_username or settings.kafka_password:
            raise ValueError(f"Kafka SASL settings are given but FD_KAFKA_SECURITY_PROTOCOL is {protocol}")
        return BaseSecurity(ssl_context=ssl_context) if ssl_context else None
    mechanism = (settings.kafka_sasl_mechanism or "SCRAM-SHA-512").upper()
    if mechanism not in SASL_MECHANISMS:
        raise ValueError(f"FD_KAFKA_SASL_MECHANISM must be one of {', '.join(SASL_MECHANISMS)}, not {mechanism!r}")
    if not settings.kafka_username or settings.kafka_password is None:
        raise ValueError(f"{protocol} needs FD_KAFKA_USERNAME and FD_KAFKA_PASSWORD")
    return SASL_MECHANISMS[mechanism](
        username=settings.kafka_username,
        password=settings.kafka_password.get_secret_value(),
        ssl_context=ssl_context,
    )


def kafka_client_options(security: BaseSecurity | None) -> dict[str, Any]:
    """The same security as keyword arguments of aiokafka's clients (admin, consumer, producer), by
    FastStream's own mapping, so the broker and the plain clients cannot disagree. {} for PLAINTEXT."""
    return parse_security(security)


def make_broker(
    bootstrap_servers: str,
    client_id: str,
    security: BaseSecurity | None = None,
    *,
    topic_discovery_seconds: float = 30.0,
) -> KafkaBroker:
    """Creating the broker opens no connection; it connects when the FastAPI lifespan starts it.

    FastStream creates no topic (allow_auto_create_topics=False): the project does (ensure_topics), with the
    partitions of shared/topics.py, and the broker creates none either, so a publish to a topic that does not
    exist fails. Metadata is refreshed every `topic_discovery_seconds`: a consumer subscribed by pattern (a
    vendor's topics) starts reading a topic created meanwhile within that time."""
    return KafkaBroker(
        bootstrap_servers,
        client_id=client_id,
        acks="all",
        enable_idempotence=True,
        request_timeout_ms=15000,
        metadata_max_age_ms=int(topic_discovery_seconds * 1000),
        allow_auto_create_topics=False,
        logger=None,
        security=security,
    )


async def ensure_topics(
    bootstrap_servers: str,
    names: list[str],
    timeout: float = 60.0,
    *,
    security: BaseSecurity | None = None,
    topics: Topics | None = None,
    strict: bool = False,
) -> None:
    """Create the topics that are missing, with the partitions and settings shared/topics.py gives their kind
    (`topics` is the registry of their prefix; by default the prefix up to the first dot). `strict` raises
    the broker's error for a topic it did not create (a KafkaError: a consumer's message comes again),
    instead of logging it."""
    deadline = time.monotonic() + timeout
    while True:
        admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers, **kafka_client_options(security))
        try:
            await admin.start()
            existing = set(await admin.list_topics())
            missing = [n for n in names if n not in existing]
            if missing:
                response = await admin.create_topics([_new_topic(n, topics) for n in missing])
                # aiokafka returns per-topic errors instead of raising them: name any but "already exists"
                # (another service was quicker), so that a missing CREATE grant shows in the log.
                failed = [
                    (t, for_code(code))
                    for t, code, *_ in response.topic_errors
                    if code not in (0, TopicAlreadyExistsError.errno)
                ]
                for topic, error in failed:
                    log.warning("topic not created", topic=topic, error=error.__name__)
                if strict and failed:
                    raise failed[0][1](f"topic {failed[0][0]} not created")
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


def _new_topic(name: str, topics: Topics | None) -> NewTopic:
    spec = (topics or Topics(name.split(".", 1)[0])).spec(name)
    return NewTopic(name, num_partitions=spec.partitions, replication_factor=1, topic_configs=dict(spec.configs))


class OffsetCommits(ConsumerRebalanceListener):
    """The offsets of one subscriber's handled messages, committed together.

    A handled message's next offset is kept per partition and committed `interval` seconds after the first
    one kept (or at once when `most` are waiting), so a busy consumer commits a few times a second instead of
    after every message: a commit is a round trip to the group coordinator, and on a small machine it was
    a tenth of a consumer's time. Only handled messages are counted, never the consumer's position (which
    is past the message still being handled), so a crash loses nothing; what it leaves uncommitted is read
    again and the inbox drops it. Offsets are committed before the partitions are given up in a rebalance
    (this is the subscriber's rebalance listener), and only for partitions still assigned: a partition that
    went elsewhere is committed by its new owner. A subscriber with several workers has a consumer per
    worker; each commits its own partitions.
    """

    def __init__(self, interval: float = 0.2, most: int = 200) -> None:
        self._interval, self._most = interval, most
        self._pending: dict[AIOKafkaConsumer, dict[TopicPartition, int]] = {}
        self._timer: asyncio.TimerHandle | None = None
        self._flushing: set[asyncio.Task] = set()

    def handled(self, message: KafkaMessage) -> None:
        raw = message.raw_message
        pending = self._pending.setdefault(message.consumer, {})  # type: ignore[arg-type]
        pending[TopicPartition(raw.topic, raw.partition)] = raw.offset + 1
        if len(pending) >= self._most or self._interval <= 0:
            self._start_flush()
        elif self._timer is None:
            self._timer = asyncio.get_running_loop().call_later(self._interval, self._start_flush)

    def _start_flush(self) -> None:
        task = asyncio.create_task(self.flush())
        self._flushing.add(task)
        task.add_done_callback(self._flushing.discard)

    async def flush(self) -> None:
        """Commit what was handled and is not committed yet (the partitions each consumer still holds)."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        pending, self._pending = self._pending, {}
        await asyncio.gather(*(self._commit(consumer, offsets) for consumer, offsets in pending.items()))

    @staticmethod
    async def _commit(consumer: AIOKafkaConsumer, pending: dict[TopicPartition, int]) -> None:
        if consumer._closed:  # stopped meanwhile: the group's next member reads these again
            return
        held = consumer.assignment()
        offsets = {partition: offset for partition, offset in pending.items() if partition in held}
        if not offsets:
            return
        try:
            await consumer.commit(offsets)
        except (KafkaError, IllegalStateError) as error:
            # The group moved on (a rebalance) or the broker is away: those messages come again, and the
            # inbox drops them; never a reason to stop consuming.
            log.warning("offsets not committed", error=repr(error), partitions=len(offsets))

    async def on_partitions_revoked(self, revoked: Any) -> None:
        await self.flush()

    async def on_partitions_assigned(self, assigned: Any) -> None:
        pass


class Consumers:
    """Registers idempotent, dead-lettering subscribers on one broker."""

    def __init__(
        self,
        broker: KafkaBroker,
        inbox: Inbox,
        topics: Topics,
        attempts: int,
        commit_interval: float = 0.2,
        workers: int = 1,
    ) -> None:
        self._broker = broker
        self._inbox = inbox
        self._topics = topics
        self._attempts = attempts
        self._commit_interval = commit_interval
        self._workers = workers
        self._commits: list[OffsetCommits] = []

    def _offset_commits(self) -> OffsetCommits:
        commits = OffsetCommits(self._commit_interval)
        self._commits.append(commits)
        return commits

    async def flush(self) -> None:
        """Commit every subscriber's handled messages now (before the broker stops)."""
        await asyncio.gather(*(commits.flush() for commits in self._commits))

    @staticmethod
    async def _acknowledged(commits: OffsetCommits, message: KafkaMessage, work: Awaitable[None]) -> None:
        """Run the handling of `message`; counted for the next commit when it succeeds, and read again (the
        consumer rewinds to it) when it raises, as FastStream's NACK_ON_ERROR does."""
        try:
            await work
        except BaseException:
            await message.nack()
            raise
        commits.handled(message)

    def subscribe(
        self,
        *topics: str,
        group: str,
        handlers: dict[str, Handler],
        wants: Wants | None = None,
        pattern: str | None = None,
    ) -> None:
        """Route each event type to its handler; other types on these topics, and events `wants` declines,
        are acknowledged and skipped. With `pattern` (a regular expression) instead of topics, every topic
        matching it is read, those created later too (shared.topics: a vendor's).

        A subscription to one named topic has `workers` consumers in the group (FD_CONSUMER_WORKERS), each
        with partitions of its own, so one instance handles as many partitions at once as several instances
        would: a handler mostly waits on the database, and one partition's events stay in their order.
        FastStream's concurrent subscriber takes a single topic and no pattern; the others have one."""
        commits = self._offset_commits()

        @self._broker.subscriber(
            *topics,
            pattern=pattern,
            group_id=group,
            ack_policy=AckPolicy.MANUAL,
            auto_offset_reset="earliest",
            listener=commits,
            max_workers=self._workers if pattern is None and len(topics) == 1 else 1,
        )
        async def consume(body: Any, message: KafkaMessage) -> None:
            await self._acknowledged(commits, message, self._handle(group, handlers, body, message, wants))

    def subscribe_outside(self, pattern: str, *, group: str, handler: OutsideHandler) -> None:
        """A topic written by someone outside fiscaldesk (a vendor's own progress topic): `handler` gets every
        message as it came, valid or not, to check it against the published contract itself and to decide
        what a refusal is; nothing is skipped or dead-lettered for its form. `pattern` is a regular expression
        of the topics (every vendor's progress topic, or some vendors'): a topic created later that matches it
        is read from its start (within the broker's topic discovery interval), without a restart; the record's
        topic says whose message it is.

        The inbox key is the topic with the message's own id (its offset when it has none), so what one
        writer sends can never pass for something another writer sent, and a resent id is dropped."""
        commits = self._offset_commits()

        @self._broker.subscriber(
            pattern=pattern,
            group_id=group,
            ack_policy=AckPolicy.MANUAL,
            auto_offset_reset="earliest",
            decoder=_whatever_came,
            listener=commits,
        )
        async def consume(body: Any, message: KafkaMessage) -> None:
            await self._acknowledged(commits, message, self._outside(group, handler, body, message))

    async def _outside(self, group: str, handler: OutsideHandler, body: Any, message: KafkaMessage) -> None:
        raw = message.raw_message
        record = Record(raw.topic, raw.partition, raw.offset, raw.key.decode(errors="replace") if raw.key else None)
        said = body if isinstance(body, dict) else {}
        own_id = said.get("id")
        if isinstance(own_id, str) and 0 < len(own_id) <= 64:
            inbox_id = f"{record.topic}/{own_id}"
        else:
            inbox_id = f"{record.topic}@{record.partition}:{record.offset}"
        # A label of the writer's choosing would grow the metrics without bound: known types only.
        kind = said.get("type") if said.get("type") in EVENT_TYPES else "other"
        await self._process(group, kind, inbox_id, lambda: handler(body, record), message)

    async def _handle(
        self, group: str, handlers: dict[str, Handler], body: Any, message: KafkaMessage, wants: Wants | None = None
    ) -> None:
        try:
            envelope = Envelope.model_validate(body)
        except ValidationError as error:
            # A message that is not an envelope can never succeed: straight to the dead-letter topic.
            await self._dead_letter(group, message, error, attempts=1)
            return
        handler = handlers.get(envelope.type)
        if handler is None:
            return
        if wants is not None and not await wants(envelope):
            CONSUMED.labels(group, envelope.type, "not_wanted").inc()
            return
        with bound_contextvars(correlation_id=envelope.correlationid, event_id=envelope.id, event_type=envelope.type):
            await self._process(group, envelope.type, envelope.id, lambda: handler(envelope), message)

    async def _process(
        self, group: str, kind: str, event_id: str, work: Callable[[], Awaitable[None]], message: KafkaMessage
    ) -> None:
        """Run `work` once per event id (the inbox), retried; dead-lettered when it keeps failing."""
        for attempt in range(1, self._attempts + 1):
            try:
                fresh = await self._inbox.process(group, event_id, kind, work)
                if not fresh:
                    CONSUMED.labels(group, kind, "duplicate").inc()
                    return
                break
            except TRANSIENT:
                CONSUMED.labels(group, kind, "transient").inc()
                await asyncio.sleep(1)
                raise  # nack: the offset is not committed, the message comes again
            except Exception as error:  # noqa: BLE001 - any other failure is retried, then dead-lettered
                log.warning("handler failed", attempt=attempt, error=repr(error))
                if attempt == self._attempts:
                    await self._dead_letter(group, message, error, attempts=attempt)
                    CONSUMED.labels(group, kind, "dead_letter").inc()
                    return
                await asyncio.sleep(0.2 * 2**attempt)
        CONSUMED.labels(group, kind, "ok").inc()

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


async def _whatever_came(message: KafkaMessage) -> Any:
    """The body as JSON if it is JSON, else as text, whatever content type its writer declared: a writer
    outside fiscaldesk must not be able to stop its topic's consumer with a body that fails to decode."""
    try:
        return json.loads(message.body)
    except (ValueError, UnicodeDecodeError):
        return message.body.decode("utf-8", errors="replace")
