"""Storage of the problem procedure: problem cases and FAQ entries (aggregates with an outbox) and the
region's calendar corrections as review learns them from intake's CalendarDayCorrected events.

Every change is ONE `update_one` guarded by the version read: {_id, version: v} → $set the new state,
version v+1, $push the events onto the outbox. Whoever loses a race gets ConcurrentChange (409) and
nothing is written (FerretDB has no transactions; nothing here needs one).

The aggregate collections come from `runtime.aggregates`: a `shared.store.SerializedCollection`, whose
updates of one document by `_id` (these saves and the outbox relay's) wait for each other in the process,
because FerretDB v1 runs an update as a read and a separate write (decision 0002).
"""

from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import DuplicateKeyError

from services.review.problems.documents import case_from_document, case_state, entry_from_document, entry_state
from services.review.problems.domain import ConcurrentChange, FaqEntry, ProblemCase
from shared.events import Actor, Envelope, Event, utcnow
from shared.outbox import OUTBOX_FIELD, OutboxWriter
from shared.store import IndexSpec, SerializedCollection
from shared.workcalendar import DayOverride, WorkCalendar

CASES = "problem_cases"
FAQ = "faq_entries"
CALENDAR = "problem_calendar"
PUBLIC = {OUTBOX_FIELD: 0}
# The FAQ is read whole for search (services/review/problems/domain/faq.py): at most this many entries.
FAQ_SCAN_LIMIT = 2000
FAQ_FIELDS = {"question": 1, "answer": 1, "category": 1, "module": 1, "links": 1, "source_ticket_id": 1,
              "revision": 1, "updated_at": 1}  # fmt: skip
INDEXES = [
    IndexSpec(CASES, [("urgent", -1), ("opened_at", -1)], name="ledger"),
    IndexSpec(CASES, [("org_path", 1), ("opened_at", -1)], name="area"),
    IndexSpec(CASES, [("owner_role", 1), ("owner_division", 1), ("urgent", -1)], name="queue"),
    IndexSpec(CASES, [("sla_next_check_at", 1)], name="sla_check"),
    IndexSpec(CASES, [("opened_month", 1), ("category", 1)], name="figures"),
    IndexSpec(FAQ, [("updated_at", -1)], name="faq_recent"),
]


class _Aggregates:
    """Insert and version-checked save of documents that carry their events in an outbox."""

    def __init__(self, collection: SerializedCollection, outbox: OutboxWriter, saved: Callable[[], None]) -> None:
        self._collection = collection
        self._outbox = outbox
        self._saved = saved

    async def _insert(self, key: str, state: dict, events: list[Event], **context: Any) -> bool:
        now = utcnow()
        entries = self._outbox.entries(events, **context)
        try:
            await self._collection.insert_one(
                {"_id": key, **state, "created_at": now, "written_at": now, "version": 1, OUTBOX_FIELD: entries}
            )
        except DuplicateKeyError:
            return False
        events.clear()
        self._saved()
        return True

    async def _update(self, key: str, version: int, state: dict, events: list[Event], **context: Any) -> None:
        entries = self._outbox.entries(events, **context)
        update: dict[str, Any] = {"$set": {**state, "written_at": utcnow(), "version": version + 1}}
        if entries:
            update["$push"] = {OUTBOX_FIELD: {"$each": entries}}
        result = await self._collection.update_one({"_id": key, "version": version}, update)
        if result.matched_count != 1:
            raise ConcurrentChange(key)
        events.clear()
        if entries:
            self._saved()

    async def _find(self, query: dict, *, sort: list[tuple[str, int]], limit: int, skip: int = 0, fields=None):
        cursor = self._collection.find(query, fields or PUBLIC).sort(sort).skip(skip).limit(limit)
        return await cursor.to_list()


