"""Wiring of the review service (level review, refinement, confirmation, publication; 第三条, 第六条一～四;
the problem procedure and its SLA clocks, 第七条–第十一条, in services/review/problems)."""

from functools import partial

from fastapi import FastAPI

from services.review.adapters import PublicationRepository, ReviewCaseRepository
from services.review.entrypoints import build_router, subscribe
from services.review.handlers import remind_overdue_reviews
from services.review.problems.adapters import CalendarCorrections
from services.review.problems.wiring import install as install_problems
from services.review.publishing import resume_drafts
from services.review.queue import ReviewClock
from shared.periodic import PeriodicTask
from shared.review_deployments import ReviewDeployment
from shared.runtime import Runtime
from shared.settings import Settings
from shared.web import create_app


class ReviewSettings(Settings):
    service_name: str = "review"
    # How often the problems' SLA clocks are read for warnings and breaches (FD_SLA_CHECK_SECONDS).
    sla_check_seconds: float = 60.0
    # How often open review tasks are checked against their level's deadline (FD_REVIEW_OVERDUE_CHECK_SECONDS).
    review_overdue_check_seconds: float = 600.0
    # Which part of level review this deployment serves (decision 0016): FD_REVIEW_LEVEL county|city|region,
    # empty for every level and the whole chain; FD_REVIEW_AREA a division code prefix (county and city).
    review_level: str = ""
    review_area: str = ""


def create_service(settings: Settings | None = None) -> FastAPI:
    settings = settings or ReviewSettings()
    deployment = ReviewDeployment.of(getattr(settings, "review_level", ""), getattr(settings, "review_area", ""))
    runtime = Runtime(settings)
    db = runtime.database
    cases = ReviewCaseRepository(db, runtime.outbox)
    publications = PublicationRepository(db, runtime.outbox)
    subscribe(runtime, cases, deployment)
    routers = []
    on_start = []
    if deployment.whole_chain:
        # The problem procedure, publications and the split parts are the region's (decision 0016).
        problems = install_problems(runtime, db, sla_check_seconds=getattr(settings, "sla_check_seconds", 60.0))
        routers.append(problems.router)
        on_start.append(partial(resume_drafts, cases=cases, publications=publications))
    # The review deadline counts the same working days as the problems' SLA clocks: the official calendar
    # with the region's corrections, which the problem procedure keeps (read here, never written).
    corrections = CalendarCorrections(db)
    timing = ReviewClock(runtime.clock, corrections.current, settings.review_working_days)
    overdue = PeriodicTask(
        "review-overdue-check",
        partial(remind_overdue_reviews, repository=cases, timing=timing, deployment=deployment),
        getattr(settings, "review_overdue_check_seconds", 600.0),
    )
    runtime.background.append(overdue)
    return create_app(
        runtime,
        title=f"fiscaldesk review ({deployment.name})",
        routers=[build_router(cases, publications, runtime.clock, timing, deployment), *routers],
        on_start=on_start,
    )
