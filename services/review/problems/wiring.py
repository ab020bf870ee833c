"""The problem procedure inside the review service: its repositories, subscriber, router and the
periodic SLA check (a background task of the runtime), installed by services/review/bootstrap.py."""

from dataclasses import dataclass
from functools import partial

from fastapi import APIRouter

from services.review.problems import adapters
from services.review.problems.entrypoints import build_router, subscribe
from services.review.problems.handlers import ProblemDesk, check_clocks
from shared.db import Database
from shared.periodic import PeriodicTask
from shared.runtime import Runtime


@dataclass(frozen=True)
class ProblemProcedure:
    desk: ProblemDesk
    router: APIRouter
    sla_check: PeriodicTask


def install(runtime: Runtime, db: Database, *, sla_check_seconds: float) -> ProblemProcedure:
    desk = ProblemDesk(
        cases=adapters.ProblemCaseRepository(db, runtime.outbox),
        faq=adapters.FaqRepository(db, runtime.outbox),
        calendar=adapters.CalendarCorrections(db),
        clock=runtime.clock,
    )
    subscribe(runtime, desk)
    # Started and stopped with the service (shared.runtime: Runtime.background).
    sla_check = PeriodicTask("problem-sla-check", partial(check_clocks, desk=desk), sla_check_seconds)
    runtime.background.append(sla_check)
    return ProblemProcedure(desk, build_router(desk), sla_check)
