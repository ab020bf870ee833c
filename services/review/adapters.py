"""The review case repository: a case and its events are saved in one document write (outbox)."""

from collections.abc import Callable
from dataclasses import asdict

from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import DuplicateKeyError

from services.review.domain import ReviewCase
from shared.events import Actor, Envelope, utcnow
from shared.outbox import OUTBOX_FIELD, OutboxWriter


class ReviewCaseRepository:
    def __init__(self, collection: AsyncCollection, outbox: OutboxWriter, saved: Callable[[], None]) -> None:
        self._collection = collection
        self._outbox = outbox
        self._saved = saved

    async def add(self, case: ReviewCase, *, actor: Actor, cause: Envelope) -> bool:
        """Insert a new case; False when it already exists (the triggering event was seen before)."""
        try:
            await self._collection.insert_one(
                {
                    "_id": case.ticket_id,
                    "title": case.title,
                    "org_path": case.org_path,
                    "chain": [{"level": level, "division_code": code} for level, code in case.chain],
                    "tasks": [asdict(task) for task in case.tasks],
                    "current_level": case.current_task.level if case.current_task else None,
                    "current_division": case.current_task.division_code if case.current_task else None,
                    "opened_at": utcnow(),
                    "version": 1,
                    OUTBOX_FIELD: self._outbox.entries(case.events, actor=actor, causation=cause),
                }
            )
        except DuplicateKeyError:
            return False
        self._saved()
        return True

    async def open_tasks_for(self, division_code: str, *, limit: int) -> list[dict]:
        """The queue of one finance bureau: cases whose current task is at its division."""
        cursor = self._collection.find({"current_division": division_code}, {OUTBOX_FIELD: 0})
        return await cursor.sort("opened_at", 1).limit(limit).to_list()
