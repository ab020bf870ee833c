"""需求公示 (第六条四): the IT division publishes the month's decisions, and the specification is compiled.

A month has one publication, PUB-2026-12. Publishing is one transaction: lock the month's publication;
if there is none, reserve it (two first publications at once: one inserts, the other finds the id taken
and amends it instead); if it is published, amend it (the requirements confirmed since are added, and it
is published again as its next revision, so there is one publication and one announcement a month) →
mark each requirement published in it (one guarded write each; one taken meanwhile is left out) →
complete it with its PublicationPublished event. A crash anywhere leaves nothing; a publication that got
no requirement at all is rolled back as a 409. (`resume_drafts` completes a draft that a crash left behind
before publishing was transactional.) `preview_month` shows what publishing would add, changing nothing.
"""

from typing import Any

from services.review import policy
from services.review.adapters import PublicationRepository, ReviewCaseRepository
from services.review.adapters.documents import entry_document
from services.review.domain import (
    PUBLIC_ENTRY_FIELDS,
    CaseNotFound,
    ConcurrentChange,
    IllegalTransition,
    Publication,
    PublishMonth,
    ReviewCase,
    amend,
    batch_id_for,
    check_month,
    draft_publication,
    preview_entries,
    publish,
    publish_requirement,
)
from services.review.publication_docx import specification_docx
from shared.auth import Principal
from shared.errors import NotFound
from shared.events import SYSTEM, Actor, utcnow
from shared.logs import get_logger

log = get_logger(__name__)


async def publish_month(
    command: PublishMonth,
    *,
    by: Principal,
    cases: ReviewCaseRepository,
    publications: PublicationRepository,
    correlation_id: str,
) -> dict[str, Any]:
    """Publish the confirmed requirements (all, or those named); anything not confirmed is refused (409)."""
    policy.authorize_publish(by)
    check_month(command.month)
    if command.submitted_month:
        check_month(command.submitted_month, "submitted_month")
    selected = await _selected(command, cases)
    now = utcnow()
    async with publications.atomically():
        publication = await publications.lock(batch_id_for(command.month))
        if publication is None:
            publication = draft_publication(selected, month=command.month, sequence=1, by=by, now=now)
            if not await publications.reserve(publication):  # another IT officer published it this instant
                publication = await publications.lock(publication.batch_id)
        if publication.status == "published":
            amend(publication, selected, now=now)
        await _complete(
            publication, {case.ticket_id: case for case in selected}, by.actor(), cases, publications, correlation_id
        )
        if publication.status != "published":
            raise ConcurrentChange(publication.batch_id)  # rolls the empty batch (or amendment) back
    log.info("publication published", batch_id=publication.batch_id, items=len(publication.entries))
    return await read_publication(publication.batch_id, reader=by, publications=publications)


async def preview_month(
    month: str,
    *,
    submitted_month: str | None,
    by: Principal,
    cases: ReviewCaseRepository,
    publications: PublicationRepository,
) -> dict[str, Any]:
    """What 发布 would do now: the confirmed requirements it would add, and whether it amends the month's
    publication (published already) or is its first. Nothing is changed."""
    policy.authorize_publish(by)
    check_month(month)
    if submitted_month:
        check_month(submitted_month, "submitted_month")
    batch_id = batch_id_for(month)
    existing = await publications.read(batch_id)
    entries = preview_entries(await cases.publishable(submitted_month=submitted_month))
    return {
        "batch_id": batch_id,
        "month": month,
        "amends": existing is not None,
        "revision": (existing or {}).get("revision", 1) + 1 if existing else 1,
        "published_entries": len((existing or {}).get("entries", [])),
        "entries": [entry_document(entry) for entry in entries],
        "adopted": sum(entry.adopted for entry in entries),
        "declined": sum(not entry.adopted for entry in entries),
    }  # fmt: skip


async def resume_drafts(*, cases: ReviewCaseRepository, publications: PublicationRepository) -> None:
    """Complete the batches a crash left as drafts (run at start)."""
    for publication in await publications.drafts():
        log.warning("completing an unfinished publication", batch_id=publication.batch_id)
        await _complete(publication, {}, SYSTEM, cases, publications, None)


async def list_publications(
    *, reader: Principal, publications: PublicationRepository, month: str | None, limit: int, skip: int
) -> list[dict[str, Any]]:
    policy.authorize_read_publications(reader)
    found = await publications.list_published(month=month, limit=limit, skip=skip)
    return [_as_read_by(reader, publication) for publication in found]


async def read_publication(batch_id: str, *, reader: Principal, publications: PublicationRepository) -> dict[str, Any]:
    policy.authorize_read_publications(reader)
    return _as_read_by(reader, await _published(batch_id, publications))


async def specification(batch_id: str, *, reader: Principal, publications: PublicationRepository) -> bytes:
    """软件需求说明书 (第十二条二) of a batch's adopted requirements, as .docx."""
    policy.authorize_specification(reader)
    return specification_docx(await _published(batch_id, publications))


async def _published(batch_id: str, publications: PublicationRepository) -> dict[str, Any]:
    publication = await publications.read(batch_id)
    if publication is None:
        raise NotFound("publication_not_found", f"公示 {batch_id} 不存在 (no such publication)")
    return publication


def _as_read_by(reader: Principal, publication: dict[str, Any]) -> dict[str, Any]:
    """The whole publication for those who read the specification; for every other reader (units, bureaus,
    vendors) each entry's public fields only: the same texts are not given out by another door."""
    if policy.reads_whole_publication(reader):
        return publication
    entries = [{key: entry.get(key) for key in PUBLIC_ENTRY_FIELDS} for entry in publication.get("entries", [])]
    return {**publication, "entries": entries}


async def _selected(command: PublishMonth, cases: ReviewCaseRepository) -> list[ReviewCase]:
    if not command.ticket_ids:
        return await cases.publishable(submitted_month=command.submitted_month)
    ticket_ids = list(dict.fromkeys(command.ticket_ids))
    found = await cases.get_many(ticket_ids)
    for ticket_id in ticket_ids:
        if ticket_id not in found:
            raise CaseNotFound(ticket_id, field="ticket_ids")
    return [found[ticket_id] for ticket_id in ticket_ids]


async def _complete(
    publication: Publication,
    loaded: dict[str, ReviewCase],
    actor: Actor,
    cases: ReviewCaseRepository,
    publications: PublicationRepository,
    correlation_id: str | None,
) -> None:
    published = set()
    for ticket_id in publication.ticket_ids:
        case = loaded.get(ticket_id) or await cases.get(ticket_id)
        if case is not None and await _mark_published(case, publication, actor, cases, correlation_id):
            published.add(ticket_id)
    publish(publication, published=published, now=utcnow())
    if publication.status == "abandoned" and publication.revision > 1:
        return  # an amendment that added nothing: the published revision stays as it was
    await publications.complete(publication, actor=actor, correlation_id=correlation_id)


async def _mark_published(
    case: ReviewCase, publication: Publication, actor: Actor, cases: ReviewCaseRepository, correlation_id: str | None
) -> bool:
    if case.batch_id == publication.batch_id:
        return True  # marked before a crash
    try:
        publish_requirement(case, batch_id=publication.batch_id, by=actor, now=utcnow())
        await cases.save(case, actor=actor, correlation_id=correlation_id)
    except (IllegalTransition, ConcurrentChange) as error:
        log.warning("requirement left out of the publication", ticket_id=case.ticket_id, reason=error.code)
        return False
    return True
