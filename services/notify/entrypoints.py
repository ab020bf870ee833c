"""Notify's HTTP API for every signed-in user (inbox, announcements, own preferences) and its subscribers.
Routes only parse, authorise, call a handler or a store, and map errors; no rules live here."""

from functools import partial
from typing import Annotated

from fastapi import APIRouter, Path, Query, status

from services.notify import administration
from services.notify.announcements import Announcement, Audience
from services.notify.api_models import AnnouncementIn, PreferencesIn, window
from services.notify.domain import addressed_to
from services.notify.handlers import Notify, delivery_state, mark_read, wants_event, when_procedure_event_notify
from services.notify.policy import is_region_admin, require_region_admin
from shared.auth import CurrentUser
from shared.errors import NotFound
from shared.events import EVENT_TYPES, new_id, utcnow
from shared.runtime import Runtime

GROUP = "notify"


def build_router(notify: Notify) -> APIRouter:
    router = APIRouter(prefix="/api", tags=["notifications"])

    @router.get("/notifications")
    async def my_inbox(
        user: CurrentUser, unread: bool = False, limit: Annotated[int, Query(ge=1, le=200)] = 50
    ) -> list[dict]:
        """The signed-in user's notifications (in-app inbox), newest first."""
        return await notify.inbox.inbox(addressed_to(user), user.user_id, unread_only=unread, limit=limit)

    @router.get("/notifications/unread-count")
    async def unread_count(user: CurrentUser) -> dict:
        return {"unread": await notify.inbox.unread_count(addressed_to(user), user.user_id)}

    @router.post("/notifications/read-all", status_code=status.HTTP_204_NO_CONTENT)
    async def read_all(user: CurrentUser) -> None:
        """全部已读: everything in the caller's inbox until now is read (their own reading only)."""
        await notify.inbox.mark_all_read(user.user_id, notify.now())

    @router.post("/notifications/read-ticket/{ticket_id}")
    async def read_ticket(ticket_id: Annotated[str, Path(max_length=64)], user: CurrentUser) -> dict:
        """The caller opened the ticket: its notifications in their inbox are read."""
        return {"read": await notify.inbox.mark_ticket_read(ticket_id, addressed_to(user), user.user_id)}

    @router.post("/notifications/{notification_id}/read", status_code=status.HTTP_204_NO_CONTENT)
    async def read(notification_id: str, user: CurrentUser) -> None:
        await mark_read(notification_id, reader=user, notify=notify)

    @router.get("/notifications/{notification_id}/deliveries")
    async def deliveries_of(notification_id: str, user: CurrentUser) -> dict:
        """The notification and the state of its delivery on each channel (inbox, WeCom, WeChat)."""
        return await delivery_state(notification_id, reader=user, notify=notify)

    @router.get("/announcements")
    async def announcements(
        user: CurrentUser, limit: Annotated[int, Query(ge=1, le=100)] = 20, every: bool = False
    ) -> list[dict]:
        """System announcements (通知公告) the caller's audience and the current time allow, pinned first.
        Administrators may ask for `every=true`: all of them, withdrawn and scheduled ones included."""
        if every:
            require_region_admin(user)
            return await notify.announcements.every(limit)
        return await notify.announcements.visible_to(user, utcnow(), limit)

    @router.post("/announcements", status_code=status.HTTP_201_CREATED)
    async def publish(body: AnnouncementIn, user: CurrentUser) -> dict:
        """Publish an announcement to part of the org tree and some roles, inside a window (administrators)."""
        require_region_admin(user)
        now = utcnow()
        visible_from, visible_until = window(body, now)
        audience = Audience(
            tuple(body.audience.division_prefixes), tuple(body.audience.org_ids), tuple(body.audience.roles)
        )
        announcement = Announcement(
            f"ANN-{new_id()}", "notice", body.title, body.body, now, visible_from, visible_until, body.pinned,
            audience, created_by=user.user_id,
        )  # fmt: skip
        await administration.publish_announcement(announcement, by=user, notify=notify)
        return announcement.to_doc()

    @router.post("/announcements/{announcement_id}/withdraw")
    async def withdraw(announcement_id: str, user: CurrentUser) -> dict:
        require_region_admin(user)
        if (
            doc := await administration.withdraw_announcement(announcement_id, utcnow(), by=user, notify=notify)
        ) is None:
            raise NotFound("announcement_not_found", "公告不存在 (no such announcement)")
        return doc

    @router.get("/notification-preferences/me")
    async def my_preferences(user: CurrentUser) -> dict:
        """The caller's channels per category, quiet hours, WeChat binding and language."""
        return {**await notify.preferences.get(user.user_id), "region_admin": is_region_admin(user)}

    @router.put("/notification-preferences/me")
    async def change_my_preferences(body: PreferencesIn, user: CurrentUser) -> dict:
        changes = body.model_dump(include=body.model_fields_set, by_alias=True)
        return await notify.preferences.save(user.user_id, changes, utcnow())

    return router


def subscribe(runtime: Runtime, notify: Notify) -> None:
    handle = partial(when_procedure_event_notify, notify=notify)
    # Every event type is consumed, so a rule an administrator adds for another event needs no deployment.
    runtime.subscribe(
        *runtime.topics.ticket_events,
        group=GROUP,
        handlers=dict.fromkeys(EVENT_TYPES, handle),
        wants=partial(wants_event, notify=notify),
    )
    # Work-order events live on each vendor's topic: by pattern, so a vendor added at run time (dispatch
    # creates its topics) is followed without a restart.
    runtime.subscribe(
        pattern=runtime.topics.work_orders_pattern(),
        group=GROUP,
        handlers=dict.fromkeys(EVENT_TYPES, handle),
        wants=partial(wants_event, notify=notify),
    )
