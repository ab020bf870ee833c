"""Notify's administration as use cases: each change and the event that records it (for the audit trail)
commit in one transaction, through notify's outbox, to the notifications topic. A robot's key never
appears in an event: whoever reads the trail must not be able to post to the group."""

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

from services.notify.announcements import Announcement
from services.notify.handlers import Notify, change_scheme
from services.notify.scheme import Rule
from shared.auth import Principal
from shared.events import (
    AnnouncementPublished,
    AnnouncementWithdrawn,
    DeliveryRetried,
    Event,
    NotificationSchemeChanged,
    RobotAdded,
    RobotChanged,
)


@asynccontextmanager
async def recorded(notify: Notify, by: Principal) -> AsyncIterator[Callable[[Event], None]]:
    """A transaction for one administrative change; the events handed to `record` join it in the outbox.
    The stores' statements run on the transaction's connection (shared.db), so a refused change (its
    exception) writes neither the change nor its event."""
    events: list[Event] = []
    if notify.db is None or notify.outbox is None:  # unit tests without a broker: nothing to record to
        yield events.append
        return
    async with notify.db.transaction() as conn:
        yield events.append
        await notify.outbox.add(conn, events, actor=by.actor())


async def change_scheme_recorded(
    event_type: str, rules: list[Rule], *, base_version: int, note: str, by: Principal, notify: Notify
) -> dict:
    async with recorded(notify, by) as record:
        doc = await change_scheme(event_type, rules, base_version=base_version, note=note, by=by, notify=notify)
        record(
            NotificationSchemeChanged(
                version=doc["_id"], base_version=base_version, event_type=event_type, rules=len(rules), note=note
            )
        )
    return doc


async def add_robot(robot: dict[str, Any], *, by: Principal, notify: Notify) -> bool:
    """False when a robot with this id exists."""
    async with recorded(notify, by) as record:
        if not await notify.robots.add(robot):
            return False
        record(
            RobotAdded(
                robot_id=robot["_id"],
                name=robot["name"],
                org_ids=list(robot.get("org_ids") or []),
                division_prefix=robot.get("division_prefix"),
            )
        )
    return True


async def change_robot(robot_id: str, changes: dict[str, Any], *, by: Principal, notify: Notify) -> dict | None:
    async with recorded(notify, by) as record:
        if (robot := await notify.robots.update(robot_id, changes)) is None:
            return None
        record(RobotChanged(robot_id=robot_id, fields=sorted(changes), enabled=bool(robot.get("enabled"))))
    return robot


async def retry_delivery(delivery_id: str, now: datetime, *, by: Principal, notify: Notify) -> dict | None:
    async with recorded(notify, by) as record:
        if (doc := await notify.queue.requeue(delivery_id, now)) is None:
            return None
        record(DeliveryRetried(delivery_id=delivery_id, channel=doc["channel"], recipient=doc["recipient"]))
    notify.wake()
    return doc


async def publish_announcement(announcement: Announcement, *, by: Principal, notify: Notify) -> None:
    audience = announcement.audience
    async with recorded(notify, by) as record:
        await notify.announcements.add(announcement)
        record(
            AnnouncementPublished(
                announcement_id=announcement.id,
                title=announcement.title,
                visible_from=announcement.visible_from,
                visible_until=announcement.visible_until,
                pinned=announcement.pinned,
                division_prefixes=list(audience.division_prefixes),
                org_ids=list(audience.org_ids),
                roles=list(audience.roles),
            )
        )


async def withdraw_announcement(announcement_id: str, now: datetime, *, by: Principal, notify: Notify) -> dict | None:
    async with recorded(notify, by) as record:
        if (doc := await notify.announcements.withdraw(announcement_id, now)) is None:
            return None
        record(AnnouncementWithdrawn(announcement_id=announcement_id))
    return doc
