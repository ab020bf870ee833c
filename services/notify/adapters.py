"""Notify's stores: the inbox, announcements and the durable delivery queue (one document per delivery).

Every state change of a delivery is a single-document write (FerretDB has no transactions), made only by
the worker holding the delivery's permit (see DeliveryQueue). Marking a delivery sent carries its
NotificationDelivered event in the same write (the outbox), so the event goes out exactly when the
delivery is recorded as sent.
"""

from datetime import datetime, timedelta
from typing import Any

from pymongo import ReturnDocument
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import BulkWriteError, DuplicateKeyError

from services.notify.announcements import Announcement, visible_filter
from shared.auth import Principal
from shared.outbox import OUTBOX_FIELD
from shared.store import IndexSpec

HIDDEN = {OUTBOX_FIELD: 0, "read_by": 0, "lease_token": 0}
INDEXES = [
    IndexSpec("notifications", [("recipient", 1), ("created_at", -1)]),
    IndexSpec("notifications", [("message_key", 1)]),
    IndexSpec("announcements", [("pinned", -1), ("published_at", -1)]),
    IndexSpec("deliveries", [("state", 1), ("next_attempt_at", 1)]),
    IndexSpec("deliveries", [("ticket_id", 1), ("state", 1)]),
    IndexSpec("deliveries", [("message_key", 1)]),
    IndexSpec("delivery_permits", [("delivery", 1), ("seq", -1)]),
]


class NotificationRepository:
    """The in-app inbox as its readers see it (the inbox channel writes it)."""

    def __init__(self, collection: AsyncCollection) -> None:
        self._collection = collection

    async def inbox(self, recipients: list[str], user_id: str, *, unread_only: bool, limit: int) -> list[dict]:
        query: dict = {"recipient": {"$in": recipients}}
        if unread_only:
            query["read_by"] = {"$ne": user_id}
        items = await self._collection.find(query).sort("created_at", -1).limit(limit).to_list()
        return [self._public(item, user_id) for item in items]

    async def get(self, notification_id: str, recipients: list[str], user_id: str) -> dict | None:
        item = await self._collection.find_one({"_id": notification_id, "recipient": {"$in": recipients}})
        return self._public(item, user_id) if item else None

    @staticmethod
    def _public(item: dict, user_id: str) -> dict:
        item["read"] = user_id in item.pop("read_by", [])
        item.pop(OUTBOX_FIELD, None)
        return item

    async def unread_count(self, recipients: list[str], user_id: str) -> int:
        return await self._collection.count_documents({"recipient": {"$in": recipients}, "read_by": {"$ne": user_id}})

    async def mark_read(self, notification_id: str, recipients: list[str], user_id: str) -> bool:
        result = await self._collection.update_one(
            {"_id": notification_id, "recipient": {"$in": recipients}}, {"$addToSet": {"read_by": user_id}}
        )
        return result.matched_count == 1


class AnnouncementRepository:
    """System announcements (通知公告); an id from an event makes a redelivery add nothing."""

    def __init__(self, collection: AsyncCollection) -> None:
        self._collection = collection

    async def add(self, announcement: Announcement) -> bool:
        try:
            await self._collection.insert_one(announcement.to_doc())
            return True
        except DuplicateKeyError:
            return False

    async def visible_to(self, principal: Principal, now: datetime, limit: int) -> list[dict]:
        query = visible_filter(principal, now)
        return await self._collection.find(query).sort([("pinned", -1), ("published_at", -1)]).limit(limit).to_list()

    async def every(self, limit: int) -> list[dict]:
        return await self._collection.find({}).sort([("published_at", -1)]).limit(limit).to_list()

    async def withdraw(self, announcement_id: str, now: datetime) -> dict | None:
        return await self._collection.find_one_and_update(
            {"_id": announcement_id}, {"$set": {"visible_until": now}}, return_document=ReturnDocument.AFTER
        )


