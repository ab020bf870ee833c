"""The delivery worker: claims due deliveries from the queue and sends each through its channel.

Claiming is atomic (pending → sending with a lease, FOR UPDATE SKIP LOCKED), so two workers, of one
instance or of several, never hold the same delivery. A delivery whose worker died is claimed again when
its lease runs out, and only the latest claim may record the outcome. The one window left: the platform
accepted a message and the process died before the `sent` write that follows the HTTP answer at once.
WeChat closes it with client_msg_id; a WeCom robot may then post twice.

New deliveries wake the workers of every instance (LISTEN on the queue's channel); polling every
`delivery_poll_seconds` finds retries that came due and stands in while the listening connection is down.

Retries back off exponentially with jitter; one that runs out of attempts is failed and dead-lettered
(state `failed`, a record on the dead-letter topic, listed by GET /api/deliveries?state=failed).
"""

import asyncio
import json
import random
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from prometheus_client import Counter

from services.notify.adapters import DeliveryQueue
from services.notify.channels import Channel, Delivery, DeliveryResult
from services.notify.settings import NotifySettings
from shared.events import SYSTEM, NotificationDelivered, new_id
from shared.logs import get_logger
from shared.outbox import OutboxWriter
from shared.periodic import wait_for_wakeup

log = get_logger(__name__)

OUTCOMES = Counter(
    "fiscaldesk_notify_deliveries_total", "Delivery attempts by channel and outcome", ["channel", "outcome"]
)
DEAD_LETTER_GROUP = "notify-delivery"


def backoff(attempt: int, base: float, cap: float, hint: float = 0.0) -> float:
    """Exponential backoff with equal jitter: between half and all of min(cap, base·2^(attempt-1)),
    and never sooner than the platform's own hint (45009: a whole window)."""
    ceiling = min(cap, base * 2 ** max(attempt - 1, 0))
    return max(hint, ceiling / 2 + random.uniform(0, ceiling / 2))


