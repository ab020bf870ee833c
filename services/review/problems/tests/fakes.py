"""In-memory stand-ins for the problem procedure's repositories, storing the documents the real ones store."""

from contextlib import asynccontextmanager
from datetime import datetime

from services.review.problems.documents import case_from_document, case_state, entry_from_document, entry_state
from services.review.problems.domain import ConcurrentChange, FaqEntry, ProblemCase, search
from services.review.problems.handlers import ProblemDesk
from shared.clock import Clock
from shared.workcalendar import WorkCalendar


class FakeCases:
    def __init__(self) -> None:
        self.docs: dict[str, dict] = {}
        self.outbox: list[tuple[str, str]] = []  # (ticket id, event type)
        self.lose_next_save_of: set[str] = set()

    async def add(self, case: ProblemCase, *, actor, cause) -> bool:
        if case.ticket_id in self.docs:
            return False
        self._store(case, 1)
        return True

    async def save(self, case: ProblemCase, *, actor, cause=None, correlation_id=None) -> None:
        if case.ticket_id in self.lose_next_save_of:
            self.lose_next_save_of.discard(case.ticket_id)
            self.docs[case.ticket_id]["version"] += 1  # somebody else wrote first
        if self.docs[case.ticket_id]["version"] != case.version:
            raise ConcurrentChange(case.ticket_id)
        self._store(case, case.version + 1)

    async def get(self, ticket_id: str) -> ProblemCase | None:
        doc = self.docs.get(ticket_id)
        return case_from_document(doc) if doc else None

    async def read(self, ticket_id: str) -> dict | None:
        return self.docs.get(ticket_id)

    @asynccontextmanager
    async def atomically(self):
        yield

    @asynccontextmanager
    async def claim_due_for_check(self, now: datetime, *, limit: int):
        due = [doc for doc in self.docs.values() if doc["sla_next_check_at"] and doc["sla_next_check_at"] <= now]
        yield [case_from_document(doc) for doc in due[:limit]]

    async def recheck_open_cases(self, at: datetime) -> None:
        for doc in self.docs.values():
            if doc["sla_next_check_at"] is not None:
                doc["sla_next_check_at"] = at

    def _store(self, case: ProblemCase, version: int) -> None:
        self.docs[case.ticket_id] = {"_id": case.ticket_id, **case_state(case), "version": version}
        self.outbox.extend((case.ticket_id, type(event).__name__) for event in case.events)
        case.events.clear()
        case.version = version

    def events_of(self, ticket_id: str) -> list[str]:
        return [event for ticket, event in self.outbox if ticket == ticket_id]


class FakeFaq:
    def __init__(self) -> None:
        self.docs: dict[str, dict] = {}
        self.outbox: list[str] = []

    async def add(self, entry: FaqEntry, *, actor, correlation_id=None) -> bool:
        if entry.id in self.docs:
            return False
        self._store(entry, 1)
        return True

    async def save(self, entry: FaqEntry, *, actor, correlation_id=None) -> None:
        if self.docs[entry.id]["version"] != entry.version:
            raise ConcurrentChange(entry.id)
        self._store(entry, entry.version + 1)

    async def get(self, entry_id: str) -> FaqEntry | None:
        doc = self.docs.get(entry_id)
        return entry_from_document(doc) if doc else None

    async def search(self, keywords: list[str], *, category: str | None, limit: int) -> list[dict]:
        return search(self._published(category), " ".join(keywords), limit)

    async def sharing_words(self, words: set[str]) -> list[dict]:
        return self._published(None)

    def _published(self, category: str | None) -> list[dict]:
        docs = sorted(self.docs.values(), key=lambda doc: doc["updated_at"], reverse=True)
        return [doc for doc in docs if category in (None, doc["category"])]

    def _store(self, entry: FaqEntry, version: int) -> None:
        self.docs[entry.id] = {"_id": entry.id, **entry_state(entry), "version": version}
        self.outbox.extend(type(event).__name__ for event in entry.events)
        entry.events.clear()
        entry.version = version


class FakeCalendar:
    def __init__(self) -> None:
        self.corrections: dict[str, bool | None] = {}

    async def correct(self, day: str, is_workday: bool | None, note: str) -> None:
        self.corrections[day] = is_workday

    async def current(self) -> WorkCalendar:
        return WorkCalendar()


class MovableClock(Clock):
    """A business clock the test sets."""

    def __init__(self, at: datetime) -> None:
        super().__init__()
        self.at = at

    def now(self) -> datetime:
        return self.at


def fake_desk(at: datetime) -> ProblemDesk:
    return ProblemDesk(FakeCases(), FakeFaq(), FakeCalendar(), MovableClock(at))  # type: ignore[arg-type]
