"""The portal's HTTP API (sign-in, org directory, timelines) and its subscribers."""

import secrets
from functools import partial
from typing import Annotated, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Path, Query, Request, status
from fastapi.responses import RedirectResponse
from pydantic import BaseModel, ConfigDict, Field

from services.portal import comments as ticket_comments
from services.portal import directory as org_directory
from services.portal import policy
from services.portal import users as user_admin
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
from services.portal.single_sign_on import SingleSignOn, finish_sign_in, redeem_handoff, start_sign_in
from services.portal.timeline import TIMELINE_EVENTS
from shared.audit import AuditLog
from shared.auth import CurrentUser, Principal
from shared.clock import Clock
from shared.errors import NotFound
from shared.events import EVENT_TYPES, utcnow
from shared.params import Skip
from shared.ratelimit import Limit, RateLimiter
from shared.runtime import Runtime
from shared.validation import wants_english

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


class Handoff(BaseModel):
    model_config = ConfigDict(extra="forbid")
    code: str = Field(min_length=20, max_length=200)


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
    comments: ticket_comments.CommentDesk,
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

    @router.post("/me/password", tags=["auth"], status_code=status.HTTP_204_NO_CONTENT)
    async def change_password(body: user_admin.PasswordChange, user: CurrentUser) -> None:
        """修改密码: change one's own password (the policy of docs/security.md); every session ends, so the
        caller signs in again with the new password."""
        await user_admin.change_own_password(body, user=user, directory=directory, now=utcnow())

    @router.get("/users", tags=["users"])
    async def users(
        user: CurrentUser,
        org_id: Annotated[str | None, Query(max_length=64)] = None,
        role: Annotated[str | None, Query(max_length=32)] = None,
        q: Annotated[str | None, Query(min_length=1, max_length=50, description="part of user name or name")] = None,
        active: bool | None = None,
        limit: Annotated[int, Query(ge=1, le=100)] = 20,
        skip: Skip = 0,
    ) -> user_admin.UserPage:
        """用户管理: the users of the administrator's area (all for the region's system administrators, the
        division and those below it for a league/city or county administrator), newest first."""
        return await user_admin.list_users(
            user=user, directory=directory, org_id=org_id, role=role, keyword=q, active=active, limit=limit, skip=skip
        )

    @router.post("/users", tags=["users"], status_code=status.HTTP_201_CREATED)
    async def add_user(body: user_admin.UserCreate, user: CurrentUser) -> user_admin.IssuedPassword:
        """Create a user in an organisation of one's area; answers a one-time temporary password, shown once,
        which the user must change at the first sign-in."""
        return await user_admin.create(body, user=user, directory=directory)

    @router.get("/users/{user_id}", tags=["users"])
    async def user_detail(user_id: Annotated[str, Path(max_length=64)], user: CurrentUser) -> user_admin.UserRead:
        return await user_admin.show(user_id, user=user, directory=directory)

    @router.patch("/users/{user_id}", tags=["users"])
    async def change_user(
        user_id: Annotated[str, Path(max_length=64)], body: user_admin.UserUpdate, user: CurrentUser
    ) -> user_admin.UserRead:
        """Change a user's name, organisation, roles or active flag (404 outside one's area)."""
        return await user_admin.update(user_id, body, user=user, directory=directory)

    @router.post("/users/{user_id}/reset-password", tags=["users"])
    async def reset_password(
        user_id: Annotated[str, Path(max_length=64)], user: CurrentUser
    ) -> user_admin.IssuedPassword:
        """重置密码: a new one-time temporary password (shown once); the user's sessions end."""
        return await user_admin.reset_password(user_id, user=user, directory=directory, now=utcnow())

    @router.post("/users/{user_id}/deactivate", tags=["users"])
    async def deactivate_user(user_id: Annotated[str, Path(max_length=64)], user: CurrentUser) -> user_admin.UserRead:
        """停用: the user can no longer sign in, and their sessions end."""
        return await user_admin.deactivate(user_id, user=user, directory=directory)

    @router.get("/orgs", tags=["directory"])
    async def organisations(
        _: CurrentUser,
        division: Annotated[str | None, Query(pattern=r"^\d{6}$")] = None,
        kind: str | None = None,
        within: Annotated[
            str | None, Query(pattern=r"^\d{6}$", description="this division and every division below it")
        ] = None,
    ) -> list[dict]:
        """The organisation directory, filtered by division code (or a division and those below it) and kind."""
        return await directory.organisations(
            parent_division=division, kind=kind, divisions=org_directory.divisions_within(within) if within else None
        )

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
    async def timeline(ticket_id: str, user: CurrentUser, request: Request) -> dict:
        """A ticket's whole history across services, oldest first, in the reader's language (Accept-Language)."""
        english = wants_english(request.headers.get("accept-language"))
        return await ticket_timeline(ticket_id, reader=user, views=views, english=english)

    @router.get("/tickets/{ticket_id}/comments", tags=["comments"])
    async def comments_of(
        ticket_id: Annotated[str, Path(max_length=64)],
        user: CurrentUser,
        after: Annotated[int, Query(ge=0, description="the `next` of the page before (0: from the first)")] = 0,
        limit: Annotated[int, Query(ge=1, le=100)] = 50,
    ) -> dict:
        """评论: the ticket's comments, oldest first (newest last), a page at a time."""
        return await ticket_comments.comments_page(ticket_id, user=user, after=after, limit=limit, desk=comments)

    @router.post("/tickets/{ticket_id}/comments", tags=["comments"], status_code=status.HTTP_201_CREATED)
    async def comment(
        ticket_id: Annotated[str, Path(max_length=64)],
        body: ticket_comments.CommentCreate,
        user: CurrentUser,
        request: Request,
    ) -> dict:
        """Comment on a ticket one may read: text, `@username` mentions of users who may read it, and files
        uploaded for it through intake (`POST /gw/intake/api/tickets/{id}/attachments`)."""
        return await ticket_comments.post_comment(
            ticket_id,
            body,
            user=user,
            authorization=request.headers.get("authorization", ""),
            correlation_id=request.state.correlation_id,
            desk=comments,
        )

    @router.get("/tickets/{ticket_id}/watchers", tags=["comments"])
    async def watchers(ticket_id: Annotated[str, Path(max_length=64)], user: CurrentUser) -> dict:
        """How many watch the ticket, and whether the caller does."""
        return await ticket_comments.watch_state(ticket_id, user=user, desk=comments)

    @router.put("/tickets/{ticket_id}/watchers/me", tags=["comments"])
    async def watch(ticket_id: Annotated[str, Path(max_length=64)], user: CurrentUser) -> dict:
        """关注: be told of every comment on the ticket."""
        return await ticket_comments.set_watching(ticket_id, True, user=user, desk=comments)

    @router.delete("/tickets/{ticket_id}/watchers/me", tags=["comments"])
    async def unwatch(ticket_id: Annotated[str, Path(max_length=64)], user: CurrentUser) -> dict:
        """取消关注 (the requester too: they are a watcher until they say otherwise)."""
        return await ticket_comments.set_watching(ticket_id, False, user=user, desk=comments)

    @router.get("/tickets/{ticket_id}/mentionable", tags=["comments"])
    async def mentionable(
        ticket_id: Annotated[str, Path(max_length=64)],
        user: CurrentUser,
        q: Annotated[str, Query(min_length=1, max_length=50, description="part of a user name or name")],
    ) -> list[dict]:
        """The users who may be @-mentioned on this ticket (they may read it), matching `q`."""
        return await ticket_comments.mentionable(ticket_id, user=user, keyword=q, desk=comments)

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