class DeliveryWorker:
    def __init__(
        self,
        queue: DeliveryQueue,
        channels: dict[str, Channel],
        outbox: OutboxWriter,
        dead_letter_topic: str,
        settings: NotifySettings,
        now: Callable[[], datetime],
    ) -> None:
        self._queue, self._channels, self._outbox = queue, channels, outbox
        self._dead_letter_topic = dead_letter_topic
        self._settings, self._now = settings, now
        self._id = f"worker-{new_id()[:8]}"
        self._wakeup = asyncio.Event()
        self._task: asyncio.Task | None = None
        self._listener: Any = None
        self._stopping = False

    def wake(self) -> None:
        self._wakeup.set()

    async def start(self) -> None:
        self._stopping = False
        self._task = asyncio.create_task(self._run(), name="notify-delivery-worker")

    async def stop(self) -> None:
        # The flag ends the loop even if a driver's own wait swallows the cancellation.
        self._stopping = True
        if self._task:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        await self._stop_listening()

    async def _listen(self) -> None:
        """(Re)open the connection that wakes this worker when deliveries are added anywhere."""
        if self._listener is not None and not self._listener.is_closed():
            return
        await self._stop_listening()
        try:
            self._listener = await self._queue.listen(self.wake)
        except Exception as error:  # noqa: BLE001 - polling goes on; the next pass connects again
            log.warning("delivery listener not connected", error=repr(error))

    async def _stop_listening(self) -> None:
        listener, self._listener = self._listener, None
        if listener is not None and not listener.is_closed():
            try:
                await asyncio.wait_for(listener.close(), timeout=2)
            except Exception:  # noqa: BLE001 - a dead connection
                listener.terminate()

    async def _run(self) -> None:
        while not self._stopping:
            try:
                await self._listen()
                await self.drain()
            except asyncio.CancelledError:
                raise
            except Exception as error:  # noqa: BLE001 - database down: the next pass tries again
                log.warning("delivery pass failed", error=repr(error))
            await wait_for_wakeup(self._wakeup, self._settings.delivery_poll_seconds)

    async def drain(self) -> int:
        """Claim and send everything due now, a few at a time; returns how many deliveries were handled."""
        handled = 0
        running: set[asyncio.Task] = set()
        while True:
            while len(running) < self._settings.delivery_concurrency:
                claimed = await self._queue.claim(self._now(), self._settings.delivery_lease_seconds, self._id)
                if claimed is None:
                    break
                running.add(asyncio.create_task(self._deliver(claimed)))
            if not running:
                return handled
            done, running = await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
            handled += len(done)

    async def _deliver(self, doc: dict) -> None:
        delivery = Delivery.from_doc(doc)
        channel = self._channels.get(delivery.channel)
        try:
            result = await channel.send(delivery) if channel else DeliveryResult.permanent("channel_disabled")
        except Exception as error:
            log.exception("channel raised", delivery_id=delivery.id)
            result = DeliveryResult.retry(0, f"error: {error!r}"[:300])
        OUTCOMES.labels(delivery.channel, result.outcome).inc()
        if not await self._record(doc, delivery, result):
            log.warning("delivery lease lost before its outcome was recorded", delivery_id=delivery.id)

    async def _record(self, doc: dict, delivery: Delivery, result: DeliveryResult) -> bool:
        now = self._now()
        if result.outcome == "ok":
            event = NotificationDelivered(
                notification_id=delivery.id,
                ticket_id=delivery.ticket_id,
                channel=delivery.channel,
                recipient=delivery.recipient,
                title=delivery.title,
            )
            # One correlation id from the first request to this delivery; caused by the event it tells of.
            entries = self._outbox.entries([event], actor=SYSTEM, correlation_id=doc.get("correlation_id"))
            for entry in entries:
                entry["envelope"]["causationid"] = doc.get("event_id")
            return await self._queue.finish(
                doc, state="sent", now=now, attempted=True, outbox=entries, sent_at=now, reason=None
            )
        if result.outcome == "permanent":
            return await self._queue.finish(doc, state="permanent", now=now, attempted=True, reason=result.reason)
        attempts = delivery.attempts + (1 if result.counts_as_attempt else 0)
        if attempts >= self._settings.delivery_max_attempts:
            reason = f"gave up after {attempts} attempts: {result.reason}"
            return await self._queue.finish(
                doc, state="failed", now=now, attempted=True, reason=reason, outbox=[self._dead_letter(doc, reason)]
            )
        settings = self._settings
        delay = result.after
        if result.counts_as_attempt:
            delay = backoff(
                attempts, settings.delivery_backoff_base_seconds, settings.delivery_backoff_cap_seconds, result.after
            )
        return await self._queue.finish(
            doc,
            state="pending",
            now=now,
            attempted=result.counts_as_attempt,
            next_attempt_at=now + timedelta(seconds=delay),
            last_error=result.reason,
        )

    def _dead_letter(self, doc: dict, reason: str) -> dict:
        """An outbox entry for the dead-letter topic, in the shape shared.deadletter lists."""
        summary = {k: doc.get(k) for k in ("_id", "ticket_id", "channel", "recipient", "title", "event_id")}
        record = {
            "type": "DeliveryDeadLettered",
            "failed_at": self._now().isoformat(),
            "group": DEAD_LETTER_GROUP,
            # Replaying this record only copies it again: a delivery is retried with POST /api/deliveries/{id}/retry.
            "topic": self._dead_letter_topic,
            "partition": None,
            "offset": None,
            "key": doc.get("ticket_id"),
            "error": reason[:2000],
            "attempts": doc.get("attempts", 0) + 1,
            "body": json.dumps(summary, ensure_ascii=False),
        }
        return {
            "id": new_id(),
            "topic": self._dead_letter_topic,
            "key": doc.get("ticket_id") or doc["_id"],
            "envelope": record,
        }
