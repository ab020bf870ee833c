"""Review's HTTP API and subscribers: parse, authorise (services.review.policy), call a handler.

Errors are DomainErrors, which shared.web answers as {"error": code, "message": ..., "detail": [...]}.
"""

from functools import partial
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response

from services.review import policy
from services.review.adapters import PublicationRepository, ReviewCaseRepository
from services.review.domain import (
    ConfirmRequirement,
    ForwardRequirement,
    MergeRequirement,
    PublishMonth,
    RefineRequirement,
    RejectRequirement,
    RequirementPart,
    ReturnRequirement,
    ReviewInBatch,
    SplitRequirement,
)
from services.review.handlers import (
    confirm_requirement,
    merge_requirement,
    read_case,
    refine_requirement,
    review_in_batch,
    review_requirement,
    split_requirement,
    when_requirement_split_open_parts,
    when_requirement_submitted_open_review,
    when_review_task_opened_receive,
)
from services.review.publication_docx import MEDIA_TYPE, filename
from services.review.publishing import (
    list_publications,
    preview_month,
    publish_month,
    read_publication,
    specification,
)
from services.review.queue import QueueFilters, ReviewClock, review_queue
from services.review.schemas import (
    BatchReviewBody,
    ConfirmBody,
    ForwardBody,
    MergeBody,
    PublicationBody,
    RefineBody,
    RejectBody,
    ReturnBody,
    SplitBody,
)
from shared.auth import CurrentUser
from shared.clock import Clock
from shared.params import Skip
from shared.review_deployments import ReviewDeployment
from shared.runtime import Runtime

GROUP = "review"
# Review reads its own RequirementSplit to open the parts: a group of its own, so it keeps its own offsets.
SPLIT_GROUP = "review-split"
TicketPath = Annotated[str, Path(pattern=r"^[A-Za-z0-9:_-]{1,64}$")]
Limit = Annotated[int, Query(ge=1, le=500)]
Filter = Annotated[str | None, Query(max_length=64)]


