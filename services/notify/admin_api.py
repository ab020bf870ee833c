"""Notify's administration API: the versioned scheme, WeCom robots and the delivery records.
Region administrators change; auditors may read the scheme and the deliveries."""

from typing import Annotated, Literal

from fastapi import APIRouter, Query, status

from services.notify import administration
from services.notify.api_models import RobotChange, RobotIn, SchemeChange, robot_view
from services.notify.handlers import Notify
from services.notify.policy import require_reader_of_config, require_region_admin
from shared.auth import CurrentUser
from shared.errors import DomainError, NotFound
from shared.events import utcnow
from shared.params import VersionNumber

DeliveryState = Literal["pending", "sending", "sent", "failed", "permanent", "skipped"]


def build_admin_router(notify: Notify) -> APIRouter:
    router = APIRouter(prefix="/api", tags=["notification administration"])

    @router.get("/notification-scheme")
    async def active_scheme(user: CurrentUser) -> dict:
        """The scheme in force: for each event type, who is told, through which channels, with which texts."""
        require_reader_of_config(user)
        if (doc := await notify.schemes.active()) is None:
            raise NotFound("no_scheme", "尚无通知方案 (no scheme yet)")
        return doc

    @router.get("/notification-scheme/versions")
    async def scheme_history(user: CurrentUser, limit: Annotated[int, Query(ge=1, le=200)] = 50) -> list[dict]:
        """Every version, newest first: number, author, time and note."""
        require_reader_of_config(user)
        return await notify.schemes.history(limit)

    @router.get("/notification-scheme/versions/{number}")
    async def scheme_version(number: VersionNumber, user: CurrentUser) -> dict:
        require_reader_of_config(user)
        if (doc := await notify.schemes.version(number)) is None:
            raise NotFound("no_scheme_version", f"通知方案第 {number} 版不存在 (no such version)")
        return doc

    @router.put("/notification-scheme/events/{event_type}")
    async def change_event_rules(event_type: str, body: SchemeChange, user: CurrentUser) -> dict:
        """Replace one event type's rules; the result is a new version, used from the next event on."""
        require_region_admin(user)
        return await administration.change_scheme_recorded(
            event_type, body.rules, base_version=body.base_version, note=body.note, by=user, notify=notify
        )

    @router.get("/deliveries")
    async def deliveries(
        user: CurrentUser,
        ticket_id: Annotated[str | None, Query(max_length=100)] = None,
        state: DeliveryState | None = None,
        channel: Literal["inbox", "wecom", "wechat"] | None = None,
        limit: Annotated[int, Query(ge=1, le=500)] = 100,
    ) -> list[dict]:
        """Delivery records, newest first, with attempts, next attempt and the reason of a failure."""
        require_reader_of_config(user)
        return await notify.queue.find(ticket_id=ticket_id or None, state=state, channel=channel, limit=limit)

    @router.post("/deliveries/{delivery_id}/retry")
    async def retry_delivery(delivery_id: str, user: CurrentUser) -> dict:
        """Send a failed, permanent or skipped delivery again (after fixing a robot or a binding)."""
        require_region_admin(user)
        if (doc := await administration.retry_delivery(delivery_id, utcnow(), by=user, notify=notify)) is None:
            raise DomainError("not_retryable", "该投递不存在或不处于失败状态 (no failed delivery with this id)")
        return doc

    @router.get("/notify/robots")
    async def robots(user: CurrentUser) -> list[dict]:
        require_region_admin(user)
        return [robot_view(robot) for robot in await notify.robots.every()]

    @router.post("/notify/robots", status_code=status.HTTP_201_CREATED)
    async def add_robot(body: RobotIn, user: CurrentUser) -> dict:
        """A WeCom group robot: the group of `org_ids`, or of every organisation under `division_prefix`."""
        require_region_admin(user)
        robot = {**body.model_dump(exclude={"id"}), "_id": body.id, "enabled": True}
        if not await administration.add_robot(robot, by=user, notify=notify):
            raise DomainError("robot_exists", f"机器人 {body.id} 已存在 (robot exists)", field="id")
        return robot_view(robot)

    @router.patch("/notify/robots/{robot_id}")
    async def change_robot(robot_id: str, body: RobotChange, user: CurrentUser) -> dict:
        """Change a robot; enabling one clears the reason it was disabled for."""
        require_region_admin(user)
        changes = body.model_dump(include=body.model_fields_set)
        if changes.get("enabled"):
            changes.update(disabled_reason=None, disabled_at=None)
        if (robot := await administration.change_robot(robot_id, changes, by=user, notify=notify)) is None:
            raise NotFound("robot_not_found", "机器人不存在 (no such robot)")
        return robot_view(robot)

    return router
