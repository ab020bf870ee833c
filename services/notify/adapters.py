"""The notification store: a notification and its NotificationDelivered event in one document write."""

from collections.abc import Callable
from dataclasses import asdict

from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import DuplicateKeyError

from services.notify.domain import Announcement, Notification
from shared.events import Actor, Envelope
from shared.outbox import OUTBOX_FIELD, OutboxWriter

PUBLIC_FIELDS = {OUTBOX_FIELD: 0, "read_by": 0}


class NotificationRepository:
    def __init__(self, collection: AsyncCollection, outbox: OutboxWriter, saved: Callable[[], None]) -> None:
        self._collection = collection
        self._outbox = outbox
        self._saved = saved

    async def add(self, notification: Notification, *, actor: Actor, cause: Envelope) -> bool:
        """False when this (event, recipient, channel) was already delivered."""
        try:
            await self._collection.insert_one(
                {
                    "_id": notification.id,
                    "ticket_id": notification.ticket_id,
                    "recipient": notification.recipient.key,
                    "channel": notification.channel,
                    "title": notification.title,
                    "body": notification.body,
                    "created_at": notification.created_at,
                    "urgent": notification.urgent,
                    "read_by": [],
                    OUTBOX_FIELD: self._outbox.entries(notification.events, actor=actor, causation=cause),
                }
            )
        except DuplicateKeyError:
            return False
        self._saved()
        return True

    async def inbox(self, recipients: list[str], user_id: str, *, unread_only: bool, limit: int) -> list[dict]:
        query: dict = {"recipient": {"$in": recipients}}
        if unread_only:
            query["read_by"] = {"$ne": user_id}
        items = await self._collection.find(query, {OUTBOX_FIELD: 0}).sort("created_at", -1).limit(limit).to_list()
        for item in items:
            item["read"] = user_id in item.pop("read_by", [])
        return items

    async def unread_count(self, recipients: list[str], user_id: str) -> int:
        return await self._collection.count_documents({"recipient": {"$in": recipients}, "read_by": {"$ne": user_id}})

    async def mark_read(self, notification_id: str, recipients: list[str], user_id: str) -> bool:
        result = await self._collection.update_one(
            {"_id": notification_id, "recipient": {"$in": recipients}}, {"$addToSet": {"read_by": user_id}}
        )
        return result.matched_count == 1


class AnnouncementRepository:
    """System announcements (通知公告); the id comes from the event, so a redelivery adds nothing."""

    def __init__(self, collection: AsyncCollection) -> None:
        self._collection = collection

    async def add(self, announcement: Announcement) -> None:
        doc = asdict(announcement)
        doc["_id"] = doc.pop("id")
        try:
            await self._collection.insert_one(doc)
        except DuplicateKeyError:
            pass

    async def latest(self, limit: int) -> list[dict]:
        return await self._collection.find({}).sort([("pinned", -1), ("published_at", -1)]).limit(limit).to_list()
