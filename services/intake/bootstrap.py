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
from shared.store import IndexSpec
from shared.web import create_app


def create_service(settings: Settings | None = None) -> FastAPI:
    runtime = Runtime(settings or Settings(service_name="intake"))
    runtime.index(
        IndexSpec("requirements", [("org.path", 1), ("submitted_at", -1)]),
        IndexSpec("requirements", [("submitter.id", 1), ("status", 1)]),
        IndexSpec("requirements", [("import_key", 1)], unique=True, name="import_key_unique"),
        IndexSpec("attachment_files", [("requirement_id", 1)]),
        IndexSpec("problems", [("org.path", 1), ("reported_at", -1)]),
        IndexSpec("problems", [("category", 1), ("reported_at", -1)]),
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
        limiter=RateLimiter(runtime.serialized("rate_limits")),
        submission_limit=Limit("submit", runtime.settings.submissions_per_minute, 60),
    )
    directory = OrganisationDirectory(runtime.db["organisations"])
    desk = ProblemDesk(
        ProblemRepository(runtime.aggregates("problems"), runtime.outbox, runtime.relay.wake),
        intake.limiter,
        intake.submission_limit,
        directory,
    )
    subscribe(runtime, intake, directory)
    routers = [
        build_router(intake, AttachmentStore(runtime.db["attachment_files"], requirements)),
        problem_entrypoints.build_router(desk),
    ]
    return create_app(runtime, title="fiscaldesk intake", routers=routers)
