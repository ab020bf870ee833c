"""Wiring of the review service (level review, refinement, confirmation, publication; 第三条, 第六条一～四)."""

from functools import partial

from fastapi import FastAPI

from services.review.adapters import PublicationRepository, ReviewCaseRepository
from services.review.adapters import cases as case_store
from services.review.adapters import publications as publication_store
from services.review.entrypoints import build_router, subscribe
from services.review.publishing import resume_drafts
from shared.runtime import Runtime
from shared.settings import Settings
from shared.web import create_app


def create_service(settings: Settings | None = None) -> FastAPI:
    runtime = Runtime(settings or Settings(service_name="review"))
    runtime.index(*case_store.INDEXES, *publication_store.INDEXES)
    cases = ReviewCaseRepository(runtime.aggregates(case_store.COLLECTION), runtime.outbox, runtime.relay.wake)
    publications = PublicationRepository(
        runtime.aggregates(publication_store.COLLECTION), runtime.outbox, runtime.relay.wake
    )
    subscribe(runtime, cases)
    return create_app(
        runtime,
        title="fiscaldesk review",
        routers=[build_router(cases, publications, runtime.clock)],
        on_start=[partial(resume_drafts, cases=cases, publications=publications)],
    )
