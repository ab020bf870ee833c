"""Intake's HTTP API and subscribers: parse, authorise, call a handler. No business rules here."""

from datetime import date
from functools import partial
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, File, Header, Query, Request, Response, UploadFile, status
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from services.intake import handlers, spreadsheet
from services.intake.adapters import AttachmentStore
from services.intake.attachments import MAX_BYTES, download_name
from services.intake.directory import OrganisationDirectory, when_organisation_changed_keep_it
from services.intake.handlers import Intake
from services.intake.schemas import RequirementCreate
from services.intake.window import corrections_in_force, window_of_month, window_status
from shared.auth import CurrentUser
from shared.errors import InvalidInput
from shared.params import INT4_MAX, Skip
from shared.runtime import Runtime
from shared.validation import field_error

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class RequirementAccepted(BaseModel):
    id: str
    status: str


class ExtraWindow(BaseModel):
    model_config = ConfigDict(extra="forbid")
    opens_at: AwareDatetime
    closes_at: AwareDatetime
    reason: str = Field(min_length=4, max_length=500)

    @model_validator(mode="after")
    def closes_after_it_opens(self) -> "ExtraWindow":
        if self.closes_at <= self.opens_at:
            raise field_error("ExtraWindow", ("closes_at",), "window_order", self.closes_at, after="opens_at")
        return self


class CalendarCorrection(BaseModel):
    model_config = ConfigDict(extra="forbid")
    is_workday: bool | None = Field(description="true: a working day; false: a day off; null: withdraw")
    note: str = Field("", max_length=200)


def attachment_response(description: dict, content: bytes) -> Response:
    """A stored file, downloaded under its id and real type (never the name it was uploaded with)."""
    headers = {"content-disposition": f'attachment; filename="{download_name(description)}"'}
    return Response(content, media_type=description["media_type"], headers=headers)


async def read_upload(file: UploadFile, limit: int) -> bytes:
    content = await file.read(limit + 1)
    if len(content) > limit:
        raise InvalidInput("file_too_large", f"文件不能超过 {limit // 1024 // 1024} MB (file too large)", field="file")
    return content


