"""Review's HTTP API and subscribers: parse, authorise, call a handler."""

from functools import partial
from typing import Annotated

from fastapi import APIRouter, Query

from services.review import policy
from services.review.adapters import ReviewCaseRepository
from services.review.handlers import when_requirement_submitted_open_review
from shared.auth import CurrentUser
from shared.runtime import Runtime

GROUP = "review"


def build_router(repository: ReviewCaseRepository) -> APIRouter:
    router = APIRouter(prefix="/api/review-tasks", tags=["review"])

    @router.get("")
    async def my_queue(user: CurrentUser, limit: Annotated[int, Query(ge=1, le=500)] = 100) -> list[dict]:
        """The open review tasks of the signed-in reviewer's own finance bureau (its level and area only)."""
        policy.authorize_queue(user)
        return await repository.open_tasks_for(user.division_code, limit=limit)

    return router


def subscribe(runtime: Runtime, repository: ReviewCaseRepository) -> None:
    runtime.subscribe(
        runtime.topics.requirements,
        group=GROUP,
        handlers={"RequirementSubmitted": partial(when_requirement_submitted_open_review, repository=repository)},
    )
