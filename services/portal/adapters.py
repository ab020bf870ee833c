"""The portal's stores: users, the organisation directory, and the read models built from events."""

import hashlib
from datetime import datetime
from typing import Any

from pymongo import ReturnDocument
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from services.portal.domain import UserAccount
from services.portal.milestones import TicketFacts
from shared.store import IndexSpec, SerializedCollection

INDEXES = [
    IndexSpec("users", [("username", 1)], unique=True, name="username_unique"),
    IndexSpec("organisations", [("division_code", 1), ("kind", 1)]),
    IndexSpec("timeline", [("ticket_id", 1), ("at", 1)]),
    IndexSpec("tickets", [("org_path", 1), ("submitted_at", -1)]),
    IndexSpec("refresh_tokens", [("user_id", 1)]),
]
DASHBOARD_FIELDS = {
    key: 1
    for key in (
        "kind",
        "category",
        "status",
        "org_path",
        "submitted_at",
        "milestones",
        "review_level",
        "adopted",
        "vendor_id",
        "planned_delivery",
    )
}


class Directory:
    """Users and organisations (the org directory the region's administrators maintain)."""

    def __init__(self, db: AsyncDatabase, organisations: AsyncCollection | None = None) -> None:
        self._users = db["users"]
        self._orgs = organisations if organisations is not None else db["organisations"]

    async def user_by_username(self, username: str) -> UserAccount | None:
        doc = await self._users.find_one({"username": username})
        if doc is None:
            return None
        return UserAccount(
            id=doc["_id"],
            username=doc["username"],
            name=doc["name"],
            org=doc["org"],
            org_path=doc["org_path"],
            roles=doc["roles"],
            password_hash=doc["password_hash"],
            vendor_id=doc.get("vendor_id"),
            active=doc.get("active", True),
            locked_until=doc.get("locked_until"),
        )

    async def user_by_id(self, user_id: str) -> UserAccount | None:
        doc = await self._users.find_one({"_id": user_id}, {"username": 1})
        return await self.user_by_username(doc["username"]) if doc else None

    async def count_failure(self, user_id: str) -> int:
        """Atomically count one more consecutive failed sign-in; answers the new count."""
        doc = await self._users.find_one_and_update(
            {"_id": user_id}, {"$inc": {"failed_sign_ins": 1}}, return_document=ReturnDocument.AFTER
        )
        return doc["failed_sign_ins"]

    async def lock(self, user_id: str, until: datetime) -> None:
        await self._users.update_one({"_id": user_id}, {"$set": {"locked_until": until, "failed_sign_ins": 0}})

    async def clear_failures(self, user_id: str) -> None:
        await self._users.update_one({"_id": user_id}, {"$set": {"failed_sign_ins": 0, "locked_until": None}})

    async def add_missing_organisations(self, orgs: list[dict[str, Any]]) -> int:
        return await _insert_missing(self._orgs, [{"_id": o["id"], **o} for o in orgs])

    async def add_missing_users(self, users: list[dict[str, Any]]) -> int:
        return await _insert_missing(self._users, users)

    async def organisation(self, org_id: str) -> dict[str, Any] | None:
        return await self._orgs.find_one({"_id": org_id}, {"outbox": 0})

    async def save_organisation(self, org: dict[str, Any], entries: list[dict], *, new: bool) -> bool:
        """Create (False if the id is taken) or update an organisation; its event rides in the same write."""
        if new:
            try:
                await self._orgs.insert_one({"_id": org["id"], **org, "outbox": entries})
            except DuplicateKeyError:
                return False
            return True
        await self._orgs.update_one({"_id": org["id"]}, {"$set": org, "$push": {"outbox": {"$each": entries}}})
        return True

    async def organisations(self, *, parent_division: str | None, kind: str | None) -> list[dict[str, Any]]:
        query: dict[str, Any] = {}
        if parent_division:
            query["division_code"] = parent_division
        if kind:
            query["kind"] = kind
        return await self._orgs.find(query, {"outbox": 0}).sort("_id", 1).to_list()