# The browser that starts a single sign-on carries this cookie to the callback (login CSRF: a callback with
# someone else's code and state, carried to another browser, is refused).
BROWSER_COOKIE = "fd_oidc_browser"
COOKIE_PATH = "/api/auth/oidc"


def build_single_sign_on_router(
    *,
    sso: SingleSignOn | None,
    secure_cookie: bool,
    directory: Directory,
    sessions: RefreshTokens,
    tokens: TokenPolicy,
) -> APIRouter:
    """统一身份认证 (services/portal/single_sign_on.py); `sso` is None while no provider is configured."""
    router = APIRouter(prefix="/api/auth/oidc", tags=["auth"])

    def configured() -> SingleSignOn:
        if sso is None:
            raise NotFound("oidc_disabled", "未配置统一身份认证 (single sign-on is not configured)")
        return sso

    @router.get("")
    async def single_sign_on() -> dict:
        """Whether the sign-in page offers 统一身份认证登录."""
        return {"enabled": sso is not None}

    @router.get("/start", status_code=status.HTTP_302_FOUND)
    async def start(next: Annotated[str | None, Query(max_length=512)] = None) -> RedirectResponse:
        """Send the browser to the identity provider (authorization code with PKCE S256, state and nonce)."""
        browser = secrets.token_urlsafe(32)
        url = await start_sign_in(configured(), browser=browser, requested_next=next, now=utcnow())
        response = RedirectResponse(url, status_code=status.HTTP_302_FOUND)
        response.set_cookie(
            BROWSER_COOKIE, browser, max_age=600, path=COOKIE_PATH, httponly=True, samesite="lax", secure=secure_cookie
        )
        return response

    @router.get("/callback", status_code=status.HTTP_303_SEE_OTHER)
    async def callback(
        request: Request,
        code: Annotated[str | None, Query(max_length=2048)] = None,
        state: Annotated[str | None, Query(max_length=512)] = None,
        error: Annotated[str | None, Query(max_length=256)] = None,
    ) -> RedirectResponse:
        """The provider's answer: on to the web UI with a one-time code it trades for our tokens."""
        handoff, then = await finish_sign_in(
            configured(),
            state=state,
            code=code,
            error=error,
            browser=request.cookies.get(BROWSER_COOKIE),
            now=utcnow(),
            directory=directory,
        )
        response = RedirectResponse(f"/login?{urlencode({'sso': handoff, 'next': then})}", status_code=303)
        response.delete_cookie(BROWSER_COOKIE, path=COOKIE_PATH)
        return response

    @router.post("/token")
    async def token(body: Handoff) -> dict:
        """Trade the one-time code for the token pair a password sign-in answers (works once, for a minute)."""
        return await redeem_handoff(
            body.code, now=utcnow(), sso=configured(), directory=directory, sessions=sessions, tokens=tokens
        )

    return router


