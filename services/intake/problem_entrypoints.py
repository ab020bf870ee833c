"""Intake's problem API: report, record a call, read (第七条–第十条). Parse, authorise, call a handler."""

from typing import Annotated

from fastapi import APIRouter, File, Query, Request, Response, UploadFile, status
from pydantic import BaseModel

from services.intake import problem_handlers, ticket_files
from services.intake.adapters import AttachmentStore
from services.intake.attachments import MAX_BYTES
from services.intake.entrypoints import attachment_response, read_upload
from services.intake.handlers import Intake
from services.intake.problem_handlers import ProblemDesk
from services.intake.problem_schemas import ProblemCreate, RecordedProblem
from shared.auth import CurrentUser
from shared.params import Skip


class ProblemAccepted(BaseModel):
    id: str
    status: str = "reported"


def build_router(desk: ProblemDesk, files: AttachmentStore) -> APIRouter:
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

    @router.post("/{problem_id}/attachments", status_code=status.HTTP_201_CREATED)
    async def attach(problem_id: str, user: CurrentUser, file: Annotated[UploadFile, File()]) -> dict:
        """The reporter attaches a screenshot or document to the report, as requirements take them (PDF, PNG,
        JPEG, OOXML, text; at most 10 MB, 10 per problem)."""
        content = await read_upload(file, MAX_BYTES)
        return await ticket_files.attach_to_problem(
            problem_id, file.filename or "file", content, user=user, desk=desk, store=files
        )

    @router.get("/{problem_id}/attachments/{attachment_id}", response_class=Response)
    async def download(problem_id: str, attachment_id: str, user: CurrentUser) -> Response:
        description, content = await ticket_files.problem_file(
            problem_id, attachment_id, user=user, desk=desk, store=files
        )
        return attachment_response(description, content)

    return router


def build_ticket_files_router(intake: Intake, desk: ProblemDesk, files: AttachmentStore) -> APIRouter:
    """Files for comments on a ticket (the portal owns the comments, services/portal/comments.py)."""
    router = APIRouter(prefix="/api/tickets", tags=["comments"])
    context = {"intake": intake, "desk": desk, "store": files}

    @router.post("/{ticket_id}/attachments", status_code=status.HTTP_201_CREATED)
    async def upload(ticket_id: str, user: CurrentUser, file: Annotated[UploadFile, File()]) -> dict:
        """Upload a screenshot or document for a comment on a ticket one may read; the comment names its id."""
        content = await read_upload(file, MAX_BYTES)
        return await ticket_files.attach_for_comment(ticket_id, file.filename or "file", content, user=user, **context)

    @router.get("/{ticket_id}/attachments/{attachment_id}", response_class=Response)
    async def download(ticket_id: str, attachment_id: str, user: CurrentUser) -> Response:
        description, content = await ticket_files.comment_file(ticket_id, attachment_id, user=user, **context)
        return attachment_response(description, content)

    @router.get("/{ticket_id}/attachments/{attachment_id}/mine")
    async def mine(ticket_id: str, attachment_id: str, user: CurrentUser) -> dict:
        """The description of a file the caller uploaded for this ticket (404 for anyone else's): what the
        portal checks before a comment may name it."""
        return await ticket_files.own_comment_file(ticket_id, attachment_id, user=user, **context)

    return router
