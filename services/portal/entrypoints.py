"""The portal's HTTP API (sign-in, org directory, timelines) and its subscribers."""

from functools import partial
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request, status
from pydantic import BaseModel, ConfigDict, Field

from services.portal import directory as org_directory
from services.portal import policy
from services.portal.adapters import Directory, RefreshTokens, SignInGuard, TicketViews
from services.portal.adapters.tickets import Order
from services.portal.dashboard import DashboardQuery
from services.portal.handlers import (
    TokenPolicy,
    dashboard_figures,
    refresh,
    sign_in,
    sign_out,
    ticket_timeline,
    when_any_event_append_audit,
    when_ticket_event_record_timeline,
    when_vendor_reports_progress_append_audit,
)
from services.portal.timeline import TIMELINE_EVENTS
from shared.audit import AuditLog
from shared.auth import CurrentUser, Principal
from shared.clock import Clock
from shared.events import EVENT_TYPES, utcnow
from shared.orgtree import VENDORS
from shared.params import Skip
from shared.ratelimit import Limit, RateLimiter
from shared.runtime import Runtime

GROUP = "portal"


def client_address(request: Request, trusted_proxies: frozenset[str]) -> str:
    """Where a sign-in comes from: the peer, or — when the peer is one of our reverse proxies — the last
    address in X-Forwarded-For that is not one of them (a client cannot forge its way past our proxy)."""
    peer = request.client.host if request.client else "unknown"
    if peer not in trusted_proxies:
        return peer
    hops = [hop.strip() for hop in request.headers.get("x-forwarded-for", "").split(",") if hop.strip()]
    return next((hop for hop in reversed(hops) if hop not in trusted_proxies), peer)


class SignIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)


class Refresh(BaseModel):
    model_config = ConfigDict(extra="forbid")
    refresh_token: str = Field(min_length=20, max_length=200)