class ProblemCaseRepository(_Aggregates):
    async def add(self, case: ProblemCase, *, actor: Actor, cause: Envelope) -> bool:
        """Insert a new case; False when it exists already (the report was delivered before)."""
        added = await self._insert(case.ticket_id, case_state(case), case.events, actor=actor, causation=cause)
        case.version = 1 if added else case.version
        return added

    async def save(
        self, case: ProblemCase, *, actor: Actor, cause: Envelope | None = None, correlation_id: str | None = None
    ) -> None:
        state = case_state(case)
        await self._update(
            case.ticket_id,
            case.version,
            state,
            case.events,
            actor=actor,
            causation=cause,
            correlation_id=correlation_id,
        )
        case.version += 1

    async def get(self, ticket_id: str) -> ProblemCase | None:
        doc = await self._collection.find_one({"_id": ticket_id}, PUBLIC)
        return case_from_document(doc) if doc else None

    async def read(self, ticket_id: str) -> dict[str, Any] | None:
        return await self._collection.find_one({"_id": ticket_id}, PUBLIC)

    async def ledger(self, query: dict, *, limit: int, skip: int = 0) -> list[dict]:
        """问题解决台账: urgent first (急事急办), newest first."""
        return await self._find(query, sort=[("urgent", -1), ("opened_at", -1)], limit=limit, skip=skip)

    async def queue(self, query: dict, *, limit: int) -> list[dict]:
        """A desk's open cases: urgent first, then the oldest."""
        return await self._find(query, sort=[("urgent", -1), ("opened_at", 1)], limit=limit)

    async def due_for_check(self, now: datetime, *, limit: int) -> list[ProblemCase]:
        """Open cases whose clocks have a warning, a breach or a same-day outcome due by `now`."""
        docs = await self._find({"sla_next_check_at": {"$lte": now}}, sort=[("sla_next_check_at", 1)], limit=limit)
        return [case_from_document(doc) for doc in docs]

    async def clocks(self, query: dict, *, limit: int) -> list[dict]:
        """The stored clocks of the cases matching `query` (SLA figures)."""
        fields = {"category": 1, "sla": 1, "org_path": 1}
        return await self._find(query, sort=[("opened_at", 1)], limit=limit, fields=fields)

    async def recheck_open_cases(self, at: datetime) -> None:
        """After a calendar correction every open case's clocks are read again at the next check."""
        open_cases = self._collection.find({"sla_next_check_at": {"$ne": None}}, {"_id": 1})
        for key in [doc["_id"] async for doc in open_cases]:  # one by one: each update is serialised by _id
            await self._collection.update_one({"_id": key}, {"$set": {"sla_next_check_at": at}})


class FaqRepository(_Aggregates):
    async def add(self, entry: FaqEntry, *, actor: Actor, correlation_id: str | None = None) -> bool:
        added = await self._insert(
            entry.id, entry_state(entry), entry.events, actor=actor, correlation_id=correlation_id
        )
        entry.version = 1 if added else entry.version
        return added

    async def save(self, entry: FaqEntry, *, actor: Actor, correlation_id: str | None = None) -> None:
        await self._update(
            entry.id, entry.version, entry_state(entry), entry.events, actor=actor, correlation_id=correlation_id
        )
        entry.version += 1

    async def get(self, entry_id: str) -> FaqEntry | None:
        doc = await self._collection.find_one({"_id": entry_id}, PUBLIC)
        return entry_from_document(doc) if doc else None

    async def published(self, *, category: str | None = None) -> list[dict]:
        """The published entries, most recently updated first (bounded: FAQ_SCAN_LIMIT)."""
        query = {"category": category} if category else {}
        return await self._find(query, sort=[("updated_at", -1)], limit=FAQ_SCAN_LIMIT, fields=FAQ_FIELDS)


class CalendarCorrections:
    """The region's corrections of the official calendar (adjusted workdays for a year chinese_calendar
    does not know yet), so the SLA clocks count the same working days as the submission window."""

    def __init__(self, collection: AsyncCollection) -> None:
        self._collection = collection

    async def correct(self, day: str, is_workday: bool | None, note: str) -> None:
        await self._collection.update_one({"_id": day}, {"$set": {"is_workday": is_workday, "note": note}}, upsert=True)

    async def current(self) -> WorkCalendar:
        docs = await self._collection.find({"is_workday": {"$in": [True, False]}}).to_list()
        return WorkCalendar(DayOverride(date.fromisoformat(d["_id"]), d["is_workday"], d.get("note", "")) for d in docs)
