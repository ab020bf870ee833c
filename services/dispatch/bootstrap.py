"""Wiring of the dispatch service (第六条五～八): work orders to vendors, vendor progress, verification,
releases. No connection is opened at import; everything starts in the FastAPI lifespan."""

from functools import partial

from fastapi import FastAPI

from services.dispatch.adapters import DispatchCaseRepository, ReleaseRepository, VendorRefusalRepository
from services.dispatch.domain import VENDOR_IDS
from services.dispatch.entrypoints import build_router
from services.dispatch.handlers import flag_overdue_work_orders
from services.dispatch.subscribers import subscribe
from services.dispatch.vendors import VendorDirectory, VendorSelection
from shared.periodic import PeriodicTask
from shared.runtime import Runtime
from shared.settings import Settings
from shared.web import create_app


class DispatchSettings(Settings):
    service_name: str = "dispatch"
    # How often work orders past their planned delivery date are looked for (FD_OVERDUE_CHECK_SECONDS).
    overdue_check_seconds: float = 600.0
    # The vendors whose progress topics this deployment reads (services/dispatch/vendors.py):
    # FD_DISPATCH_VENDORS=vendor-a,vendor-b, or "*" (the default) for every vendor, those added later too;
    # FD_DISPATCH_VENDORS_EXCEPT=vendor-a leaves out vendors served by deployments of their own.
    dispatch_vendors: str = "*"
    dispatch_vendors_except: str = ""


def create_service(settings: DispatchSettings | None = None) -> FastAPI:
    settings = settings or DispatchSettings()
    served = VendorSelection.parse(settings.dispatch_vendors, settings.dispatch_vendors_except)
    runtime = Runtime(settings)
    # PostgreSQL first (decision 0011): consumers then record processed events with their effects.
    db = runtime.database
    # Two topics per vendor (shared.topics): the shipped vendors' created at start, a vendor added to the
    # directory later when dispatch hears of it (VendorDirectory), so a work order has somewhere to go.
    for vendor_id in VENDOR_IDS:
        runtime.extra_topics.extend(runtime.topics.of_vendor(vendor_id))
    cases = DispatchCaseRepository(db, runtime.outbox)
    vendors = VendorDirectory(db, runtime)
    releases = ReleaseRepository(db, runtime.outbox)
    refusals = VendorRefusalRepository(db)
    subscribe(runtime, cases, refusals, vendors, served)
    overdue = PeriodicTask(
        "overdue-check",
        partial(flag_overdue_work_orders, cases=cases, clock=runtime.clock),
        settings.overdue_check_seconds,
    )
    runtime.background.append(overdue)
    return create_app(
        runtime, title="fiscaldesk dispatch", routers=[build_router(cases, releases, refusals, vendors, runtime.clock)]
    )