def build_router(intake: Intake, files: AttachmentStore) -> APIRouter:
    router = APIRouter(prefix="/api", tags=["requirements"])

    @router.post("/requirements", status_code=status.HTTP_201_CREATED, response_model=RequirementAccepted)
    async def submit(body: RequirementCreate, user: CurrentUser, request: Request) -> RequirementAccepted:
        """Submit a requirement for the signed-in user's organisation (第五条: inside the window only)."""
        ticket_id = await handlers.submit(
            body.form(), user=user, intake=intake, correlation_id=request.state.correlation_id
        )
        return RequirementAccepted(id=ticket_id, status="submitted")

    @router.post("/requirements/drafts", status_code=status.HTTP_201_CREATED, response_model=RequirementAccepted)
    async def save_draft(body: RequirementCreate, user: CurrentUser, request: Request) -> RequirementAccepted:
        """Save a draft at any time; submit it later with POST /api/requirements/{id}/submit."""
        ticket_id = await handlers.save_draft(
            body.form(), user=user, intake=intake, correlation_id=request.state.correlation_id
        )
        return RequirementAccepted(id=ticket_id, status="draft")

    @router.put("/requirements/{requirement_id}", status_code=status.HTTP_204_NO_CONTENT)
    async def amend(
        requirement_id: str,
        body: RequirementCreate,
        user: CurrentUser,
        request: Request,
        if_match: Annotated[
            int | None, Header(ge=0, le=INT4_MAX, description="the version read: 409 if changed meanwhile")
        ] = None,
    ) -> None:
        """Edit a draft, or a requirement returned for amendment. `If-Match: <version>` (the `version` of GET)
        refuses an edit made on a copy that changed meanwhile (409)."""
        await handlers.amend(
            requirement_id,
            body.form(),
            user=user,
            intake=intake,
            correlation_id=request.state.correlation_id,
            expected_version=if_match,
        )

    @router.delete("/requirements/{requirement_id}", status_code=status.HTTP_204_NO_CONTENT)
    async def delete_draft(requirement_id: str, user: CurrentUser) -> None:
        """Delete one of your drafts (with its attachments); a submitted requirement is never deleted (409)."""
        await handlers.delete_draft(requirement_id, user=user, intake=intake)

    @router.post("/requirements/{requirement_id}/submit", response_model=RequirementAccepted)
    async def submit_draft(requirement_id: str, user: CurrentUser, request: Request) -> RequirementAccepted:
        """Submit a draft, or resubmit a returned requirement (review starts again at the unit's bureau)."""
        state = await handlers.submit_draft(
            requirement_id, user=user, intake=intake, correlation_id=request.state.correlation_id
        )
        return RequirementAccepted(id=requirement_id, status=state)

    @router.get("/requirements")
    async def list_requirements(
        user: CurrentUser,
        status: Annotated[str | None, Query(pattern="^(draft|submitted|returned|rejected)$")] = None,
        mine: bool = False,
        limit: Annotated[int, Query(ge=1, le=200)] = 50,
        skip: Skip = 0,
    ) -> list[dict]:
        """Requirements in the signed-in user's area (or only their own with mine=true), newest first."""
        return await intake.requirements.list_in_area(user, status=status, mine=mine, limit=limit, skip=skip)

    @router.get("/requirements/template.xlsx", response_class=Response)
    async def template(_: CurrentUser) -> Response:
        """The template spreadsheet (需求征集样表) with drop-downs and instructions (第四条)."""
        filename = quote("需求征集样表.xlsx")
        headers = {"content-disposition": f"attachment; filename*=UTF-8''{filename}"}
        return Response(spreadsheet.template(), media_type=XLSX, headers=headers)

    @router.post("/requirements/import")
    async def import_rows(user: CurrentUser, request: Request, file: Annotated[UploadFile, File()]) -> dict:
        """Upload a filled template: valid rows are submitted, invalid ones reported (see the rule in the docs)."""
        content = await read_upload(file, MAX_BYTES)
        return await handlers.import_spreadsheet(
            content, user=user, intake=intake, correlation_id=request.state.correlation_id
        )

    @router.get("/requirements/{requirement_id}")
    async def read(requirement_id: str, user: CurrentUser) -> dict:
        return await handlers.read(requirement_id, user=user, intake=intake)

    @router.post("/requirements/{requirement_id}/attachments", status_code=status.HTTP_201_CREATED)
    async def attach(requirement_id: str, user: CurrentUser, file: Annotated[UploadFile, File()]) -> dict:
        """Attach a screenshot or document (PDF, PNG, JPEG, OOXML, text; at most 10 MB, 10 per requirement)."""
        content = await read_upload(file, MAX_BYTES)
        return await handlers.attach(
            requirement_id, file.filename or "file", content, user=user, intake=intake, store=files
        )

    @router.get("/requirements/{requirement_id}/attachments/{attachment_id}", response_class=Response)
    async def download(requirement_id: str, attachment_id: str, user: CurrentUser) -> Response:
        description, content = await handlers.attachment(
            requirement_id, attachment_id, user=user, intake=intake, store=files
        )
        return attachment_response(description, content)

    @router.get("/submission-window", tags=["calendar"])
    async def submission_window(
        _: CurrentUser,
        month: Annotated[str | None, Query(pattern=r"^20\d\d-(0[1-9]|1[0-2])$", description="YYYY-MM")] = None,
    ) -> dict:
        """Whether requirements can be submitted now, the window's days, and calendar warnings (第五条).
        With `month`: that month's window days and warnings (planning ahead)."""
        if month:
            year, number = (int(part) for part in month.split("-"))
            return await window_of_month(intake.calendar, intake.clock.now(), year, number)
        return await window_status(intake.calendar, intake.clock.now())

    @router.post("/submission-windows", tags=["calendar"], status_code=status.HTTP_201_CREATED)
    async def open_window(body: ExtraWindow, user: CurrentUser, request: Request) -> dict:
        """The region opens an extra submission window (IT division)."""
        window_id = await handlers.open_extra_window(
            body.opens_at,
            body.closes_at,
            body.reason,
            user=user,
            intake=intake,
            correlation_id=request.state.correlation_id,
        )
        return {"id": window_id}

    @router.get("/calendar/overrides", tags=["calendar"])
    async def overrides(_: CurrentUser) -> list[dict]:
        return await corrections_in_force(intake.calendar, intake.clock.now())

    @router.put("/calendar/overrides/{day}", tags=["calendar"], status_code=status.HTTP_204_NO_CONTENT)
    async def correct(day: date, body: CalendarCorrection, user: CurrentUser, request: Request) -> None:
        """Correct one day of the official calendar, e.g. enter next year's holiday arrangement."""
        await handlers.correct_calendar(
            day.isoformat(),
            body.is_workday,
            body.note,
            user=user,
            intake=intake,
            correlation_id=request.state.correlation_id,
        )

    return router


def subscribe(runtime: Runtime, intake: Intake, directory: OrganisationDirectory) -> None:
    # The portal's directory changes: a unit added or renamed there can be recorded for at once (第九条).
    runtime.subscribe(
        runtime.topics.directory,
        group="intake-directory",
        handlers={"OrganisationChanged": partial(when_organisation_changed_keep_it, directory=directory)},
    )
    runtime.subscribe(
        runtime.topics.review_events,
        group="intake",
        handlers={
            "RequirementReturned": partial(handlers.when_requirement_returned_reopen_for_amendment, intake=intake),
            "RequirementRejected": partial(handlers.when_requirement_rejected_close_it, intake=intake),
        },
    )
