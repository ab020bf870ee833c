"""Dispatch's repositories. Every change of a case is ONE `update_one` guarded by the case's version, with
its history lines and its events (the outbox) in the same write; FerretDB needs nothing more (no
transactions). A lost race is a 409 for a person and a retry for a consumer."""

from collections.abc import Callable
from datetime import date
from typing import Any

from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import DuplicateKeyError

from services.dispatch.domain import CaseStatus, DispatchCase, HistoryEntry, Release, WorkOrder, WorkOrderStatus
from shared.errors import DomainError
from shared.events import Actor, Envelope
from shared.outbox import OUTBOX_FIELD, OutboxWriter
from shared.store import SerializedCollection

HIDDEN = {OUTBOX_FIELD: 0}


class ConcurrentChange(DomainError):
    """Someone else changed the case between our read and our write."""

    def __init__(self, ticket_id: str) -> None:
        super().__init__("concurrent_change", f"需求 {ticket_id} 刚被他人修改，请刷新后重试 (changed meanwhile)")


class DispatchCaseRepository:
    def __init__(
        self, collection: AsyncCollection | SerializedCollection, outbox: OutboxWriter, saved: Callable[[], None]
    ) -> None:
        self._collection = collection
        self._outbox = outbox
        self._saved = saved

    async def add(self, case: DispatchCase, *, actor: Actor, cause: Envelope) -> bool:
        """Insert a new case; False when it exists already (the triggering event was seen before)."""
        document = {
            "_id": case.ticket_id,
            **_state(case),
            "version": 1,
            "history": [_history(entry) for entry in case.history],
            OUTBOX_FIELD: self._outbox.entries(case.events, actor=actor, causation=cause),
        }
        try:
            await self._collection.insert_one(document)
        except DuplicateKeyError:
            return False
        if case.events:
            self._saved()
        return True

    async def save(
        self,
        case: DispatchCase,
        *,
        actor: Actor,
        correlation_id: str | None = None,
        causation: Envelope | None = None,
    ) -> None:
        """Write the case if nobody changed it since it was read (optimistic check on `version`)."""
        entries = self._outbox.entries(case.events, actor=actor, correlation_id=correlation_id, causation=causation)
        result = await self._collection.update_one(
            {"_id": case.ticket_id, "version": case.version},
            {
                "$set": {**_state(case), "version": case.version + 1},
                "$push": {
                    "history": {"$each": [_history(entry) for entry in case.recorded]},
                    OUTBOX_FIELD: {"$each": entries},
                },
            },
        )
        if result.matched_count == 0:
            raise ConcurrentChange(case.ticket_id)
        if entries:
            self._saved()

    async def get(self, ticket_id: str) -> DispatchCase | None:
        document = await self._collection.find_one({"_id": ticket_id}, HIDDEN)
        return to_case(document) if document else None

    async def get_many(self, ticket_ids: list[str]) -> dict[str, DispatchCase]:
        cursor = self._collection.find({"_id": {"$in": ticket_ids}}, HIDDEN)
        return {document["_id"]: to_case(document) async for document in cursor}

    async def by_work_order(self, work_order_id: str) -> DispatchCase | None:
        document = await self._collection.find_one({"work_order.id": work_order_id}, HIDDEN)
        return to_case(document) if document else None

    async def find(
        self, query: dict[str, Any], *, sort: list[tuple[str, int]], limit: int = 100, skip: int = 0
    ) -> list[DispatchCase]:
        cursor = self._collection.find(query, HIDDEN).sort(sort).skip(skip).limit(limit)
        return [to_case(document) async for document in cursor]

    async def overdue_candidates(self, today: date, limit: int = 500) -> list[DispatchCase]:
        """Open, not yet delivered, past the planned delivery date, not yet reported overdue."""
        query = {
            "status": CaseStatus.IN_PROGRESS.value,
            "work_order.overdue_reported": False,
            "work_order.planned_delivery": {"$lt": today.isoformat()},
        }
        return await self.find(query, sort=[("_id", 1)], limit=limit)


