"""Dispatch's HTTP API (第六条五～八): parse, call a handler or a query. Rules live in the domain and policy."""

from datetime import date, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request, status
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

from services.dispatch import handlers, queries
from services.dispatch.adapters import DispatchCaseRepository, ReleaseRepository, VendorRefusalRepository
from services.dispatch.domain import AnnounceRelease, DispatchWorkOrder, ReportProgress, VerifyDelivery
from services.dispatch.domain.work_orders import proposed_delivery
from services.dispatch.vendors import VendorDirectory
from shared.auth import CurrentUser
from shared.clock import Clock
from shared.events.dispatch import NOTE_MAX_LENGTH, VERSION_MAX_LENGTH
from shared.links import OptionalWebLink
from shared.params import Skip
from shared.workcalendar import WorkCalendar

Text = Annotated[str, StringConstraints(strip_whitespace=True)]
Id = Annotated[Text, StringConstraints(min_length=1, max_length=64)]
Limit = Annotated[int, Query(ge=1, le=500)]


class WorkOrderCreate(BaseModel):
    """派发工单 (第六条五). Without `priority`, an urgent requirement is P1; others must give one."""

    model_config = ConfigDict(extra="forbid")

    ticket_id: Id
    vendor_id: Id = Field(description="开发公司: an active vendor of the org directory (vendor-a, vendor-b, …)")
    priority: Literal["P1", "P2", "P3", "P4"] | None = None
    effort_days: float = Field(allow_inf_nan=False, description="开发工作量 (人天), > 0 且 ≤ 1000")
    planned_start: date
    planned_delivery: date


class ProgressReport(BaseModel):
    """开发测试 (第六条六): the same content as a VendorProgressReported message (docs/integration/)."""

    model_config = ConfigDict(extra="forbid")

    stage: Literal["accepted", "in_development", "in_testing", "delivered"]
    version: Annotated[Text, StringConstraints(max_length=VERSION_MAX_LENGTH)] | None = Field(
        None, description="交付时必填"
    )
    note: Annotated[Text, StringConstraints(max_length=NOTE_MAX_LENGTH)] = ""


class VerificationResult(BaseModel):
    """业务验证 (第六条七): passed or failed, with the requester's reason (at least 5 characters)."""

    model_config = ConfigDict(extra="forbid")

    outcome: Literal["passed", "failed"]
    reason: Annotated[Text, StringConstraints(max_length=2000)]


class ReleaseCreate(BaseModel):
    """部署上线 (第六条八): the upgrade notice, with the updated manual, video and report guide."""

    model_config = ConfigDict(extra="forbid")

    version: Annotated[Text, StringConstraints(min_length=1, max_length=50)]
    release_date: date
    title: Annotated[Text, StringConstraints(min_length=2, max_length=100)]
    notes: Annotated[Text, StringConstraints(max_length=5000)] = ""
    ticket_ids: Annotated[list[Id], Field(min_length=1, max_length=500)]
    manual_url: OptionalWebLink = ""
    video_url: OptionalWebLink = ""
    report_guide_url: OptionalWebLink = ""


class RefusalDetail(BaseModel):
    field: str = Field(description="where in the message, e.g. time, data.note, actor.org_id")
    rule: str = Field(description="the rule broken, e.g. timezone_aware, string_too_long, vendor_of_topic")
    message: str
    limit: dict[str, Any] | None = None


class VendorRefusalRead(BaseModel):
    """退回的进度报告: a message on a vendor's progress topic that dispatch refused, and why."""

    id: str = Field(description="<topic>@<partition>:<offset> of the refused record")
    vendor_id: str
    refused_at: datetime
    topic: str
    partition: int
    offset: int
    key: str | None = Field(description="the record's Kafka key (the ticket id, by the contract)")
    message_id: str | None = Field(description="the message's own id, when it could be read")
    type: str | None
    subject: str | None
    code: str = Field(description="schema_invalid, vendor_mismatch, subject_mismatch, work_order_not_found, …")
    reason: str
    detail: list[RefusalDetail]


