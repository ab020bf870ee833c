"""Sessions ended before their tokens expired, as every service instance knows them (docs/security.md).

The portal writes a SessionRevoked event to the sessions topic (through its outbox, with the change that
ended the session). Every instance of every service follows that topic on its own — no consumer group, all
partitions, from the start of what the topic keeps (hours; an access token lives minutes) — into memory,
and `current_principal` refuses an access token whose session (`sid`) is in it. No database round trip
per request; a restarted instance reads the topic again before it reports ready.
"""

import asyncio
import contextlib
import json
from datetime import datetime
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaError

from shared.events import utcnow
from shared.logs import get_logger

log = get_logger(__name__)


class RevokedSessions:
    """Session ids and when their last access token expires; what has expired is forgotten."""

    def __init__(self) -> None:
        self._until: dict[str, datetime] = {}
        self.caught_up = False

    def add(self, session_id: str, until: datetime) -> None:
        self._until[session_id] = max(until, self._until.get(session_id, until))
        if len(self._until) % 1024 == 0:
            self.forget_expired(utcnow())

    def forget_expired(self, now: datetime) -> None:
        for session_id in [s for s, until in self._until.items() if until <= now]:
            del self._until[session_id]

    def __contains__(self, session_id: object) -> bool:
        until = self._until.get(session_id) if isinstance(session_id, str) else None
        return until is not None and utcnow() < until

    def take(self, envelope: dict[str, Any]) -> None:
        """One message of the sessions topic (a CloudEvents envelope of SessionRevoked)."""
        data = envelope.get("data") or {}
        if envelope.get("type") == "SessionRevoked" and data.get("session_id") and data.get("until"):
            self.add(str(data["session_id"]), datetime.fromisoformat(str(data["until"])))


class SessionFollower:
    """Reads the sessions topic into a RevokedSessions, from the beginning, for as long as the service runs."""

    def __init__(self, bootstrap: str, topic: str, revoked: RevokedSessions, client_options: dict[str, Any]) -> None:
        self._bootstrap = bootstrap
        self._topic = topic
        self.revoked = revoked
        self._options = client_options
        self._task: asyncio.Task | None = None

    async def start(self) -> None:
        self._task = asyncio.create_task(self._follow(), name="session-follower")

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _follow(self) -> None:
        while True:
            consumer = AIOKafkaConsumer(
                bootstrap_servers=self._bootstrap, group_id=None, enable_auto_commit=False,
                auto_offset_reset="earliest", **self._options,
            )  # fmt: skip
            try:
                await consumer.start()
                partitions = [TopicPartition(self._topic, p) for p in await self._partitions()]
                consumer.assign(partitions)
                await consumer.seek_to_beginning(*partitions)
                ends = await consumer.end_offsets(partitions)
                pending = {tp for tp in partitions if ends[tp] > 0}
                self.revoked.caught_up = not pending
                while True:
                    batches = await consumer.getmany(timeout_ms=1000, max_records=500)
                    for tp, records in batches.items():
                        for record in records:
                            self._take(record.value)
                            if tp in pending and record.offset + 1 >= ends[tp]:
                                pending.discard(tp)
                    for tp in list(pending):  # a partition whose end is only compacted/aborted markers
                        if await consumer.position(tp) >= ends[tp]:
                            pending.discard(tp)
                    if not pending and not self.revoked.caught_up:
                        self.revoked.caught_up = True
                        log.info("sessions topic read", topic=self._topic)
            except asyncio.CancelledError:
                raise
            except (KafkaError, OSError) as error:
                log.warning("sessions topic unavailable", error=repr(error))
                await asyncio.sleep(1)
            finally:
                await consumer.stop()

    async def _partitions(self) -> list[int]:
        admin = AIOKafkaAdminClient(bootstrap_servers=self._bootstrap, **self._options)
        try:
            await admin.start()
            [described] = await admin.describe_topics([self._topic])
        finally:
            await admin.close()
        partitions = sorted(p.get("partition", p.get("partition_index")) for p in described.get("partitions") or [])
        if described.get("error_code") or not partitions:
            raise KafkaError(f"no partitions for {self._topic}")
        return partitions

    def _take(self, value: bytes | None) -> None:
        try:
            self.revoked.take(json.loads(value or b"{}"))
        except (ValueError, TypeError) as error:
            log.warning("unreadable message on the sessions topic", error=repr(error))
