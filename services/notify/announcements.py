"""System announcements (通知公告): who may read one (its audience) and when (its publish window). Pure.

The audience is a part of the organisation tree — division code prefixes ("1501" is 呼和浩特市 and its
counties) and/or organisation ids — narrowed to some roles if any are given; an empty audience is the
whole region. Releases (第六条八) and monthly publications (第六条四) become announcements by themselves.
"""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from shared.auth import Principal
from shared.events import Envelope
from shared.links import is_web_link


@dataclass(frozen=True)
class Audience:
    division_prefixes: tuple[str, ...] = ()
    org_ids: tuple[str, ...] = ()
    roles: tuple[str, ...] = ()

    @property
    def everywhere(self) -> bool:
        return not self.division_prefixes and not self.org_ids

    def admits(self, principal: Principal) -> bool:
        placed = (
            self.everywhere
            or principal.org_id in self.org_ids
            or any(principal.division_code.startswith(prefix) for prefix in self.division_prefixes)
        )
        return placed and (not self.roles or principal.has_role(*self.roles))

    def to_doc(self) -> dict[str, Any]:
        # The two flags let the database answer "everyone" / "any role" without looking into empty arrays.
        return {
            "division_prefixes": list(self.division_prefixes),
            "org_ids": list(self.org_ids),
            "roles": list(self.roles),
            "everywhere": self.everywhere,
            "any_role": not self.roles,
        }


@dataclass(frozen=True)
class Announcement:
    id: str
    kind: str
    title: str
    body: str
    published_at: datetime
    visible_from: datetime
    visible_until: datetime | None = None
    pinned: bool = False
    audience: Audience = field(default_factory=Audience)
    links: dict[str, str] = field(default_factory=dict)
    created_by: str = "system"

    def visible_at(self, now: datetime) -> bool:
        return self.visible_from <= now and (self.visible_until is None or now < self.visible_until)

    def to_doc(self) -> dict[str, Any]:
        return {
            "_id": self.id,
            "kind": self.kind,
            "title": self.title,
            "body": self.body,
            "links": self.links,
            "published_at": self.published_at,
            "visible_from": self.visible_from,
            "visible_until": self.visible_until,
            "pinned": self.pinned,
            "audience": self.audience.to_doc(),
            "created_by": self.created_by,
        }


# The events that become system announcements by themselves (announcement_for).
ANNOUNCED = frozenset({"ReleaseAnnounced", "PublicationPublished"})


def announcement_for(envelope: Envelope, now: datetime) -> Announcement | None:
    """第六条八: releases are announced in advance; 第六条四: the monthly publication. Both to everyone, pinned."""
    data = envelope.data
    if envelope.type == "ReleaseAnnounced":
        # Only http(s) links become links in the reader's browser, whatever an event carries (shared/links.py).
        links = {k: data[k] for k in ("manual_url", "video_url", "report_guide_url") if is_web_link(data.get(k) or "")}
        body = f"计划于 {data['release_date']} 升级至 {data['version']}。\n{data['notes']}"
        return Announcement(
            f"ANN-{envelope.id}", "release", f"系统升级通知：{data['title']}", body, now, now, pinned=True, links=links
        )
    if envelope.type == "PublicationPublished":
        # One announcement a month, however often the publication is amended: the same id, its text updated.
        adopted = sum(1 for item in data["items"] if item["adopted"])
        body = f"{data['month']} 需求公示：共 {len(data['items'])} 项，采纳 {adopted} 项。"
        if data.get("revision", 1) > 1:
            body += f"（第 {data['revision']} 次更新，新增 {len(data.get('added', []))} 项）"
        body += "点击“查看公示”查阅是否采纳、预计升级时间和不予采纳原因。"
        links = {"publication": f"/publications?batch={data['batch_id']}"}
        return Announcement(
            f"ANN-{data['batch_id']}", "publication", f"{data['month']} 需求公示", body, now, now, pinned=True,
            links=links,
        )  # fmt: skip
    return None