def build_router(
    cases: DispatchCaseRepository,
    releases: ReleaseRepository,
    refusals: VendorRefusalRepository,
    vendors: VendorDirectory,
    clock: Clock,
) -> APIRouter:
    router = APIRouter(prefix="/api")

    @router.get("/dispatch-queue", tags=["work orders"])
    async def queue(user: CurrentUser, limit: Limit = 100, skip: Skip = 0) -> list[dict]:
        """IT division: adopted requirements not yet dispatched, urgent first."""
        return await queries.dispatch_queue(user, cases=cases, limit=limit, skip=skip)

    @router.post("/work-orders", tags=["work orders"], status_code=status.HTTP_201_CREATED)
    async def dispatch(body: WorkOrderCreate, user: CurrentUser, request: Request) -> dict:
        """IT division: dispatch an adopted requirement to a vendor (409 while one is open)."""
        command = DispatchWorkOrder(**body.model_dump())
        return await handlers.dispatch(
            command,
            dispatcher=user,
            cases=cases,
            vendors=vendors,
            clock=clock,
            correlation_id=request.state.correlation_id,
        )

    @router.get("/work-orders", tags=["work orders"])
    async def list_work_orders(
        user: CurrentUser,
        stage: Annotated[str | None, Query(alias="status", max_length=20)] = None,
        overdue: bool | None = None,
        limit: Limit = 100,
        skip: Skip = 0,
    ) -> list[dict]:
        """The IT division and auditors see every work order; a vendor only those dispatched to it."""
        return await queries.list_work_orders(
            user, cases=cases, clock=clock, status=stage, overdue=overdue, limit=limit, skip=skip
        )

    @router.get("/work-orders/proposed-delivery", tags=["work orders"])
    async def propose_delivery(
        user: CurrentUser,
        planned_start: date,
        effort_days: Annotated[float, Query(gt=0, le=1000, allow_inf_nan=False)],
    ) -> dict:
        """The delivery date the dispatch form proposes for a plan: the working day on which the effort ends
        (the official calendar; the IT division may agree another date with the vendor)."""
        return {
            "planned_start": planned_start,
            "effort_days": effort_days,
            "planned_delivery": proposed_delivery(planned_start, effort_days, WorkCalendar()),
        }

    @router.get("/work-orders/{work_order_id}", tags=["work orders"])
    async def read_work_order(work_order_id: str, user: CurrentUser) -> dict:
        return await queries.get_work_order(work_order_id, user, cases=cases, clock=clock)

    @router.post("/work-orders/{work_order_id}/progress", tags=["work orders"])
    async def report(work_order_id: str, body: ProgressReport, user: CurrentUser, request: Request) -> dict:
        """Vendor: report a stage of its own work order (the HTTP alternative to the vendor-progress topic)."""
        command = ReportProgress(work_order_id, body.stage, body.version, body.note)
        return await handlers.report_progress_over_http(
            command, reporter=user, cases=cases, correlation_id=request.state.correlation_id
        )

    @router.get("/vendor-refusals", tags=["work orders"], response_model=list[VendorRefusalRead])
    async def vendor_refusals(
        user: CurrentUser,
        since: Annotated[AwareDatetime | None, Query(description="only refusals after this time")] = None,
        limit: Limit = 100,
        skip: Skip = 0,
    ) -> list[dict]:
        """Vendor: its progress reports refused on its Kafka topic, newest first, with the reason per field
        (the IT division and auditors see every vendor's). A report over Kafka has no answer: this is it."""
        return await queries.list_vendor_refusals(user, refusals=refusals, since=since, limit=limit, skip=skip)

    @router.get("/verifications", tags=["verification"])
    async def my_verifications(user: CurrentUser) -> list[dict]:
        """The deliveries the signed-in user is asked to verify, as the requester."""
        return await queries.pending_verifications(user, cases=cases)

    @router.post("/verifications/{ticket_id}", tags=["verification"])
    async def verify(ticket_id: str, body: VerificationResult, user: CurrentUser, request: Request) -> dict:
        """The requester: pass, or fail with the reason (the work order goes back to the vendor)."""
        command = VerifyDelivery(ticket_id, passed=body.outcome == "passed", reason=body.reason)
        return await handlers.verify(command, verifier=user, cases=cases, correlation_id=request.state.correlation_id)

    @router.post("/releases", tags=["releases"], status_code=status.HTTP_201_CREATED)
    async def announce(body: ReleaseCreate, user: CurrentUser, request: Request) -> dict:
        """IT division: announce a release of verified requirements."""
        command = AnnounceRelease(**{**body.model_dump(), "ticket_ids": tuple(body.ticket_ids)})
        return await handlers.announce(
            command,
            announcer=user,
            cases=cases,
            releases=releases,
            clock=clock,
            correlation_id=request.state.correlation_id,
        )

    @router.get("/releases", tags=["releases"])
    async def list_releases(user: CurrentUser, limit: Limit = 50, skip: Skip = 0) -> list[dict]:
        """Every signed-in user: release announcements, newest first."""
        return await queries.list_releases(releases, limit=limit, skip=skip)

    return router
