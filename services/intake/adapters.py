"""The requirement repository: a requirement and its events are saved in one document write (outbox)."""

from collections.abc import Callable
from typing import Any

from pymongo.asynchronous.collection import AsyncCollection

from services.intake.domain import Requirement
from shared.auth import Principal
from shared.outbox import OUTBOX_FIELD, OutboxWriter

PUBLIC_FIELDS = {OUTBOX_FIELD: 0}


class RequirementRepository:
    def __init__(self, collection: AsyncCollection, outbox: OutboxWriter, saved: Callable[[], None]) -> None:
        self._collection = collection
        self._outbox = outbox
        self._saved = saved

    async def add(self, requirement: Requirement, correlation_id: str) -> None:
        command = requirement.command
        submitter = requirement.submitter
        await self._collection.insert_one(
            {
                "_id": requirement.id,
                "kind": "requirement",
                "category": command.category.value,
                "title": command.title,
                "description": command.description,
                "business_scenario": command.business_scenario,
                "expected_effect": command.expected_effect,
                "urgency": command.urgency.value,
                "module": command.module,
                "local_justification": command.local_justification,
                "channel": command.channel.value,
                "status": requirement.status,
                "submitter": {"id": submitter.user_id, "name": submitter.name},
                "org": {"id": submitter.org_id, "name": submitter.org_name, "path": submitter.org_path},
                "submitted_at": requirement.submitted_at,
                "version": 1,
                OUTBOX_FIELD: self._outbox.entries(
                    requirement.events, actor=submitter.actor(), correlation_id=correlation_id
                ),
            }
        )
        self._saved()

    async def get(self, requirement_id: str) -> dict[str, Any] | None:
        return await self._collection.find_one({"_id": requirement_id}, PUBLIC_FIELDS)

    async def list_in_area(self, principal: Principal, *, limit: int, skip: int) -> list[dict[str, Any]]:
        cursor = self._collection.find(principal.area_filter("org.path"), PUBLIC_FIELDS)
        return await cursor.sort("submitted_at", -1).skip(skip).limit(limit).to_list()
