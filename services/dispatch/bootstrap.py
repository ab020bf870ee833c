"""Wiring of the dispatch service (priority and effort, work orders, vendor progress, verification,
releases). In the walking skeleton it only serves the vendors' work-order list."""

from fastapi import FastAPI

from services.dispatch.entrypoints import build_router
from shared.runtime import Runtime
from shared.settings import Settings
from shared.store import IndexSpec
from shared.web import create_app


def create_service(settings: Settings | None = None) -> FastAPI:
    runtime = Runtime(settings or Settings(service_name="dispatch"))
    runtime.index(IndexSpec("work_orders", [("vendor_id", 1), ("status", 1)]))
    work_orders = runtime.aggregates("work_orders")
    return create_app(runtime, title="fiscaldesk dispatch", routers=[build_router(work_orders)])
