"""Wiring of the portal (sign-in, org directory, read models for timelines; the web UI later)."""

from fastapi import FastAPI

from services.portal.adapters import INDEXES, Directory, TicketViews
from services.portal.entrypoints import build_router, subscribe
from shared.runtime import Runtime
from shared.settings import Settings
from shared.web import create_app


def create_service(settings: Settings | None = None) -> FastAPI:
    runtime = Runtime(settings or Settings(service_name="portal"))
    runtime.index(*INDEXES)
    directory = Directory(runtime.db)
    views = TicketViews(runtime.db)
    subscribe(runtime, views)
    router = build_router(directory, views, runtime.keys, runtime.settings.access_token_minutes)
    return create_app(runtime, title="fiscaldesk portal", routers=[router])
