"""The portal's HTTP API (sign-in, org directory, timelines) and its subscribers."""

from functools import partial
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from services.portal.adapters import Directory, TicketViews
from services.portal.handlers import sign_in, ticket_timeline, when_ticket_event_record_timeline
from shared.auth import CurrentUser, KeySet, Principal
from shared.runtime import Runtime

GROUP = "portal"


class SignIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)


def build_router(directory: Directory, views: TicketViews, keys: KeySet, token_minutes: int) -> APIRouter:
    router = APIRouter(prefix="/api")

    @router.post("/auth/login", tags=["auth"])
    async def login(body: SignIn) -> dict:
        """Sign in with username and password; answers a signed access token."""
        return await sign_in(body.username, body.password, directory=directory, keys=keys, minutes=token_minutes)

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

    @router.get("/tickets/{ticket_id}/timeline", tags=["tickets"])
    async def timeline(ticket_id: str, user: CurrentUser) -> dict:
        """A ticket's whole history across services, oldest first."""
        return await ticket_timeline(ticket_id, reader=user, views=views)

    return router


def subscribe(runtime: Runtime, views: TicketViews) -> None:
    record = partial(when_ticket_event_record_timeline, views=views)
    runtime.subscribe(
        runtime.topics.requirements,
        *runtime.topics.all_review_tasks,
        runtime.topics.notifications,
        group=GROUP,
        handlers={name: record for name in ("RequirementSubmitted", "ReviewTaskOpened", "NotificationDelivered")},
    )
