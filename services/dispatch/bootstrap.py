"""Wiring of the dispatch service (第六条五～八): work orders to vendors, vendor progress, verification,
releases. No connection is opened at import; everything starts in the FastAPI lifespan."""

from functools import partial
from typing import Any

from fastapi import FastAPI

from services.dispatch.adapters import DispatchCaseRepository, ReleaseRepository
from services.dispatch.domain import VENDOR_IDS
from services.dispatch.entrypoints import build_router
from services.dispatch.handlers import flag_overdue_work_orders
from services.dispatch.overdue import PeriodicTask
from services.dispatch.serialized import DocumentLocks, SerializedCollection
from services.dispatch.subscribers import subscribe
from shared.outbox import OutboxRelay, outbox_index
from shared.runtime import Runtime
from shared.settings import Settings
from shared.store import IndexSpec
from shared.web import create_app

CASES = "dispatch_cases"
RELEASES = "releases"


class DispatchSettings(Settings):
    service_name: str = "dispatch"
    # How often work orders past their planned delivery date are looked for (FD_OVERDUE_CHECK_SECONDS).
    overdue_check_seconds: float = 600.0


class DispatchRuntime(Runtime):
    """The shared runtime, with dispatch's aggregates behind one writer per document (services/dispatch/
    serialized.py) and published by an outbox relay over those same collections; background tasks and
    that relay stop before the broker and the database close."""

    def __init__(self, settings: Settings) -> None:
        super().__init__(settings)
        self.locks = DocumentLocks()
        self.serialized: list[SerializedCollection] = []
        self.serialized_relay = OutboxRelay(self.serialized, self._publish_envelope, settings.relay_interval_seconds)
        self.background: list[PeriodicTask] = []

    def serialized_aggregates(self, name: str) -> SerializedCollection:
        """Like `aggregates`: a collection whose documents carry an outbox, which the relay publishes."""
        collection = SerializedCollection(self.db[name], self.locks)
        self.serialized.append(collection)
        self.index(outbox_index(name))
        return collection

    async def _publish_envelope(self, topic: str, key: str, envelope: dict[str, Any]) -> None:
        await self.broker.publish(envelope, topic=topic, key=key.encode())

    async def start(self) -> None:
        await super().start()
        self.serialized_relay.start()

    async def stop(self) -> None:
        for task in self.background:
            await task.stop()
        await self.serialized_relay.stop()
        await super().stop()


def create_service(settings: DispatchSettings | None = None) -> FastAPI:
    settings = settings or DispatchSettings()
    runtime = DispatchRuntime(settings)
    # One topic per vendor (shared.topics): created at start, so the first work order has somewhere to go.
    runtime.extra_topics.extend(runtime.topics.work_orders(vendor_id) for vendor_id in VENDOR_IDS)
    runtime.index(
        IndexSpec(CASES, [("status", 1), ("urgency", -1), ("adopted_at", 1)], name="queue"),
        IndexSpec(CASES, [("work_order.id", 1)], name="work_order_id"),
        IndexSpec(CASES, [("work_order.vendor_id", 1), ("work_order.dispatched_at", -1)], name="vendor"),
        IndexSpec(CASES, [("submitter_id", 1), ("status", 1)], name="requester"),
        IndexSpec(RELEASES, [("release_version", 1)], unique=True, name="release_version_unique"),
        IndexSpec(RELEASES, [("ticket_ids", 1)], name="ticket_ids"),
        IndexSpec(RELEASES, [("announced_at", -1)], name="announced_at"),
    )
    wake = runtime.serialized_relay.wake
    cases = DispatchCaseRepository(runtime.serialized_aggregates(CASES), runtime.outbox, wake)
    releases = ReleaseRepository(runtime.serialized_aggregates(RELEASES), runtime.outbox, wake)
    subscribe(runtime, cases)
    overdue = PeriodicTask(
        "overdue-check",
        partial(flag_overdue_work_orders, cases=cases, clock=runtime.clock),
        settings.overdue_check_seconds,
    )
    runtime.background.append(overdue)
    return create_app(
        runtime,
        title="fiscaldesk dispatch",
        routers=[build_router(cases, releases, runtime.clock)],
        on_start=[overdue.start],
    )
