"""Wiring of the review service (hierarchical review, refinement, confirmation, publication, SLA clocks)."""

from fastapi import FastAPI

from services.review.adapters import ReviewCaseRepository
from services.review.entrypoints import build_router, subscribe
from shared.runtime import Runtime
from shared.settings import Settings
from shared.store import IndexSpec
from shared.web import create_app


def create_service(settings: Settings | None = None) -> FastAPI:
    runtime = Runtime(settings or Settings(service_name="review"))
    runtime.index(IndexSpec("review_cases", [("current_division", 1), ("opened_at", 1)]))
    repository = ReviewCaseRepository(runtime.aggregates("review_cases"), runtime.outbox, runtime.relay.wake)
    subscribe(runtime, repository)
    return create_app(runtime, title="fiscaldesk review", routers=[build_router(repository)])
