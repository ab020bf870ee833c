"""The review case repository: one document per requirement in "review_cases", its events in its outbox.

Every change is ONE `update_one` guarded by the version read: {_id, version: v} → $set the new state,
version v+1, $push the events onto the outbox. Whoever loses a race gets ConcurrentChange (409) and
nothing is written, so no step is ever applied twice or half (FerretDB has no transactions).
"""

import re
from collections.abc import Callable
from datetime import datetime
from typing import Any

from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import DuplicateKeyError

from services.review.adapters.documents import case_from_document, case_state
from services.review.domain import ConcurrentChange, ReviewCase, Status
from shared.events import Actor, Envelope, utcnow
from shared.outbox import OUTBOX_FIELD, OutboxWriter
from shared.store import IndexSpec

COLLECTION = "review_cases"
PUBLIC = {OUTBOX_FIELD: 0}
INDEXES = [
    IndexSpec(COLLECTION, [("current_division", 1), ("current_opened_at", 1)]),
    IndexSpec(COLLECTION, [("status", 1), ("business_division_id", 1)]),
    IndexSpec(COLLECTION, [("status", 1), ("submitted_month", 1)]),
    IndexSpec(COLLECTION, [("batch_id", 1)]),
]


class ReviewCaseRepository:
    def __init__(self, collection: AsyncCollection, outbox: OutboxWriter, saved: Callable[[], None]) -> None:
        self._collection = collection
        self._outbox = outbox
        self._saved = saved

    async def add(self, case: ReviewCase, *, actor: Actor, cause: Envelope) -> bool:
        """Insert a new case; False when it already exists (the triggering event was seen before)."""
        now = utcnow()
        try:
            await self._collection.insert_one(
                {
                    "_id": case.ticket_id,
                    **case_state(case),
                    "opened_at": now,
                    "updated_at": now,
                    "version": 1,
                    OUTBOX_FIELD: self._outbox.entries(case.events, actor=actor, causation=cause),
                }
            )
        except DuplicateKeyError:
            return False
        case.version = 1
        case.events.clear()
        self._saved()
        return True

    async def save(
        self, case: ReviewCase, *, actor: Actor, cause: Envelope | None = None, correlation_id: str | None = None
    ) -> None:
        """Write the case's new state and events if nobody changed it since it was read."""
        entries = self._outbox.entries(case.events, actor=actor, causation=cause, correlation_id=correlation_id)
        update: dict[str, Any] = {"$set": {**case_state(case), "updated_at": utcnow(), "version": case.version + 1}}
        if entries:
            update["$push"] = {OUTBOX_FIELD: {"$each": entries}}
        result = await self._collection.update_one({"_id": case.ticket_id, "version": case.version}, update)
        if result.matched_count != 1:
            raise ConcurrentChange(case.ticket_id)
        case.version += 1
        case.events.clear()
        if entries:
            self._saved()

    async def get(self, ticket_id: str) -> ReviewCase | None:
        doc = await self._collection.find_one({"_id": ticket_id}, PUBLIC)
        return case_from_document(doc) if doc else None

    async def get_many(self, ticket_ids: list[str]) -> dict[str, ReviewCase]:
        cursor = self._collection.find({"_id": {"$in": ticket_ids}}, PUBLIC)
        return {doc["_id"]: case_from_document(doc) async for doc in cursor}

    async def read(self, ticket_id: str) -> dict[str, Any] | None:
        """The stored case as readers see it (without the outbox)."""
        return await self._collection.find_one({"_id": ticket_id}, PUBLIC)

    async def overdue_candidates(self, opened_before: datetime, *, limit: int) -> list[ReviewCase]:
        """Cases whose open task opened before `opened_before` (real time) and was not reminded yet: the
        periodic check reads the deadline of each (a deadline is never shorter than its working days)."""
        query = {
            "status": Status.IN_REVIEW.value,
            "current_opened_at": {"$lt": opened_before},
            "current_overdue_at": None,
        }
        docs = await self._find(query, limit=limit, sort=[("current_opened_at", 1)])
        return [case_from_document(doc) for doc in docs]

    async def open_tasks_for(
        self, division_code: str, *, limit: int, keyword: str | None = None, **filters: str | None
    ) -> list[dict]:
        """The queue of one finance bureau: cases whose current task is at its division, the task opened
        longest ago first (hence the soonest due). `filters` are exact fields (category, urgency, org_id);
        `keyword` is looked for in the id, title and description."""
        query: dict[str, Any] = {"current_division": division_code, **{k: v for k, v in filters.items() if v}}
        if keyword and keyword.strip():
            pattern = {"$regex": re.escape(keyword.strip()), "$options": "i"}
            query["$or"] = [{"_id": pattern}, {"title": pattern}, {"description": pattern}]
        return await self._find(query, limit=limit, sort=[("current_opened_at", 1), ("opened_at", 1)])

    async def awaiting_refinement(self, *, limit: int) -> list[dict]:
        """The IT division's refinement queue (第六条二)."""
        return await self._find({"status": Status.AWAITING_REFINEMENT.value}, limit=limit, sort=[("updated_at", 1)])

    async def awaiting_confirmation(self, business_division_id: str, *, limit: int) -> list[dict]:
        """One business division's confirmation queue (第六条三)."""
        query = {"status": Status.AWAITING_CONFIRMATION.value, "business_division_id": business_division_id}
        return await self._find(query, limit=limit, sort=[("updated_at", 1)])

    async def publishable(self, *, submitted_month: str | None = None, limit: int = 1000) -> list[ReviewCase]:
        """Confirmed and not yet published (第六条四), optionally only those submitted in one month."""
        query: dict[str, Any] = {"status": Status.CONFIRMED.value}
        if submitted_month:
            query["submitted_month"] = submitted_month
        return [case_from_document(doc) for doc in await self._find(query, limit=limit, sort=[("updated_at", 1)])]

    async def _find(self, query: dict[str, Any], *, limit: int, sort: list[tuple[str, int]]) -> list[dict]:
        return await self._collection.find(query, PUBLIC).sort(sort).limit(limit).to_list()