def build_router(
    *,
    directory: Directory,
    sessions: RefreshTokens,
    views: TicketViews,
    tokens: TokenPolicy,
    guard: SignInGuard,
    limiter: RateLimiter,
    sign_in_limit: Limit,
    source_limit: Limit,
    trusted_proxies: frozenset[str],
    audit: AuditLog,
    clock: Clock,
) -> APIRouter:
    router = APIRouter(prefix="/api")
    accounts = {"directory": directory, "sessions": sessions, "tokens": tokens}

    @router.post("/auth/login", tags=["auth"])
    async def login(body: SignIn, request: Request) -> dict:
        """Sign in with username and password; answers a short-lived access token and a refresh token."""
        now = utcnow()
        source = client_address(request, trusted_proxies)
        await limiter.hit(sign_in_limit, f"{source}:{body.username}", now)
        await limiter.hit(source_limit, source, now)  # many names tried from one address
        return await sign_in(body.username, body.password, source=source, now=now, guard=guard, **accounts)

    @router.post("/auth/refresh", tags=["auth"])
    async def refresh_tokens(body: Refresh) -> dict:
        """Trade a refresh token for a new pair (each refresh token works once)."""
        return await refresh(body.refresh_token, now=utcnow(), **accounts)

    @router.post("/auth/logout", tags=["auth"], status_code=status.HTTP_204_NO_CONTENT)
    async def logout(body: Refresh) -> None:
        await sign_out(body.refresh_token, now=utcnow(), sessions=sessions, tokens=tokens)

    @router.get("/me", tags=["auth"])
    async def me(user: CurrentUser) -> Principal:
        return user

    @router.get("/orgs", tags=["directory"])
    async def organisations(
        _: CurrentUser,
        division: Annotated[str | None, Query(pattern=r"^\d{6}$")] = None,
        kind: str | None = None,
    ) -> list[dict]:
        """The organisation directory, filtered by division code and kind."""
        return await directory.organisations(parent_division=division, kind=kind)

    @router.post("/orgs", tags=["directory"], status_code=status.HTTP_201_CREATED)
    async def add_organisation(body: org_directory.OrganisationCreate, user: CurrentUser) -> dict:
        """Add an organisation to the tree (the region's system administrators)."""
        return await org_directory.create(body, user=user, directory=directory)

    @router.put("/orgs/{org_id}", tags=["directory"])
    async def change_organisation(org_id: str, body: org_directory.OrganisationUpdate, user: CurrentUser) -> dict:
        """Rename an organisation, change its domains, or deactivate it."""
        return await org_directory.update(org_id, body, user=user, directory=directory)

    @router.get("/tickets", tags=["tickets"])
    async def tickets(
        user: CurrentUser,
        status: Annotated[str | None, Query(max_length=32)] = None,
        ticket_id: Annotated[str | None, Query(max_length=64)] = None,
        kind: Annotated[Literal["requirement", "problem"] | None, Query()] = None,
        q: Annotated[str | None, Query(min_length=1, max_length=100, description="keyword")] = None,
        order: Annotated[Order, Query(description="submitted (newest first) or updated (latest change first)")] = (
            "submitted"
        ),
        limit: Annotated[int, Query(ge=1, le=200)] = 50,
        skip: Skip = 0,
    ) -> list[dict]:
        """Tickets in the signed-in user's area with their current status, newest first.

        `ticket_id` narrows it to one ticket: an empty list until the ticket's first event has reached
        the portal (the UI waits on this instead of asking for a timeline that is not there yet).
        `q` finds a keyword in the ticket's id, title or description (Chinese substrings too)."""
        return await views.tickets_in_area(
            user.area_scope(),
            status=status,
            kind=kind,
            ticket_id=ticket_id,
            keyword=q,
            order=order,
            limit=limit,
            skip=skip,
        )

    @router.get("/tickets/{ticket_id}/timeline", tags=["tickets"])
    async def timeline(ticket_id: str, user: CurrentUser) -> dict:
        """A ticket's whole history across services, oldest first."""
        return await ticket_timeline(ticket_id, reader=user, views=views)

    @router.get("/dashboard", tags=["dashboard"])
    async def dashboard(
        user: CurrentUser,
        first: Annotated[str | None, Query(alias="from", max_length=7, description="YYYY-MM")] = None,
        last: Annotated[str | None, Query(alias="to", max_length=7, description="YYYY-MM")] = None,
        kind: Annotated[str | None, Query(max_length=16, description="requirement | problem")] = None,
    ) -> dict:
        """统计分析: counts by category, status, level, region and month; adoption rate; days per stage;
        vendor on-time rate — for the tickets of the reader's area first submitted in the month range.

        Definitions in services/portal/dashboard.py and docs/dashboards.md. The SLA rates of 第十一条四 are
        review's `GET /api/problems-sla/figures`."""
        query = DashboardQuery.parse(first, last, kind)
        return await dashboard_figures(query, reader=user, views=views, clock=clock)

    @router.get("/audit", tags=["audit"])
    async def audit_entries(
        user: CurrentUser,
        subject: Annotated[str | None, Query(max_length=64)] = None,
        limit: Annotated[int, Query(ge=1, le=500)] = 100,
    ) -> list[dict]:
        """The hash-chained audit trail, newest first (auditors and system administrators)."""
        policy.authorize_audit(user)
        return await audit.entries(subject=subject, limit=limit)

    @router.get("/audit/verify", tags=["audit"])
    async def verify_audit(user: CurrentUser) -> dict:
        """Check the whole chain; names the first modified or missing entry."""
        policy.authorize_audit(user)
        result = await audit.verify()
        return {
            "ok": result.ok,
            "checked": result.checked,
            "first_bad_seq": result.first_bad_seq,
            "problem": result.problem,
        }

    return router


def subscribe_audit(runtime: Runtime, audit: AuditLog) -> None:
    append = partial(when_any_event_append_audit, audit=audit)
    topics = runtime.topics
    # Dispatch writes the work orders (dispatched, reopened) to each vendor's own topic.
    work_orders = [topics.work_orders(vendor_id) for vendor_id, _ in VENDORS]
    runtime.extra_topics.extend(work_orders)
    runtime.subscribe(
        *topics.ticket_events,
        *work_orders,
        topics.notifications,
        topics.directory,
        topics.accounts,
        topics.sessions,
        group=f"{GROUP}-audit",
        handlers=dict.fromkeys(EVENT_TYPES, append),
    )
    # A vendor writes its progress topic itself: each is read on its own, knowing whose it is, and only a
    # valid progress report of that vendor is recorded (when_vendor_reports_progress_append_audit).
    for vendor_id, _ in VENDORS:
        topic = topics.vendor_progress(vendor_id)
        runtime.extra_topics.append(topic)
        runtime.subscribe_outside(
            topic,
            group=f"{GROUP}-audit",
            handler=partial(when_vendor_reports_progress_append_audit, vendor_id=vendor_id, audit=audit),
        )


def subscribe(runtime: Runtime, views: TicketViews) -> None:
    record = partial(when_ticket_event_record_timeline, views=views)
    vendor_topics = [runtime.topics.work_orders(vendor_id) for vendor_id, _ in VENDORS]
    runtime.extra_topics.extend(vendor_topics)
    runtime.subscribe(
        *runtime.topics.ticket_events,
        *vendor_topics,
        runtime.topics.notifications,
        group=GROUP,
        handlers=dict.fromkeys(TIMELINE_EVENTS, record),
    )