class ReleaseRepository:
    def __init__(
        self, collection: AsyncCollection | SerializedCollection, outbox: OutboxWriter, saved: Callable[[], None]
    ) -> None:
        self._collection = collection
        self._outbox = outbox
        self._saved = saved

    async def add(self, release: Release, *, correlation_id: str) -> dict[str, Any]:
        """One insert carries the release, its announcement and one RequirementReleased per ticket."""
        command = release.command
        document = {
            "_id": release.id,
            "release_version": command.version,
            "release_date": command.release_date.isoformat(),
            "title": command.title,
            "notes": command.notes,
            "ticket_ids": list(command.ticket_ids),
            "manual_url": command.manual_url,
            "video_url": command.video_url,
            "report_guide_url": command.report_guide_url,
            "announced_at": release.announced_at,
            "announced_by": {"user_id": release.announced_by.user_id, "name": release.announced_by.name},
            "version": 1,
        }
        entries = self._outbox.entries(release.events, actor=release.announced_by, correlation_id=correlation_id)
        try:
            await self._collection.insert_one({**document, OUTBOX_FIELD: entries})
        except DuplicateKeyError as error:
            raise DomainError(
                "release_version_exists", f"版本 {command.version} 已发布过 (version already released)", field="version"
            ) from error
        self._saved()
        return document

    async def containing(self, ticket_ids: list[str]) -> list[dict[str, Any]]:
        return await self._collection.find({"ticket_ids": {"$in": ticket_ids}}, HIDDEN).to_list()

    async def latest(self, *, limit: int, skip: int) -> list[dict[str, Any]]:
        cursor = self._collection.find({}, HIDDEN).sort("announced_at", -1).skip(skip).limit(limit)
        return await cursor.to_list()


def _state(case: DispatchCase) -> dict[str, Any]:
    """Every field of the case but its identity, version, history and outbox."""
    return {
        "title": case.title,
        "description": case.description,
        "category": case.category,
        "urgency": case.urgency,
        "submitter_id": case.submitter_id,
        "org_path": case.org_path,
        "business_division_id": case.business_division_id,
        "expected_upgrade": case.expected_upgrade.isoformat() if case.expected_upgrade else None,
        "adopted_at": case.adopted_at,
        "status": case.status.value,
        "work_order": _work_order(case.work_order) if case.work_order else None,
        "release_id": case.release_id,
        "kind": case.kind,
        "problem_round": case.problem_round,
    }


def _work_order(order: WorkOrder) -> dict[str, Any]:
    return {
        "id": order.id,
        "number": order.number,
        "vendor_id": order.vendor_id,
        "priority": order.priority,
        "effort_days": order.effort_days,
        # ISO dates compare as strings, so "past its planned delivery" is a plain range query.
        "planned_start": order.planned_start.isoformat(),
        "planned_delivery": order.planned_delivery.isoformat(),
        "urgent": order.urgent,
        "dispatched_at": order.dispatched_at,
        "status": order.status.value,
        "delivered_version": order.delivered_version,
        "reopen_count": order.reopen_count,
        "overdue_reported": order.overdue_reported,
    }


def _history(entry: HistoryEntry) -> dict[str, Any]:
    return {
        "action": entry.action,
        "actor": {"user_id": entry.actor_id, "name": entry.actor_name},
        "at": entry.at,
        "note": entry.note,
    }


def to_case(document: dict[str, Any]) -> DispatchCase:
    order = document.get("work_order")
    return DispatchCase(
        ticket_id=document["_id"],
        title=document["title"],
        description=document["description"],
        category=document["category"],
        urgency=document["urgency"],
        submitter_id=document["submitter_id"],
        org_path=list(document["org_path"]),
        business_division_id=document["business_division_id"],
        expected_upgrade=date.fromisoformat(document["expected_upgrade"]) if document["expected_upgrade"] else None,
        adopted_at=document["adopted_at"],
        status=CaseStatus(document["status"]),
        work_order=_to_work_order(order) if order else None,
        release_id=document.get("release_id"),
        kind=document.get("kind", "requirement"),
        problem_round=document.get("problem_round", 0),
        version=document["version"],
        history=[
            HistoryEntry(h["action"], h["actor"]["user_id"], h["actor"]["name"], h["at"], h["note"])
            for h in document.get("history", [])
        ],
    )


def _to_work_order(order: dict[str, Any]) -> WorkOrder:
    return WorkOrder(
        id=order["id"],
        number=order["number"],
        vendor_id=order["vendor_id"],
        priority=order["priority"],
        effort_days=order["effort_days"],
        planned_start=date.fromisoformat(order["planned_start"]),
        planned_delivery=date.fromisoformat(order["planned_delivery"]),
        urgent=order["urgent"],
        dispatched_at=order["dispatched_at"],
        status=WorkOrderStatus(order["status"]),
        delivered_version=order["delivered_version"],
        reopen_count=order["reopen_count"],
        overdue_reported=order["overdue_reported"],
    )
