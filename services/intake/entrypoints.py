"""Intake's HTTP API: parse, authorise, call a handler. No business rules here."""

from typing import Annotated

from fastapi import APIRouter, Query, Request, status
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from services.intake.adapters import RequirementRepository
from services.intake.domain import RequirementCategory, SubmitRequirement, Urgency
from services.intake.handlers import get_requirement, handle_submit_requirement
from shared.auth import CurrentUser
from shared.ratelimit import Limit, RateLimiter

Text = Annotated[str, StringConstraints(strip_whitespace=True)]


class RequirementCreate(BaseModel):
    """需求提交表单 (第一条, 第二条)."""

    model_config = ConfigDict(extra="forbid")

    category: RequirementCategory = Field(description="需求类别: new 新增 / optimisation 优化完善 / report 统计报表")
    title: Annotated[Text, StringConstraints(min_length=2, max_length=100)] = Field(description="需求标题")
    description: Annotated[Text, StringConstraints(min_length=10, max_length=5000)] = Field(description="需求描述")
    business_scenario: Annotated[Text, StringConstraints(max_length=2000)] = ""
    expected_effect: Annotated[Text, StringConstraints(max_length=2000)] = ""
    urgency: Urgency = Urgency.NORMAL
    module: Annotated[Text, StringConstraints(max_length=100)] = ""
    local_justification: Annotated[Text, StringConstraints(max_length=2000)] = Field(
        "", description="个性化需求的必要性说明 (第一条)"
    )


class RequirementAccepted(BaseModel):
    id: str
    status: str


def build_router(repository: RequirementRepository, limiter: RateLimiter, submission_limit: Limit) -> APIRouter:
    router = APIRouter(prefix="/api/requirements", tags=["requirements"])

    @router.post("", status_code=status.HTTP_201_CREATED, response_model=RequirementAccepted)
    async def submit(body: RequirementCreate, user: CurrentUser, request: Request) -> RequirementAccepted:
        """Submit a requirement for the signed-in user's organisation."""
        command = SubmitRequirement(**body.model_dump())
        requirement_id = await handle_submit_requirement(
            command,
            submitter=user,
            repository=repository,
            limiter=limiter,
            limit=submission_limit,
            correlation_id=request.state.correlation_id,
        )
        return RequirementAccepted(id=requirement_id, status="submitted")

    @router.get("")
    async def list_requirements(
        user: CurrentUser,
        limit: Annotated[int, Query(ge=1, le=200)] = 50,
        skip: Annotated[int, Query(ge=0)] = 0,
    ) -> list[dict]:
        """Requirements in the signed-in user's area, newest first."""
        return await repository.list_in_area(user, limit=limit, skip=skip)

    @router.get("/{requirement_id}")
    async def read(requirement_id: str, user: CurrentUser) -> dict:
        return await get_requirement(requirement_id, reader=user, repository=repository)

    return router
