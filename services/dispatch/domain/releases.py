"""部署上线 (第六条八): a release of verified requirements, announced in advance with its manual, video and
report guide (第十二条四、五)."""

import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime

from services.dispatch.domain.commands import AnnounceRelease
from services.dispatch.domain.model import CaseStatus, DispatchCase
from shared.errors import DomainError, InvalidInput
from shared.events import Actor, Event, ReleaseAnnounced, RequirementReleased
from shared.links import is_web_link

LINKS = {"manual_url": "操作手册", "video_url": "操作视频", "report_guide_url": "报表查询指南"}


@dataclass
class Release:
    id: str
    command: AnnounceRelease
    announced_at: datetime
    announced_by: Actor
    events: list[Event] = field(default_factory=list)


def new_release_id(release_date: date) -> str:
    return f"REL-{release_date:%Y%m%d}-{secrets.token_hex(3).upper()}"


def announce_release(
    command: AnnounceRelease,
    cases: Mapping[str, DispatchCase | None],
    *,
    released_in: Mapping[str, str],
    release_id: str,
    today: date,
    actor: Actor,
    at: datetime,
) -> Release:
    """Every ticket in it must have passed business verification (第六条七 before 第六条八).

    `cases` holds the dispatch case of each ticket id of the command (None when dispatch has none);
    `released_in` the release that already contains a ticket, if any (its case may not show it yet).
    """
    if command.release_date < today:
        # 提前…发布软件升级通知: the announcement comes before the upgrade, never after it.
        raise InvalidInput(
            "release_date_in_past", "升级日期不能早于今天 (the release date is in the past)", field="release_date"
        )
    for name, label in LINKS.items():
        _check_link(getattr(command, name), name, label)
    if not command.ticket_ids:
        raise InvalidInput(
            "no_tickets", "发布须包含至少一个需求 (a release needs at least one ticket)", field="ticket_ids"
        )
    if len(set(command.ticket_ids)) != len(command.ticket_ids):
        raise InvalidInput("duplicate_tickets", "需求编号重复 (a ticket is listed twice)", field="ticket_ids")
    for ticket_id in command.ticket_ids:
        _check_releasable(ticket_id, cases.get(ticket_id), released_in.get(ticket_id))
    release = Release(release_id, command, at, actor)
    release.events.append(
        ReleaseAnnounced(
            release_id=release_id,
            version=command.version,
            release_date=command.release_date,
            title=command.title,
            notes=command.notes,
            ticket_ids=list(command.ticket_ids),
            manual_url=command.manual_url,
            video_url=command.video_url,
            report_guide_url=command.report_guide_url,
        )
    )
    release.events.extend(
        RequirementReleased(ticket_id=ticket_id, release_id=release_id, version=command.version)
        for ticket_id in command.ticket_ids
    )
    return release


def _check_releasable(ticket_id: str, case: DispatchCase | None, release_id: str | None) -> None:
    if case is not None and case.status == CaseStatus.RELEASED:
        release_id = case.release_id
    if release_id is not None:
        raise DomainError(
            "ticket_already_released",
            f"需求 {ticket_id} 已在发布 {release_id} 中上线 (already released)",
            field="ticket_ids",
        )
    if case is None or case.status != CaseStatus.VERIFIED:
        raise DomainError(
            "ticket_not_verified", f"需求 {ticket_id} 尚未通过业务验证，不能发布 (not verified)", field="ticket_ids"
        )


def _check_link(url: str, name: str, label: str) -> None:
    """Empty, or an absolute http(s) address people can open."""
    if url and not is_web_link(url):
        raise InvalidInput(
            "url_invalid", f"{label}链接须为 http(s) 地址 ({name} must be an http or https URL)", field=name
        )
