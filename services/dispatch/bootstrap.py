"""Wiring of the dispatch service (第六条五～八): work orders to vendors, vendor progress, verification,
releases. No connection is opened at import; everything starts in the FastAPI lifespan."""

from functools import partial

from fastapi import FastAPI

from services.dispatch.adapters import DispatchCaseRepository, ReleaseRepository, VendorRefusalRepository
from services.dispatch.domain import VENDOR_IDS
from services.dispatch.entrypoints import build_router
from services.dispatch.handlers import flag_overdue_work_orders
from services.dispatch.subscribers import subscribe
from shared.periodic import PeriodicTask
from shared.runtime import Runtime
from shared.settings import Settings
from shared.web import create_app


class DispatchSettings(Settings):
    service_name: str = "dispatch"
    # How often work orders past their planned delivery date are looked for (FD_OVERDUE_CHECK_SECONDS).
    overdue_check_seconds: float = 600.0


def create_service(settings: DispatchSettings | None = None) -> FastAPI:
    settings = settings or DispatchSettings()
    runtime = Runtime(settings)
    # PostgreSQL first (decision 0011): consumers then record processed events with their effects.
    db = runtime.database
    # One topic per vendor (shared.topics): created at start, so the first work order has somewhere to go.
    runtime.extra_topics.extend(runtime.topics.work_orders(vendor_id) for vendor_id in VENDOR_IDS)
    runtime.extra_topics.extend(runtime.topics.vendor_progress(vendor_id) for vendor_id in VENDOR_IDS)
    cases = DispatchCaseRepository(db, runtime.outbox)
    releases = ReleaseRepository(db, runtime.outbox)
    refusals = VendorRefusalRepository(db)
    subscribe(runtime, cases, refusals)
    overdue = PeriodicTask(
        "overdue-check",
        partial(flag_overdue_work_orders, cases=cases, clock=runtime.clock),
        settings.overdue_check_seconds,
    )
    runtime.background.append(overdue)
    return create_app(
        runtime, title="fiscaldesk dispatch", routers=[build_router(cases, releases, refusals, runtime.clock)]
    )
