"""Wiring of the intake service (submission from every channel); no connection is opened at import."""

from fastapi import FastAPI

from services.intake.adapters import RequirementRepository
from services.intake.entrypoints import build_router
from shared.ratelimit import Limit, RateLimiter
from shared.runtime import Runtime
from shared.settings import Settings
from shared.store import IndexSpec
from shared.web import create_app


def create_service(settings: Settings | None = None) -> FastAPI:
    runtime = Runtime(settings or Settings(service_name="intake"))
    runtime.index(
        IndexSpec("requirements", [("org.path", 1), ("submitted_at", -1)]),
        IndexSpec("requirements", [("status", 1)]),
    )
    repository = RequirementRepository(runtime.aggregates("requirements"), runtime.outbox, runtime.relay.wake)
    limiter = RateLimiter(runtime.db["rate_limits"])
    submission_limit = Limit("submit", runtime.settings.submissions_per_minute, 60)
    router = build_router(repository, limiter, submission_limit)
    return create_app(runtime, title="fiscaldesk intake", routers=[router])
