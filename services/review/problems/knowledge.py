"""常见问题集 (FAQ / knowledge base, 第七条): the IT division publishes entries, fresh or promoted from a
consulting answer; everyone signed in reads and searches them; a consulting ticket being written is shown
the entries that may already answer it."""

from typing import Any

from services.review.problems import policy
from services.review.problems.domain import (
    FaqEntryNotFound,
    IllegalTransition,
    ProblemNotFound,
    Step,
    draft_from_answer,
    entry_id_for,
    keywords,
    mark_promoted,
    new_entry_id,
    publish_entry,
    revise_entry,
    suggest,
    tokens,
)
from services.review.problems.handlers import ProblemDesk, view
from services.review.problems.schemas import FaqBody, PromoteBody
from shared.auth import Principal


async def publish(body: FaqBody, *, by: Principal, desk: ProblemDesk, correlation_id: str) -> dict[str, Any]:
    """Write a fresh entry (IT division)."""
    policy.authorize_faq_publish(by)
    entry = publish_entry(new_entry_id(), **_fields(body), by=by, now=desk.clock.now())
    await desk.faq.add(entry, actor=by.actor(), correlation_id=correlation_id)
    return await read_entry(entry.id, desk=desk)


async def revise(
    entry_id: str, body: FaqBody, *, by: Principal, desk: ProblemDesk, correlation_id: str
) -> dict[str, Any]:
    """定期更新 (第七条): a new revision of an entry (IT division)."""
    policy.authorize_faq_publish(by)
    entry = await desk.faq.get(entry_id)
    if entry is None:
        raise FaqEntryNotFound(entry_id)
    revise_entry(entry, **_fields(body), by=by, now=desk.clock.now())
    await desk.faq.save(entry, actor=by.actor(), correlation_id=correlation_id)
    return await read_entry(entry_id, desk=desk)


async def promote(
    ticket_id: str, body: PromoteBody, *, by: Principal, desk: ProblemDesk, correlation_id: str
) -> dict[str, Any]:
    """An answered consulting question becomes an FAQ entry (IT division); texts not given come from the case.

    The entry (under an id derived from the ticket, so promoting twice cannot make two) and the case are
    written in one transaction.
    """
    case = await desk.cases.get(ticket_id)
    if case is None:
        raise ProblemNotFound(ticket_id)
    policy.authorize_step(by, Step.PROMOTE, case)
    now = desk.clock.now()
    mark_promoted(case, entry_id_for(ticket_id), by=by, now=now)  # checks the state before anything is written
    fields = {**draft_from_answer(case), **_fields(body, partial=True)}
    entry = publish_entry(entry_id_for(ticket_id), **fields, by=by, now=now, source_ticket_id=ticket_id)
    async with desk.cases.atomically():
        if not await desk.faq.add(entry, actor=by.actor(), correlation_id=correlation_id):
            existing = await desk.faq.get(entry.id)
            if existing is None or existing.source_ticket_id != ticket_id:
                raise IllegalTransition("already_promoted", f"常见问题 {entry.id} 已存在 (already exists)")
        await desk.cases.save(case, actor=by.actor(), correlation_id=correlation_id)
    return {"entry": await read_entry(entry.id, desk=desk), "case": view(case)}


async def read_entry(entry_id: str, *, desk: ProblemDesk) -> dict[str, Any]:
    entry = await desk.faq.get(entry_id)
    if entry is None:
        raise FaqEntryNotFound(entry_id)
    return {
        "_id": entry.id,
        "question": entry.question,
        "answer": entry.answer,
        "category": entry.category,
        "module": entry.module,
        "links": [{"title": link.title, "url": link.url, "kind": link.kind} for link in entry.links],
        "source_ticket_id": entry.source_ticket_id,
        "revision": entry.revision,
        "published_by_name": entry.published_by_name,
        "updated_at": entry.updated_at,
    }


async def find(q: str, *, category: str | None, limit: int, desk: ProblemDesk) -> list[dict[str, Any]]:
    """Keyword search over question and answer (every keyword must occur)."""
    return await desk.faq.search(keywords(q), category=category, limit=limit)


async def suggestions(title: str, *, limit: int, desk: ProblemDesk) -> list[dict[str, Any]]:
    """Entries that may answer a consulting ticket whose title is being written, before it is sent."""
    return suggest(await desk.faq.sharing_words(tokens(title)), title, limit)


def _fields(body: FaqBody | PromoteBody, *, partial: bool = False) -> dict[str, Any]:
    values = body.model_dump(exclude_none=partial, exclude={"links"})
    if body.links is not None:
        values["links"] = [link.link() for link in body.links]
    return values