def build_router(
    cases: ReviewCaseRepository,
    publications: PublicationRepository,
    clock: Clock,
    timing: ReviewClock,
    deployment: ReviewDeployment | None = None,
) -> APIRouter:
    """Level review, and (where the deployment serves the whole chain: every level, or the region's;
    decision 0016) refinement, confirmation and publication."""
    deployment = deployment or ReviewDeployment()
    router = APIRouter(prefix="/api")
    review = {"repository": cases}
    level_review = {"repository": cases, "deployment": deployment}

    @router.get("/review-tasks", tags=["review"])
    async def my_queue(
        user: CurrentUser,
        limit: Limit = 100,
        category: Filter = None,
        urgency: Filter = None,
        org_id: Filter = None,
        keyword: Annotated[str | None, Query(max_length=100)] = None,
        overdue: bool | None = None,
    ) -> list[dict]:
        """The open review tasks of the signed-in reviewer's own finance bureau (its level and area only),
        oldest first: each with `opened_at`, `due_on`, `due_at`, `overdue` and `working_days_left` by the
        region's review deadline (FD_REVIEW_WORKING_DAYS working days). Filters: category, urgency,
        org_id (the submitting organisation), keyword (id, title, description), overdue."""
        filters = QueueFilters(category, urgency, org_id, keyword, overdue)
        return await review_queue(
            user, repository=cases, timing=timing, filters=filters, limit=limit, deployment=deployment
        )

    @router.post("/review-tasks/batch", tags=["review"])
    async def batch(body: BatchReviewBody, user: CurrentUser, request: Request) -> dict:
        """Forward, reject or return many requirements at once (reviewers of a finance bureau).

        Partial rule: each ticket is applied on its own, in the order given, in its own write. One that
        fails (not found in your area: 404, not your level's turn or not in review: 409, ...) changes
        nothing and does not stop the others; those that succeeded stay done. The answer is 200 with one
        result per ticket: {"ticket_id", "ok": true, "status"} or {"ticket_id", "ok": false, "http_status",
        "error", "message"}. A body that breaks a rule as a whole (e.g. a reject without a detailed reason)
        is refused with 422 before anything is applied.
        """
        command = ReviewInBatch(tuple(body.ticket_ids), body.action, body.opinion, body.reason)
        results = await review_in_batch(command, by=user, correlation_id=request.state.correlation_id, **level_review)
        return {"results": results, "ok": sum(r["ok"] for r in results), "failed": sum(not r["ok"] for r in results)}

    @router.post("/review-tasks/{ticket_id}/forward", tags=["review"])
    async def forward(ticket_id: TicketPath, body: ForwardBody, user: CurrentUser, request: Request) -> dict:
        """建议实现，报送上级复核 (第六条一); at the region this completes the review."""
        command = ForwardRequirement(ticket_id, body.opinion)
        return await review_requirement(command, by=user, correlation_id=request.state.correlation_id, **level_review)

    @router.post("/review-tasks/{ticket_id}/reject", tags=["review"])
    async def reject(ticket_id: TicketPath, body: RejectBody, user: CurrentUser, request: Request) -> dict:
        """不予实现，详细描述驳回理由 (第六条一); final."""
        command = RejectRequirement(ticket_id, body.reason)
        return await review_requirement(command, by=user, correlation_id=request.state.correlation_id, **level_review)

    @router.post("/review-tasks/{ticket_id}/return", tags=["review"])
    async def return_(ticket_id: TicketPath, body: ReturnBody, user: CurrentUser, request: Request) -> dict:
        """Back to the submitter for amendment; the resubmission is reviewed again from the unit's own bureau."""
        command = ReturnRequirement(ticket_id, body.reason)
        return await review_requirement(command, by=user, correlation_id=request.state.correlation_id, **level_review)

    @router.get("/review-cases/{ticket_id}", tags=["review"])
    async def case(ticket_id: TicketPath, user: CurrentUser) -> dict:
        """A requirement's review case: tasks, history (who, when, why), decision; 404 outside your area."""
        return await read_case(ticket_id, reader=user, **review)

    if not deployment.whole_chain:
        return router

    @router.get("/refinement-queue", tags=["refinement"])
    async def refinement_queue(user: CurrentUser, limit: Limit = 100) -> list[dict]:
        """Reviewed by every level, waiting for the IT division's refinement (第六条二)."""
        policy.authorize_refinement(user)
        return await cases.awaiting_refinement(limit=limit)

    @router.post("/refinement/{ticket_id}", tags=["refinement"])
    async def refine(ticket_id: TicketPath, body: RefineBody, user: CurrentUser, request: Request) -> dict:
        """梳理细化 (第六条二, IT division): clarify and route to a business division."""
        command = RefineRequirement(ticket_id, **body.model_dump())
        return await refine_requirement(command, by=user, correlation_id=request.state.correlation_id, **review)

    @router.post("/refinement/{ticket_id}/merge", tags=["refinement"])
    async def merge(ticket_id: TicketPath, body: MergeBody, user: CurrentUser, request: Request) -> dict:
        """Merge a duplicate into another requirement awaiting refinement or confirmation (IT division)."""
        command = MergeRequirement(ticket_id, body.into, body.reason)
        return await merge_requirement(command, by=user, correlation_id=request.state.correlation_id, **review)

    @router.post("/refinement/{ticket_id}/split", tags=["refinement"])
    async def split(ticket_id: TicketPath, body: SplitBody, user: CurrentUser, request: Request) -> dict:
        """拆分 (第六条二, IT division): one requirement awaiting refinement or confirmation becomes 2–10
        requirements (`{ticket_id}-1`, `-2`, …), each awaiting refinement on its own; the original ends as
        `split`. The parts reach the refinement queue shortly after (opened from the RequirementSplit event).
        A bad part answers 422 naming it (`parts.1.title`) and changes nothing; 409 when not refinable."""
        parts = tuple(RequirementPart(part.title, part.description, part.module) for part in body.parts)
        command = SplitRequirement(ticket_id, parts, body.reason)
        return await split_requirement(command, by=user, correlation_id=request.state.correlation_id, **review)

    @router.get("/confirmation-queue", tags=["confirmation"])
    async def confirmation_queue(user: CurrentUser, limit: Limit = 100) -> list[dict]:
        """Requirements routed to the signed-in user's business division, waiting for its answer (第六条三)."""
        policy.authorize_confirmation(user)
        return await cases.awaiting_confirmation(user.org_id, limit=limit)

    @router.post("/confirmation/{ticket_id}", tags=["confirmation"])
    async def confirmation(ticket_id: TicketPath, body: ConfirmBody, user: CurrentUser, request: Request) -> dict:
        """需求确认 (第六条三, the business division routed to): adopt, or decline with a reason."""
        command = ConfirmRequirement(ticket_id, body.decision == "adopt", body.reason, body.expected_upgrade)
        return await confirm_requirement(
            command, by=user, clock=clock, correlation_id=request.state.correlation_id, **review
        )

    publishing = {"publications": publications}

    @router.post("/publications", status_code=201, tags=["publication"])
    async def publish(body: PublicationBody, user: CurrentUser, request: Request) -> dict:
        """需求公示 (第六条四, IT division): publish confirmed requirements; one not confirmed is refused (409)."""
        command = PublishMonth(body.month, tuple(body.ticket_ids), body.submitted_month)
        return await publish_month(
            command, by=user, cases=cases, correlation_id=request.state.correlation_id, **publishing
        )

    @router.get("/publications", tags=["publication"])
    async def publications_list(
        user: CurrentUser, month: str | None = None, limit: Limit = 50, skip: Skip = 0
    ) -> list[dict]:
        """Every publication, newest first (everyone signed in, 第六条四)."""
        return await list_publications(reader=user, month=month, limit=limit, skip=skip, **publishing)

    @router.get("/publications/preview", tags=["publication"])
    async def publication_preview(
        user: CurrentUser,
        month: Annotated[str, Query(max_length=7)],
        submitted_month: Annotated[str | None, Query(max_length=7)] = None,
    ) -> dict:
        """What publishing the month would add now, and whether it amends its publication (IT division)."""
        return await preview_month(month, submitted_month=submitted_month, by=user, cases=cases, **publishing)

    @router.get("/publications/{batch_id}", tags=["publication"])
    async def publication(batch_id: TicketPath, user: CurrentUser) -> dict:
        """One publication: adopted or not, expected upgrade date, reason for not adopting (第六条四)."""
        return await read_publication(batch_id, reader=user, **publishing)

    @router.get("/publications/{batch_id}/specification.docx", tags=["publication"])
    async def specification_document(batch_id: TicketPath, user: CurrentUser) -> Response:
        """软件需求说明书 of the batch's adopted requirements (IT division, business divisions, auditors)."""
        content = await specification(batch_id, reader=user, **publishing)
        disposition = f'attachment; filename="{filename(batch_id)}"'
        return Response(content, media_type=MEDIA_TYPE, headers={"content-disposition": disposition})

    return router


