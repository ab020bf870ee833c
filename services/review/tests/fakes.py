"""In-memory stand-ins for review's repositories, storing the same documents the real ones store."""

from contextlib import asynccontextmanager

from services.review.adapters.documents import (
    case_from_document,
    case_state,
    publication_from_document,
    publication_state,
)
from services.review.domain import ConcurrentChange, Publication, ReviewCase, Status
from shared.events import Actor, Envelope


class FakeCases:
    def __init__(self) -> None:
        self.docs: dict[str, dict] = {}
        self.outbox: list[tuple[str, str]] = []  # (ticket id, event type)
        self.lose_next_save_of: set[str] = set()

    async def add(self, case: ReviewCase, *, actor: Actor, cause: Envelope) -> bool:
        if case.ticket_id in self.docs:
            return False
        self.docs[case.ticket_id] = {"_id": case.ticket_id, **case_state(case), "version": 1}
        self._emit(case)
        case.version = 1
        return True

    async def save(self, case: ReviewCase, *, actor: Actor, cause=None, correlation_id=None) -> None:
        if case.ticket_id in self.lose_next_save_of:
            self.lose_next_save_of.discard(case.ticket_id)
            self.docs[case.ticket_id]["version"] += 1  # somebody else wrote first
        if self.docs[case.ticket_id]["version"] != case.version:
            raise ConcurrentChange(case.ticket_id)
        self.docs[case.ticket_id] = {"_id": case.ticket_id, **case_state(case), "version": case.version + 1}
        self._emit(case)
        case.version += 1

    async def get(self, ticket_id: str) -> ReviewCase | None:
        doc = self.docs.get(ticket_id)
        return case_from_document(doc) if doc else None

    @asynccontextmanager
    async def atomically(self):
        yield

    async def get_many(self, ticket_ids: list[str]) -> dict[str, ReviewCase]:
        return {
            ticket_id: case_from_document(self.docs[ticket_id]) for ticket_id in ticket_ids if ticket_id in self.docs
        }

    async def read(self, ticket_id: str) -> dict | None:
        return self.docs.get(ticket_id)

    async def open_tasks_for(
        self, division_code: str, *, limit: int, keyword: str | None = None, **filters: str | None
    ) -> list[dict]:
        found = [
            doc
            for doc in self.docs.values()
            if doc["current_division"] == division_code
            and all(doc.get(field) == value for field, value in filters.items() if value)
            and (not keyword or any(keyword in doc[field] for field in ("_id", "title", "description")))
        ]
        return sorted(found, key=lambda doc: doc["current_opened_at"])[:limit]

    async def publishable(self, *, submitted_month: str | None = None, limit: int = 1000) -> list[ReviewCase]:
        return [
            case_from_document(doc)
            for doc in self.docs.values()
            if doc["status"] == Status.CONFIRMED and submitted_month in (None, doc["submitted_month"])
        ]

    def put(self, case: ReviewCase) -> ReviewCase:
        case.version = 1
        self.docs[case.ticket_id] = {"_id": case.ticket_id, **case_state(case), "version": 1}
        return case

    def status(self, ticket_id: str) -> str:
        return self.docs[ticket_id]["status"]

    def _emit(self, case: ReviewCase) -> None:
        self.outbox.extend((case.ticket_id, type(event).__name__) for event in case.events)
        case.events.clear()


class FakePublications:
    def __init__(self) -> None:
        self.docs: dict[str, dict] = {}
        self.outbox: list[str] = []

    @asynccontextmanager
    async def atomically(self):
        yield

    async def lock(self, batch_id: str) -> Publication | None:
        return publication_from_document(self.docs[batch_id]) if batch_id in self.docs else None

    async def reserve(self, publication: Publication) -> bool:
        if publication.batch_id in self.docs:
            return False
        self.docs[publication.batch_id] = {"_id": publication.batch_id, **publication_state(publication)}
        return True

    async def complete(self, publication: Publication, *, actor: Actor, correlation_id=None) -> None:
        stored = self.docs[publication.batch_id]
        amending = stored["status"] == "published" and stored.get("revision", 1) == publication.revision - 1
        if stored["status"] != "publishing" and not amending:
            raise ConcurrentChange(publication.batch_id)
        self.docs[publication.batch_id] = {"_id": publication.batch_id, **publication_state(publication)}
        self.outbox.extend(type(event).__name__ for event in publication.events)
        publication.events.clear()

    async def drafts(self) -> list[Publication]:
        return [publication_from_document(doc) for doc in self.docs.values() if doc["status"] == "publishing"]

    async def read(self, batch_id: str) -> dict | None:
        doc = self.docs.get(batch_id)
        return doc if doc and doc["status"] == "published" else None

    async def list_published(self, *, month: str | None, limit: int, skip: int) -> list[dict]:
        found = [d for d in self.docs.values() if d["status"] == "published" and month in (None, d["month"])]
        return found[skip : skip + limit]
