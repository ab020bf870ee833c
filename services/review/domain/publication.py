"""需求公示 (第六条四): the month's publication of the business divisions' decisions.

"根据业务处室的确认意见 … 财政信息化主管处室对盟市当月提出的软件需求进行公示和查阅。公示内容包括：是否采纳、
预计升级时间、不予采纳原因等。" Only confirmed requirements are published, each once. A `Publication` is
drafted from them, then each requirement is marked published (one document each, no transactions),
and the publication is published with the requirements it actually got: a requirement another batch
took in the meantime is left out.
"""

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime

from services.review.domain.case import ReviewCase, Someone, Status
from services.review.domain.errors import IllegalTransition, InvalidCommand
from shared.events import Event, PublicationItem, PublicationPublished, RequirementPublished

MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
# What the publication shows every reader (第六条四: 是否采纳、预计升级时间、不予采纳原因), with what names the
# requirement and who asked for it and who decided. The description, urgency and module stay with the roles
# that read the specification (第十二条二): vendors and every unit read the publication too.
PUBLIC_ENTRY_FIELDS = (
    "ticket_id",
    "title",
    "category",
    "org_name",
    "business_division_id",
    "adopted",
    "expected_upgrade",
    "reason",
)


@dataclass(frozen=True)
class PublicationEntry:
    """One line of the publication, and what the requirements specification (软件需求说明书) needs of it."""

    ticket_id: str
    title: str
    category: str
    description: str
    org_name: str
    adopted: bool
    business_division_id: str
    expected_upgrade: date | None = None
    reason: str = ""
    urgency: str = "normal"
    module: str = ""

    def item(self) -> PublicationItem:
        return PublicationItem(
            ticket_id=self.ticket_id,
            title=self.title,
            org_name=self.org_name,
            adopted=self.adopted,
            expected_upgrade=self.expected_upgrade,
            reason=self.reason,
        )


@dataclass
class Publication:
    batch_id: str
    month: str
    entries: list[PublicationEntry]
    created_by: str
    created_by_name: str
    created_at: datetime
    status: str = "publishing"  # publishing → published | abandoned; published → publishing when amended
    published_at: datetime | None = None
    # One publication a month (PUB-2026-12): requirements confirmed after it was published are added to it
    # and it is published again, as its next revision (`amend`).
    revision: int = 1
    amended_at: datetime | None = None
    added: list[str] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)

    @property
    def ticket_ids(self) -> list[str]:
        return [entry.ticket_id for entry in self.entries]


def batch_id_for(month: str, sequence: int = 1) -> str:
    """PUB-2026-12: the month's publication. (PUB-2026-12-2 and on were second batches of a month before a
    month's publication became amendable; they are still read.)"""
    return f"PUB-{month}" if sequence <= 1 else f"PUB-{month}-{sequence}"


def preview_entries(cases: Iterable[ReviewCase]) -> list[PublicationEntry]:
    """What publishing would add, as the publication will show it (nothing is changed)."""
    return [_entry(case) for case in cases if case.status is Status.CONFIRMED]


def amend(publication: Publication, cases: Iterable[ReviewCase], *, now: datetime) -> None:
    """Reopen the month's published publication to add requirements confirmed since; `publish` then
    publishes it again as the next revision, with every entry it had and the ones added."""
    if publication.status != "published":
        raise IllegalTransition(
            "publication_not_published",
            f"公示 {publication.batch_id} 尚未发布，不能修订 (not published yet)",
        )
    known = set(publication.ticket_ids)
    added = []
    for case in cases:
        _require_publishable(case)
        if case.ticket_id not in known:
            added.append(_entry(case))
    if not added:
        raise IllegalTransition(
            "nothing_to_publish",
            f"{publication.month} 没有新确认的需求可补充公示 (no newly confirmed requirement to add)",
        )
    publication.entries = [*publication.entries, *added]
    publication.added = [entry.ticket_id for entry in added]
    publication.revision += 1
    publication.amended_at = now
    publication.status = "publishing"