class DeliveryQueue:
    """The durable delivery queue. Who may send a delivery is decided by a permit: a document with the
    unique id "<delivery>#<seq>", the next number after the delivery's last permit. Inserting it is the
    one write FerretDB v1 makes atomic (its find-and-modify and conditional updates query first and then
    write by id, re-checking nothing), so exactly one worker wins each number. A permit lasts a lease; a
    worker that died leaves an expired one, and the next worker takes the number after it."""

    def __init__(self, collection: AsyncCollection, permits: AsyncCollection) -> None:
        self._collection = collection
        self._permits = permits

    async def add_all(self, deliveries: list[dict[str, Any]]) -> int:
        """Insert what is not there yet (ids are (event, recipient, channel)); returns how many were new."""
        if not deliveries:
            return 0
        try:
            result = await self._collection.insert_many(deliveries, ordered=False)
            return len(result.inserted_ids)
        except BulkWriteError as error:
            others = [e for e in error.details.get("writeErrors", []) if e.get("code") != 11000]
            if others:
                raise
            return error.details.get("nInserted", 0)

    @staticmethod
    def _claimable(doc: dict | None, now: datetime) -> bool:
        if doc is None:
            return False
        if doc["state"] == "pending":
            return doc["next_attempt_at"] is not None and doc["next_attempt_at"] <= now
        return doc["state"] == "sending" and doc.get("lease_until") is not None and doc["lease_until"] <= now

    async def claim(self, now: datetime, lease_seconds: float, worker: str) -> dict | None:
        """Take the most overdue claimable delivery: pending and due, or sending with an expired lease."""
        candidates = await (
            self._collection.find(
                {
                    "$or": [
                        {"state": "pending", "next_attempt_at": {"$lte": now}},
                        {"state": "sending", "lease_until": {"$lte": now}},
                    ]
                },
                {"_id": 1},
            )
            .sort("next_attempt_at", 1)
            .limit(32)
            .to_list()
        )
        for candidate in candidates:
            if claimed := await self._try_claim(candidate["_id"], now, lease_seconds, worker):
                return claimed
        return None

    async def _try_claim(self, delivery_id: str, now: datetime, lease_seconds: float, worker: str) -> dict | None:
        last = await self._permits.find_one({"delivery": delivery_id}, sort=[("seq", -1)])
        if last and not last.get("done") and last["until"] > now:
            return None  # another worker holds it
        seq = last["seq"] + 1 if last else 0
        until = now + timedelta(seconds=lease_seconds)
        permit = {"_id": f"{delivery_id}#{seq}", "delivery": delivery_id, "seq": seq, "until": until, "worker": worker}
        try:
            await self._permits.insert_one(permit)
        except DuplicateKeyError:
            return None  # another worker won this number
        fresh = await self._collection.find_one({"_id": delivery_id})
        if not self._claimable(fresh, now):
            # Its last holder finished it after we looked: nothing to do.
            await self._permits.update_one({"_id": permit["_id"]}, {"$set": {"done": True}})
            return None
        claim = {"state": "sending", "lease_until": until, "lease_token": permit["_id"], "claimed_by": worker}
        await self._collection.update_one({"_id": delivery_id}, {"$set": claim, "$inc": {"claims": 1}})
        return {**fresh, **claim}

    async def finish(
        self, delivery: dict, *, state: str, now: datetime, attempted: bool, outbox: list | None = None, **fields: Any
    ) -> bool:
        """Record the outcome while this worker's permit is the delivery's latest; False when it lost it."""
        latest = await self._permits.find_one({"delivery": delivery["_id"]}, sort=[("seq", -1)])
        if latest is None or latest["_id"] != delivery["lease_token"]:
            return False
        update: dict[str, Any] = {
            "$set": {"state": state, "lease_until": None, "updated_at": now, **fields},
            "$inc": {"attempts": 1 if attempted else 0},
        }
        if outbox:
            update["$push"] = {OUTBOX_FIELD: {"$each": outbox}}
        await self._collection.update_one({"_id": delivery["_id"]}, update)
        if state == "pending":
            await self._permits.update_one({"_id": latest["_id"]}, {"$set": {"done": True}})
        else:
            await self._permits.delete_many({"delivery": delivery["_id"]})
        return True

    async def find(self, query: dict[str, Any], limit: int) -> list[dict]:
        return await self._collection.find(query, HIDDEN).sort("created_at", -1).limit(limit).to_list()

    async def of_message(self, message_key: str) -> list[dict]:
        return await self._collection.find({"message_key": message_key}, HIDDEN).sort("channel", 1).to_list()

    async def requeue(self, delivery_id: str, now: datetime) -> dict | None:
        """An administrator sends a failed, permanent or skipped delivery again (attempts start over).
        Not a race with the worker: it never claims a delivery in these states."""
        return await self._collection.find_one_and_update(
            {"_id": delivery_id, "state": {"$in": ["failed", "permanent", "skipped"]}},
            {"$set": {"state": "pending", "next_attempt_at": now, "attempts": 0, "reason": None}},
            return_document=ReturnDocument.AFTER,
        )

    async def next_due(self) -> datetime | None:
        """When the earliest pending delivery is due (tests drive a manual clock with it)."""
        pending = await self._collection.find_one({"state": "pending"}, sort=[("next_attempt_at", 1)])
        sending = await self._collection.find_one({"state": "sending"}, sort=[("lease_until", 1)])
        times = [d[k] for d, k in ((pending, "next_attempt_at"), (sending, "lease_until")) if d and d.get(k)]
        return min(times, default=None)
