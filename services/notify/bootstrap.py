"""Wiring of the notify service (in-app inbox; announcements, WeCom and WeChat delivery to come)."""

from fastapi import FastAPI

from services.notify.adapters import AnnouncementRepository, NotificationRepository
from services.notify.entrypoints import build_router, subscribe
from shared.runtime import Runtime
from shared.settings import Settings
from shared.store import IndexSpec
from shared.web import create_app


def create_service(settings: Settings | None = None) -> FastAPI:
    runtime = Runtime(settings or Settings(service_name="notify"))
    runtime.index(IndexSpec("notifications", [("recipient", 1), ("created_at", -1)]))
    runtime.index(IndexSpec("announcements", [("pinned", -1), ("published_at", -1)]))
    repository = NotificationRepository(runtime.aggregates("notifications"), runtime.outbox, runtime.relay.wake)
    announcements = AnnouncementRepository(runtime.db["announcements"])
    subscribe(runtime, repository, announcements)
    return create_app(runtime, title="fiscaldesk notify", routers=[build_router(repository, announcements)])