def check_month(month: str, field_name: str = "month") -> str:
    if not MONTH.match(month):
        raise InvalidCommand(
            "invalid_month", f"月份格式应为 YYYY-MM：{month} (month must be YYYY-MM)", field=field_name
        )
    return month


def draft_publication(
    cases: Iterable[ReviewCase], *, month: str, sequence: int, by: Someone, now: datetime
) -> Publication:
    """Every case must be confirmed and not yet published: publishing before confirmation is refused."""
    check_month(month)
    cases = list(cases)
    if not cases:
        raise IllegalTransition(
            "nothing_to_publish", f"{month} 没有待公示的已确认需求 (no confirmed requirement waits for publication)"
        )
    for case in cases:
        _require_publishable(case)
    return Publication(
        batch_id=batch_id_for(month, sequence),
        month=month,
        entries=[_entry(case) for case in cases],
        created_by=by.user_id,
        created_by_name=by.name,
        created_at=now,
    )


def publish_requirement(case: ReviewCase, *, batch_id: str, by: Someone, now: datetime) -> None:
    """Mark one confirmed requirement as published in `batch_id` (for its own timeline)."""
    _require_publishable(case)
    decision = case.decision
    assert decision is not None  # a confirmed case has a decision
    case.status = Status.PUBLISHED
    case.batch_id = batch_id
    case.events.append(
        RequirementPublished(
            ticket_id=case.ticket_id,
            batch_id=batch_id,
            adopted=decision.adopted,
            expected_upgrade=decision.expected_upgrade,
            reason=decision.reason,
        )
    )
    case.record("published", by, now, opinion=batch_id)


def publish(publication: Publication, *, published: set[str], now: datetime) -> None:
    """Publish the entries whose requirements were marked published in this batch; none left: abandoned."""
    if publication.status != "publishing":
        raise IllegalTransition(
            "publication_not_open", f"公示 {publication.batch_id} 已{publication.status} (already {publication.status})"
        )
    before = [entry for entry in publication.entries if entry.ticket_id not in publication.added]
    fresh = [entry for entry in publication.entries if entry.ticket_id in publication.added]
    if publication.revision > 1:  # amended: what was published stays, what was added is kept if it was marked
        fresh = [entry for entry in fresh if entry.ticket_id in published]
        if not fresh:
            publication.status = "abandoned"
            return
        publication.entries = [*before, *fresh]
        publication.added = [entry.ticket_id for entry in fresh]
    else:
        publication.entries = [entry for entry in publication.entries if entry.ticket_id in published]
    if not publication.entries:
        publication.status = "abandoned"
        return
    publication.status = "published"
    publication.published_at = now
    publication.events.append(
        PublicationPublished(
            batch_id=publication.batch_id,
            month=publication.month,
            items=[entry.item() for entry in publication.entries],
            revision=publication.revision,
            added=publication.added if publication.revision > 1 else [],
        )
    )


def _require_publishable(case: ReviewCase) -> None:
    if case.status is Status.PUBLISHED:
        raise IllegalTransition(
            "already_published",
            f"需求 {case.ticket_id} 已在 {case.batch_id} 公示 (already published in {case.batch_id})",
            field="ticket_ids",
        )
    if case.status is not Status.CONFIRMED:
        raise IllegalTransition(
            "not_confirmed",
            f"需求 {case.ticket_id} 尚未经归口业务处室确认（{case.status.label}），不能公示"
            f" (not confirmed by the business division yet, it is {case.status}: it cannot be published)",
            field="ticket_ids",
        )


def _entry(case: ReviewCase) -> PublicationEntry:
    decision = case.decision
    assert decision is not None
    return PublicationEntry(
        ticket_id=case.ticket_id,
        title=case.title,
        category=case.category,
        description=case.description,
        org_name=case.org_name,
        adopted=decision.adopted,
        business_division_id=decision.business_division_id,
        expected_upgrade=decision.expected_upgrade,
        reason=decision.reason,
        urgency=case.urgency,
        module=case.module,
    )
