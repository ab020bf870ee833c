"""Who is told what, and through which channel (pure rules, no I/O).

An event becomes messages under the active scheme (one per rule and recipient), and each message becomes
one delivery per channel. A recipient is a user or a role at an organisation ("the reviewers of the 新城区
finance bureau"), so nobody's inbox depends on the user directory being copied here. A delivery's id is
(event, recipient, channel): the same event handled twice yields the same deliveries, once each.
"""

import re
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from services.notify.scheme import INBOX, LANGUAGES, LIST_KINDS, WECHAT, WECOM, Rule, applies, render, variables
from shared.auth import VENDOR, Principal
from shared.events import Envelope

BEIJING = ZoneInfo("Asia/Shanghai")
DIVISION_IN_ORG_ID = re.compile(r"-(\d{6})(?:-|$)")


@dataclass(frozen=True)
class Recipient:
    user_id: str | None = None
    org_id: str | None = None
    role: str | None = None

    @property
    def key(self) -> str:
        return f"user:{self.user_id}" if self.user_id else f"role:{self.org_id}:{self.role}"


ALL_GROUPS = Recipient(org_id="*", role="group")


@dataclass(frozen=True)
class Message:
    """What one rule of the scheme says to one recipient about one event, in every language it has."""

    event_id: str
    event_type: str
    ticket_id: str
    recipient: Recipient
    category: str
    channels: tuple[str, ...]
    urgent: bool
    texts: dict[str, dict[str, str]]
    correlation_id: str = ""

    @property
    def key(self) -> str:
        return f"{self.event_id}:{self.recipient.key}"


def is_urgent(data: dict[str, Any]) -> bool:
    """急事急办 (第十一条): urgent problems and urgent work orders are never held back."""
    return bool(data.get("urgent")) or data.get("urgency") == "urgent"


def _recipients(rule: Rule, data: dict[str, Any]) -> list[Recipient]:
    who = rule.recipient
    match who.kind:
        case "role":
            org = data.get(who.org.strip("{}")) if who.org and who.org.startswith("{") else who.org
            return [Recipient(org_id=org, role=who.role)] if org else []
        case "submitter":
            return [Recipient(user_id=data["submitter_id"])] if data.get("submitter_id") else []
        case "assignee":
            return [Recipient(user_id=data["assignee_id"])] if data.get("assignee_id") else []
        case "vendor":
            return [Recipient(org_id=data["vendor_id"], role=VENDOR)] if data.get("vendor_id") else []
        case "all_groups":
            return [ALL_GROUPS]
        case "mentioned" | "watchers":
            return [Recipient(user_id=user_id) for user_id in data.get(LIST_KINDS[who.kind]) or [] if user_id]
        case "desk":
            return [
                Recipient(org_id=desk["org_id"], role=desk["role"])
                for desk in data.get("desk") or []
                if desk.get("org_id") and desk.get("role")
            ]
    return []


def messages_for(envelope: Envelope, rules: dict[str, list[Rule]]) -> list[Message]:
    """The messages one event produces under the scheme (none for events nobody is told of)."""
    messages: dict[str, Message] = {}
    for rule in rules.get(envelope.type, []):
        if not applies(rule, envelope.data):
            continue
        texts = {}
        for language in LANGUAGES:
            template = rule.templates.get(language) or rule.templates["zh-CN"]
            values = variables(envelope, language)
            texts[language] = {"title": render(template.title, values), "body": render(template.body, values)}
        for recipient in _recipients(rule, envelope.data):
            if recipient.user_id and recipient.user_id == envelope.actor.user_id and rule.recipient.kind in LIST_KINDS:
                continue  # nobody is told of their own comment
            message = Message(
                envelope.id, envelope.type, envelope.subject, recipient, rule.category,
                tuple(dict.fromkeys(rule.channels)), rule.urgent or is_urgent(envelope.data), texts,
                envelope.correlationid,
            )  # fmt: skip
            messages.setdefault(message.key, message)  # two rules naming the same person: the first one speaks
    return list(messages.values())


@dataclass(frozen=True)
class Robot:
    """A WeCom group robot: the group of `org_ids`, or of every organisation under `division_prefix`."""

    id: str
    name: str
    org_ids: tuple[str, ...] = ()
    division_prefix: str | None = None
    enabled: bool = True


def division_of(org_id: str) -> str | None:
    """The division code in an organisation id (fb-150102, bu-150102-01); None for itd, bd-budget, vendors."""
    found = DIVISION_IN_ORG_ID.search(org_id)
    return found.group(1) if found else None


