"""Intake's problem API: report, record a call, read (第七条–第十条). Parse, authorise, call a handler."""

from typing import Annotated

from fastapi import APIRouter, Query, Request, status
from pydantic import BaseModel

from services.intake import problem_handlers
from services.intake.problem_handlers import ProblemDesk
from services.intake.problem_schemas import ProblemCreate, RecordedProblem
from shared.auth import CurrentUser
from shared.params import Skip


class ProblemAccepted(BaseModel):
    id: str
    status: str = "reported"


def build_router(desk: ProblemDesk) -> APIRouter:
    router = APIRouter(prefix="/api/problems", tags=["problems"])

    @router.post("", status_code=status.HTTP_201_CREATED, response_model=ProblemAccepted)
    async def report(body: ProblemCreate, user: CurrentUser, request: Request) -> ProblemAccepted:
        """Report a problem at any time (第十条); the details' shape follows the category (第七条)."""
        ticket_id = await problem_handlers.report(
            body, user=user, desk=desk, correlation_id=request.state.correlation_id
        )
        return ProblemAccepted(id=ticket_id)

    @router.post("/recorded", status_code=status.HTTP_201_CREATED, response_model=ProblemAccepted)
    async def record_call(body: RecordedProblem, user: CurrentUser, request: Request) -> ProblemAccepted:
        """The duty operator records a 400 hotline call or a WeChat service group message (第九条)."""
        ticket_id = await problem_handlers.record_call(
            body, user=user, desk=desk, correlation_id=request.state.correlation_id
        )
        return ProblemAccepted(id=ticket_id)

    @router.get("")
    async def list_problems(
        user: CurrentUser,
        category: Annotated[str | None, Query(pattern="^(configuration|data_repair|bug|consulting)$")] = None,
        limit: Annotated[int, Query(ge=1, le=200)] = 50,
        skip: Skip = 0,
    ) -> list[dict]:
        """Problems in the signed-in user's area, newest first."""
        return await desk.problems.list_in_area(user, category=category, limit=limit, skip=skip)

    @router.get("/{problem_id}")
    async def read(problem_id: str, user: CurrentUser) -> dict:
        return await problem_handlers.read(problem_id, user=user, desk=desk)

    return router
