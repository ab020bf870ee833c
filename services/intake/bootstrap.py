"""Wiring of the intake service (submission from every channel, attachments, the monthly window)."""

from fastapi import FastAPI

from services.intake import problem_entrypoints
from services.intake.adapters import AttachmentStore, CalendarStore, ProblemRepository, RequirementRepository
from services.intake.directory import OrganisationDirectory
from services.intake.entrypoints import build_router, subscribe
from services.intake.handlers import Intake
from services.intake.problem_handlers import ProblemDesk
from shared.ratelimit import Limit, RateLimiter
from shared.runtime import Runtime
from shared.settings import Settings
from shared.web import create_app


def create_service(settings: Settings | None = None) -> FastAPI:
    runtime = Runtime(settings or Settings(service_name="intake"))
    db = runtime.database
    outbox = runtime.outbox
    intake = Intake(
        requirements=RequirementRepository(db, outbox),
        calendar=CalendarStore(db, outbox, cache_seconds=runtime.settings.window_cache_seconds),
        clock=runtime.clock,
        limiter=RateLimiter(db),
        submission_limit=Limit("submit", runtime.settings.submissions_per_minute, 60),
    )
    directory = OrganisationDirectory(db)
    desk = ProblemDesk(ProblemRepository(db, outbox), intake.limiter, intake.submission_limit, directory)
    subscribe(runtime, intake, directory)
    files = AttachmentStore(db)
    routers = [
        build_router(intake, files),
        problem_entrypoints.build_router(desk, files),
        problem_entrypoints.build_ticket_files_router(intake, desk, files),
    ]
    return create_app(runtime, title="fiscaldesk intake", routers=routers)