def subscribe_audit(runtime: Runtime, audit: AuditLog) -> None:
    append = partial(when_any_event_append_audit, audit=audit)
    topics = runtime.topics
    runtime.subscribe(
        *topics.ticket_events,
        topics.notifications,
        topics.directory,
        topics.accounts,
        topics.sessions,
        group=f"{GROUP}-audit",
        handlers=dict.fromkeys(EVENT_TYPES, append),
    )
    # Dispatch writes the work orders (dispatched, reopened) to each vendor's own topic: by pattern, so a
    # vendor added at run time is audited without a restart (dispatch creates its topics).
    runtime.subscribe(
        pattern=topics.work_orders_pattern(),
        group=f"{GROUP}-audit",
        handlers=dict.fromkeys(EVENT_TYPES, append),
    )

    # A vendor writes its progress topic itself: each report is read knowing whose it is (the topic's vendor),
    # and only a valid progress report of that vendor is recorded (when_vendor_reports_progress_append_audit).
    append_progress = partial(when_vendor_reports_progress_append_audit, audit=audit)
    runtime.subscribe_outside(topics.vendor_progress_pattern(), group=f"{GROUP}-audit", handler=append_progress)


def subscribe(runtime: Runtime, views: TicketViews) -> None:
    record = partial(when_ticket_event_record_timeline, views=views)
    runtime.subscribe(
        *runtime.topics.ticket_events,
        runtime.topics.notifications,
        group=GROUP,
        handlers=dict.fromkeys(TIMELINE_EVENTS, record),
    )
    # Every vendor's work orders, those of a vendor added at run time too.
    runtime.subscribe(
        pattern=runtime.topics.work_orders_pattern(), group=GROUP, handlers=dict.fromkeys(TIMELINE_EVENTS, record)
    )
