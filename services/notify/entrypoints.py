"""Notify's HTTP API (the in-app inbox) and subscribers."""

from functools import partial
from typing import Annotated

from fastapi import APIRouter, Query, status

from services.notify.adapters import NotificationRepository
from services.notify.domain import addressed_to
from services.notify.handlers import mark_read, when_review_task_opened_notify_reviewers
from shared.auth import CurrentUser
from shared.runtime import Runtime

GROUP = "notify"


def build_router(repository: NotificationRepository) -> APIRouter:
    router = APIRouter(prefix="/api/notifications", tags=["notifications"])

    @router.get("")
    async def my_inbox(
        user: CurrentUser,
        unread: bool = False,
        limit: Annotated[int, Query(ge=1, le=200)] = 50,
    ) -> list[dict]:
        """The signed-in user's notifications, newest first."""
        return await repository.inbox(addressed_to(user), user.user_id, unread_only=unread, limit=limit)

    @router.get("/unread-count")
    async def unread_count(user: CurrentUser) -> dict:
        return {"unread": await repository.unread_count(addressed_to(user), user.user_id)}

    @router.post("/{notification_id}/read", status_code=status.HTTP_204_NO_CONTENT)
    async def read(notification_id: str, user: CurrentUser) -> None:
        await mark_read(notification_id, reader=user, repository=repository)

    return router


def subscribe(runtime: Runtime, repository: NotificationRepository) -> None:
    runtime.subscribe(
        *runtime.topics.all_review_tasks,
        group=GROUP,
        handlers={"ReviewTaskOpened": partial(when_review_task_opened_notify_reviewers, repository=repository)},
    )