def subscribe(runtime: Runtime, repository: ReviewCaseRepository, deployment: ReviewDeployment | None = None) -> None:
    """Every deployment opens the cases whose first level it serves; a level deployment also takes its
    level's tasks from `review-tasks.<level>`; the whole chain's deployment opens the parts of a split.
    A level deployment's groups are its own (`review-<name>`, `review-open-<name>`, decision 0016)."""
    deployment = deployment or ReviewDeployment()
    runtime.subscribe(
        runtime.topics.requirements,
        group=f"review-open-{deployment.name}" if deployment.by_level else GROUP,
        handlers={
            "RequirementSubmitted": partial(
                when_requirement_submitted_open_review,
                repository=repository,
                clock=runtime.clock,
                deployment=deployment,
            )
        },
    )
    if deployment.level is not None:
        runtime.subscribe(
            runtime.topics.review_tasks(deployment.level),
            group=f"review-{deployment.name}",
            handlers={
                "ReviewTaskOpened": partial(
                    when_review_task_opened_receive, repository=repository, deployment=deployment
                )
            },
        )
    if not deployment.whole_chain:
        return
    runtime.subscribe(
        runtime.topics.review_events,
        group=SPLIT_GROUP,
        handlers={"RequirementSplit": partial(when_requirement_split_open_parts, repository=repository)},
    )
