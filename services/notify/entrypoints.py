"""Notify's HTTP API (the in-app inbox) and subscribers."""

from functools import partial
from typing import Annotated

from fastapi import APIRouter, Query, status

from services.notify.adapters import AnnouncementRepository, NotificationRepository
from services.notify.domain import SCHEME, addressed_to
from services.notify.handlers import mark_read, when_procedure_event_notify
from shared.auth import CurrentUser
from shared.orgtree import VENDORS
from shared.runtime import Runtime

GROUP = "notify"


def build_router(repository: NotificationRepository, announcements: AnnouncementRepository) -> APIRouter:
    router = APIRouter(prefix="/api", tags=["notifications"])

    @router.get("/announcements")
    async def latest_announcements(_: CurrentUser, limit: Annotated[int, Query(ge=1, le=100)] = 20) -> list[dict]:
        """System announcements (通知公告): releases and monthly publications, pinned first."""
        return await announcements.latest(limit)

    @router.get("/notifications")
    async def my_inbox(
        user: CurrentUser,
        unread: bool = False,
        limit: Annotated[int, Query(ge=1, le=200)] = 50,
    ) -> list[dict]:
        """The signed-in user's notifications, newest first."""
        return await repository.inbox(addressed_to(user), user.user_id, unread_only=unread, limit=limit)

    @router.get("/notifications/unread-count")
    async def unread_count(user: CurrentUser) -> dict:
        return {"unread": await repository.unread_count(addressed_to(user), user.user_id)}

    @router.post("/notifications/{notification_id}/read", status_code=status.HTTP_204_NO_CONTENT)
    async def read(notification_id: str, user: CurrentUser) -> None:
        await mark_read(notification_id, reader=user, repository=repository)

    return router


def subscribe(runtime: Runtime, repository: NotificationRepository, announcements: AnnouncementRepository) -> None:
    notify = partial(when_procedure_event_notify, repository=repository, announcements=announcements)
    kinds = [*SCHEME, "ReleaseAnnounced", "PublicationPublished"]
    # Work-order events live on each vendor's topic; a pattern subscription would also catch new vendors,
    # but the demo's vendors are known at start.
    vendor_topics = [runtime.topics.work_orders(vendor_id) for vendor_id, _ in VENDORS]
    runtime.extra_topics.extend(vendor_topics)
    runtime.subscribe(*runtime.topics.ticket_events, *vendor_topics, group=GROUP, handlers=dict.fromkeys(kinds, notify))