def robot_for(org_id: str, robots: list[Robot]) -> Robot | None:
    """The group robot of an organisation: named for it, else the one of the closest enclosing division."""
    enabled = [robot for robot in robots if robot.enabled]
    for robot in enabled:
        if org_id in robot.org_ids:
            return robot
    division = division_of(org_id)
    if division is None:
        return None
    covering = [r for r in enabled if r.division_prefix and division.startswith(r.division_prefix)]
    return max(covering, key=lambda r: len(r.division_prefix or ""), default=None)


@dataclass(frozen=True)
class Preferences:
    """A user's choices: the outside channels per category, quiet hours (Beijing time), a WeChat binding."""

    channels: dict[str, tuple[str, ...]] = field(default_factory=dict)
    quiet_from: time | None = None
    quiet_until: time | None = None
    wechat_openid: str | None = None
    language: str = "zh-CN"

    def wants(self, category: str, channel: str) -> bool:
        """The in-app inbox always; another channel unless the user left it out for this category."""
        return channel == INBOX or category not in self.channels or channel in self.channels[category]

    def quiet_end(self, now: datetime) -> datetime | None:
        """When the quiet hours around `now` end, or None when `now` is not in them."""
        if self.quiet_from is None or self.quiet_until is None or self.quiet_from == self.quiet_until:
            return None
        local = now.astimezone(BEIJING)
        clock = local.time()
        overnight = self.quiet_from > self.quiet_until
        inside = (clock >= self.quiet_from or clock < self.quiet_until) if overnight else (
            self.quiet_from <= clock < self.quiet_until
        )  # fmt: skip
        if not inside:
            return None
        end = datetime.combine(local.date(), self.quiet_until, tzinfo=BEIJING)
        return end + timedelta(days=1) if end <= local else end


@dataclass(frozen=True)
class Channels:
    """What the deliveries of one event are planned against."""

    enabled: frozenset[str]
    robots: list[Robot]
    preferences: dict[str, Preferences]
    scheme_version: int


def _delivery(message: Message, channel: str, recipient_key: str, now: datetime, **extra: Any) -> dict[str, Any]:
    zh = message.texts["zh-CN"]
    return {
        "_id": f"{message.event_id}:{recipient_key}:{channel}",
        "message_key": message.key,
        "event_id": message.event_id,
        "correlation_id": message.correlation_id or message.event_id,
        "event_type": message.event_type,
        "ticket_id": message.ticket_id,
        "channel": channel,
        "recipient": recipient_key,
        "category": message.category,
        "urgent": message.urgent,
        "title": zh["title"],
        "body": zh["body"],
        "texts": message.texts,
        "state": "pending",
        "attempts": 0,
        "created_at": now,
        "next_attempt_at": now,
        **extra,
    }


def _skipped(doc: dict[str, Any], reason: str) -> dict[str, Any]:
    return {**doc, "state": "skipped", "reason": reason, "next_attempt_at": None}


def plan_deliveries(messages: list[Message], channels: Channels, now: datetime) -> list[dict[str, Any]]:
    """One delivery document per (message, channel): pending, or skipped with the reason it cannot go."""
    planned = []
    for message in messages:
        prefs = channels.preferences.get(message.recipient.user_id or "", Preferences())
        for channel in message.channels:
            if message.recipient == ALL_GROUPS:
                for robot in (r for r in channels.robots if r.enabled):
                    doc = _delivery(message, channel, f"group:{robot.id}", now, robot_id=robot.id)
                    planned.append(doc if WECOM in channels.enabled else _skipped(doc, "channel_disabled"))
                continue
            doc = _delivery(message, channel, message.recipient.key, now)
            planned.append(_plan_one(doc, message, channel, prefs, channels, now))
    for doc in planned:
        doc["scheme_version"] = channels.scheme_version
    return planned


def _plan_one(
    doc: dict[str, Any], message: Message, channel: str, prefs: Preferences, channels: Channels, now: datetime
) -> dict[str, Any]:
    if channel != INBOX and channel not in channels.enabled:
        return _skipped(doc, "channel_disabled")
    if message.recipient.user_id and not prefs.wants(message.category, channel):
        return _skipped(doc, "opted_out")
    if channel == WECOM:
        robot = robot_for(message.recipient.org_id or "", channels.robots)
        return {**doc, "robot_id": robot.id} if robot else _skipped(doc, "no_robot_for_group")
    if channel == WECHAT:
        if not prefs.wechat_openid:
            return _skipped(doc, "no_wechat_binding")
        doc = {**doc, "openid": prefs.wechat_openid, "language": prefs.language}
        quiet_end = None if message.urgent else prefs.quiet_end(now)
        return {**doc, "next_attempt_at": quiet_end, "held_for_quiet_hours": True} if quiet_end else doc
    return doc


def addressed_to(principal: Principal) -> list[str]:
    """The recipient keys whose notifications this user reads."""
    return [f"user:{principal.user_id}", *(f"role:{principal.org_id}:{role}" for role in principal.roles)]
