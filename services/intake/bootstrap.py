"""Wiring of the intake service (submission from every channel, attachments, the monthly window)."""

from fastapi import FastAPI

from services.intake.adapters import AttachmentStore, CalendarStore, RequirementRepository
from services.intake.entrypoints import build_router, subscribe
from services.intake.handlers import Intake
from shared.ratelimit import Limit, RateLimiter
from shared.runtime import Runtime
from shared.settings import Settings
from shared.store import IndexSpec
from shared.web import create_app


def create_service(settings: Settings | None = None) -> FastAPI:
    runtime = Runtime(settings or Settings(service_name="intake"))
    runtime.index(
        IndexSpec("requirements", [("org.path", 1), ("submitted_at", -1)]),
        IndexSpec("requirements", [("submitter.id", 1), ("status", 1)]),
        IndexSpec("requirements", [("import_key", 1)], unique=True, name="import_key_unique"),
        IndexSpec("attachment_files", [("requirement_id", 1)]),
    )
    requirements = runtime.aggregates("requirements")
    intake = Intake(
        requirements=RequirementRepository(requirements, runtime.outbox, runtime.relay.wake),
        calendar=CalendarStore(
            runtime.aggregates("calendar_overrides"),
            runtime.aggregates("submission_windows"),
            runtime.outbox,
            runtime.relay.wake,
        ),
        clock=runtime.clock,
        limiter=RateLimiter(runtime.db["rate_limits"]),
        submission_limit=Limit("submit", runtime.settings.submissions_per_minute, 60),
    )
    subscribe(runtime, intake)
    router = build_router(intake, AttachmentStore(runtime.db["attachment_files"], requirements))
    return create_app(runtime, title="fiscaldesk intake", routers=[router])