async def _insert_missing(collection: AsyncCollection, docs: list[dict[str, Any]]) -> int:
    """Insert the documents whose ids are not there yet; existing ones (perhaps edited since) stay as they are.

    Inserting rather than upserting also keeps clear of a FerretDB v1 stall seen when a bulk of upserts
    rewrote existing documents of an indexed collection after the services had used it.
    """
    existing = {doc["_id"] async for doc in collection.find({}, {"_id": 1})}
    missing = [doc for doc in docs if doc["_id"] not in existing]
    if missing:
        await collection.insert_many(missing, ordered=False)
    return len(missing)


class TicketViews:
    """Read models built from every service's events: a ticket list and each ticket's timeline."""

    def __init__(self, db: AsyncDatabase, tickets: SerializedCollection | None = None) -> None:
        """`tickets` serialised per document (runtime.serialized): events of one ticket come from several
        topics at once, and FerretDB v1 would lose one of two concurrent updates of a document (0002)."""
        self._timeline = db["timeline"]
        self._tickets = tickets if tickets is not None else db["tickets"]

    async def record(self, entry: dict[str, Any]) -> None:
        try:
            await self._timeline.insert_one(entry)  # _id is the event id: a redelivered event adds nothing
        except DuplicateKeyError:
            pass

    async def upsert_ticket(self, ticket_id: str, fields: dict[str, Any]) -> None:
        await self._tickets.update_one({"_id": ticket_id}, {"$set": fields}, upsert=True)

    async def move_status(self, ticket_id: str, status: str, at: datetime) -> None:
        """Take the status only from an event at least as new as the one that set the current one."""
        await self._tickets.update_one(
            {"_id": ticket_id, "$or": [{"status_at": {"$lte": at}}, {"status_at": {"$exists": False}}]},
            {"$set": {"status": status, "status_at": at}},
        )

    async def record_facts(self, ticket_id: str, facts: TicketFacts) -> None:
        """Milestones keep their first time (`$min`); current facts only yield to a newer event (milestones.py).

        The document may not exist yet (a later step's event overtook the submission): both writes upsert.
        """
        if facts.milestones:
            first = {f"milestones.{name}": at for name, at in facts.milestones.items()}
            await self._tickets.update_one({"_id": ticket_id}, {"$min": first}, upsert=True)
        if facts.group:
            stamp = f"facts_at.{facts.group}"
            newer = {"$or": [{stamp: {"$lte": facts.at}}, {stamp: {"$exists": False}}]}
            try:
                await self._tickets.update_one(
                    {"_id": ticket_id, **newer}, {"$set": {**facts.current, stamp: facts.at}}, upsert=True
                )
            except DuplicateKeyError:
                pass  # the document holds a newer fact of this group: the upsert's insert lost, as it should

    async def dashboard_rows(self, query: dict[str, Any], *, limit: int) -> list[dict[str, Any]]:
        """The fields the dashboard figures are computed from (in Python: FerretDB v1 aggregates little)."""
        return await self._tickets.find(query, DASHBOARD_FIELDS).limit(limit).to_list()

    async def list_in_area(self, area: dict[str, Any], *, status: str | None, limit: int, skip: int) -> list[dict]:
        query = {**area, **({"status": status} if status else {})}
        return await self._tickets.find(query).sort("submitted_at", -1).skip(skip).limit(limit).to_list()

    async def ticket(self, ticket_id: str) -> dict[str, Any] | None:
        return await self._tickets.find_one({"_id": ticket_id})

    async def timeline(self, ticket_id: str) -> list[dict[str, Any]]:
        return await self._timeline.find({"ticket_id": ticket_id}).sort("at", 1).to_list()


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class RefreshTokens:
    """Refresh tokens are stored only as digests; each is used once and replaced (rotation)."""

    def __init__(self, db: AsyncDatabase) -> None:
        self._tokens = db["refresh_tokens"]

    async def add(self, token: str, *, user_id: str, family: str, expires_at: datetime) -> None:
        await self._tokens.insert_one(
            {"_id": _digest(token), "user_id": user_id, "family": family, "expires_at": expires_at, "used": False}
        )

    async def use(self, token: str) -> dict[str, Any] | None:
        """Mark the token used and answer it as it was before (None if unknown); `used` tells a replay."""
        return await self._tokens.find_one_and_update({"_id": _digest(token)}, {"$set": {"used": True}})

    async def revoke_family(self, family: str) -> None:
        await self._tokens.update_many({"family": family}, {"$set": {"used": True}})
