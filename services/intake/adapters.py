"""Intake's stores. A requirement and its events are saved in one document write (outbox); every change
after the first is an update guarded by the version it was read at (optimistic concurrency)."""

from collections.abc import Callable
from typing import Any

from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import DuplicateKeyError

from services.intake.domain import Channel, Requirement, RequirementForm, Status, Submitter
from services.intake.problems import Problem
from shared.auth import Principal
from shared.errors import DomainError
from shared.events import Actor, Envelope
from shared.outbox import OUTBOX_FIELD, OutboxWriter

PUBLIC_FIELDS = {OUTBOX_FIELD: 0}
FORM_FIELDS = (
    "category",
    "title",
    "description",
    "business_scenario",
    "expected_effect",
    "urgency",
    "module",
    "local_justification",
)


class ConcurrentChange(DomainError):
    status_code = 409

    def __init__(self) -> None:
        super().__init__("concurrent_change", "该需求刚被他人修改，请刷新后重试 (changed meanwhile; reload and retry)")


class RequirementRepository:
    def __init__(self, collection: AsyncCollection, outbox: OutboxWriter, saved: Callable[[], None]) -> None:
        self._collection = collection
        self._outbox = outbox
        self._saved = saved

    async def add(
        self, requirement: Requirement, *, actor: Actor, correlation_id: str, import_key: str | None = None
    ) -> bool:
        """Insert a new requirement; False when its id or its spreadsheet import key already exists."""
        doc = {
            **self._state(requirement),
            "submitted_at": requirement.created_at,
            "version": 1,
            # Unique for every requirement (FerretDB has no partial indexes), so form entries get their id.
            "import_key": import_key or f"id:{requirement.id}",
            "attachments": [],
            OUTBOX_FIELD: self._entries(requirement, actor, correlation_id=correlation_id),
        }
        try:
            await self._collection.insert_one(doc)
        except DuplicateKeyError:
            return False
        requirement.version = 1
        self._announce(requirement)
        return True

    async def save(
        self,
        requirement: Requirement,
        *,
        actor: Actor,
        correlation_id: str | None = None,
        cause: Envelope | None = None,
    ) -> None:
        update: dict[str, Any] = {"$set": {**self._state(requirement), "version": requirement.version + 1}}
        if entries := self._entries(requirement, actor, correlation_id=correlation_id, cause=cause):
            update["$push"] = {OUTBOX_FIELD: {"$each": entries}}
        result = await self._collection.update_one({"_id": requirement.id, "version": requirement.version}, update)
        if result.matched_count != 1:
            raise ConcurrentChange()
        requirement.version += 1
        self._announce(requirement)

    async def get(self, requirement_id: str) -> Requirement | None:
        doc = await self._collection.find_one({"_id": requirement_id}, PUBLIC_FIELDS)
        return _requirement(doc) if doc else None

    async def read(self, requirement_id: str) -> dict[str, Any] | None:
        return await self._collection.find_one({"_id": requirement_id}, PUBLIC_FIELDS)

    async def list_in_area(
        self, principal: Principal, *, status: str | None, mine: bool, limit: int, skip: int
    ) -> list[dict[str, Any]]:
        query = principal.area_filter("org.path")
        if status:
            query["status"] = status
        if mine:
            query["submitter.id"] = principal.user_id
        else:
            query["status"] = query.get("status") or {"$ne": Status.DRAFT.value}  # drafts are their author's own
        cursor = self._collection.find(query, PUBLIC_FIELDS)
        return await cursor.sort("submitted_at", -1).skip(skip).limit(limit).to_list()

    def _entries(
        self, requirement: Requirement, actor: Actor, *, correlation_id: str | None, cause: Envelope | None = None
    ) -> list[dict]:
        return self._outbox.entries(requirement.events, actor=actor, correlation_id=correlation_id, causation=cause)

    def _announce(self, requirement: Requirement) -> None:
        if requirement.events:
            requirement.events.clear()
            self._saved()

    @staticmethod
    def _state(requirement: Requirement) -> dict[str, Any]:
        form, submitter = requirement.form, requirement.submitter
        return {
            "_id": requirement.id,
            "kind": "requirement",
            **{name: str(getattr(form, name)) for name in FORM_FIELDS},
            "channel": requirement.channel.value,
            "status": requirement.status.value,
            "round": requirement.round,
            "recorded_by": requirement.recorded_by,
            "submitter": {"id": submitter.user_id, "name": submitter.name},
            "org": {"id": submitter.org_id, "name": submitter.org_name, "path": submitter.org_path},
            "history": requirement.history,
            "updated_at": requirement.history[-1]["at"] if requirement.history else requirement.created_at,
        }


def _requirement(doc: dict[str, Any]) -> Requirement:
    return Requirement(
        id=doc["_id"],
        form=RequirementForm(**{name: doc[name] for name in FORM_FIELDS}),
        submitter=Submitter(
            doc["submitter"]["id"], doc["submitter"]["name"], doc["org"]["id"], doc["org"]["name"], doc["org"]["path"]
        ),
        channel=Channel(doc["channel"]),
        created_at=doc["submitted_at"],
        status=Status(doc["status"]),
        round=doc.get("round", 0),
        recorded_by=doc.get("recorded_by"),
        version=doc["version"],
        history=doc.get("history", []),
    )


class CalendarStore:
    """The region's corrections of the official calendar and the extra windows it opened (第五条)."""

    def __init__(
        self, overrides: AsyncCollection, windows: AsyncCollection, outbox: OutboxWriter, saved: Callable[[], None]
    ) -> None:
        self._overrides = overrides
        self._windows = windows
        self._outbox = outbox
        self._saved = saved

    async def overrides(self) -> list[dict[str, Any]]:
        """Corrections in force (a withdrawn one keeps its document, with is_workday None, for the record)."""
        query = {"is_workday": {"$in": [True, False]}}
        return await self._overrides.find(query, PUBLIC_FIELDS).sort("_id", 1).to_list()

    async def set_override(
        self, day: str, state: dict[str, Any], events: list, actor: Actor, correlation_id: str
    ) -> None:
        """Set (or, with is_workday None, withdraw) a correction; the event rides in the same write."""
        entries = self._outbox.entries(events, actor=actor, correlation_id=correlation_id)
        await self._overrides.update_one(
            {"_id": day}, {"$set": state, "$push": {OUTBOX_FIELD: {"$each": entries}}}, upsert=True
        )
        self._saved()

    async def extra_windows(self) -> list[dict[str, Any]]:
        return await self._windows.find({}, PUBLIC_FIELDS).sort("opens_at", 1).to_list()

    async def add_window(self, window: dict[str, Any], events: list, actor: Actor, correlation_id: str) -> None:
        entries = self._outbox.entries(events, actor=actor, correlation_id=correlation_id)
        await self._windows.insert_one({**window, OUTBOX_FIELD: entries})
        self._saved()


class AttachmentStore:
    """Attachment bytes in their own collection (a requirement keeps only their descriptions)."""

    def __init__(self, files: AsyncCollection, requirements: AsyncCollection) -> None:
        self._files = files
        self._requirements = requirements

    async def add(self, requirement_id: str, description: dict[str, Any], content: bytes, limit: int) -> bool:
        """Store the bytes, then list the attachment on its requirement; False when it already has `limit`."""
        await self._files.insert_one({"_id": description["id"], "requirement_id": requirement_id, "content": content})
        result = await self._requirements.update_one(
            {"_id": requirement_id, f"attachments.{limit - 1}": {"$exists": False}},
            {"$push": {"attachments": description}},
        )
        if result.matched_count != 1:
            await self._files.delete_one({"_id": description["id"]})
            return False
        return True

    async def content(self, attachment_id: str) -> bytes | None:
        doc = await self._files.find_one({"_id": attachment_id})
        return bytes(doc["content"]) if doc else None


class ProblemRepository:
    """Problems as reported; the report and its ProblemReported event are one document write."""

    def __init__(self, collection: AsyncCollection, outbox: OutboxWriter, saved: Callable[[], None]) -> None:
        self._collection = collection
        self._outbox = outbox
        self._saved = saved

    async def add(self, problem: Problem, *, actor: Actor, correlation_id: str) -> None:
        form, reporter = problem.form, problem.reporter
        await self._collection.insert_one(
            {
                "_id": problem.id,
                "kind": "problem",
                "category": form.category,
                "title": form.title,
                "description": form.description,
                "urgent": form.urgent,
                "module": form.module,
                "details": form.details.model_dump(mode="json"),
                "channel": problem.channel,
                "status": "reported",
                "submitter": {"id": reporter.user_id, "name": reporter.name},
                "org": {
                    "id": reporter.org_id,
                    "name": reporter.org_name,
                    "kind": reporter.org_kind,
                    "path": reporter.org_path,
                },
                "recorded_by": problem.recorded_by,
                "caller": problem.caller.model_dump() if problem.caller else None,
                "reported_at": problem.reported_at,
                "version": 1,
                OUTBOX_FIELD: self._outbox.entries(problem.events, actor=actor, correlation_id=correlation_id),
            }
        )
        problem.events.clear()
        self._saved()

    async def read(self, problem_id: str) -> dict[str, Any] | None:
        return await self._collection.find_one({"_id": problem_id}, PUBLIC_FIELDS)

    async def list_in_area(self, principal: Principal, *, category: str | None, limit: int, skip: int) -> list[dict]:
        query = principal.area_filter("org.path")
        if category:
            query["category"] = category
        cursor = self._collection.find(query, PUBLIC_FIELDS)
        return await cursor.sort("reported_at", -1).skip(skip).limit(limit).to_list()
