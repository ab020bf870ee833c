"""The notification scheme (通知方案) as data: for each event type, who is told, through which channels,
in which category and with which words (zh-CN, English available). Pure rules, no I/O.

A rule's templates use `{name}` placeholders filled from the event's data, the ticket id and a few
derived values (`level_name`, `expected_upgrade`, ...). Templates are checked when an administrator saves
them: only plain names the event really has are allowed, so a template can neither break at delivery
time nor reach into Python objects (no `{x.attr}`, no `{x[0]}`).
"""

import string
from datetime import date
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from shared.auth import ROLES
from shared.events import EVENT_TYPES, Envelope

INBOX, WECOM, WECHAT = "inbox", "wecom", "wechat"
CHANNELS = (INBOX, WECOM, WECHAT)
LANGUAGES = ("zh-CN", "en")
RecipientKind = Literal["role", "submitter", "assignee", "vendor", "all_groups", "mentioned", "watchers", "desk"]
# WeChat reaches a person (an openid); a WeCom robot posts into an organisation's group.
USER_KINDS = {"submitter", "assignee", "mentioned", "watchers"}
GROUP_KINDS = {"role", "vendor", "all_groups", "desk"}
# Kinds that name several recipients, from a list field of the event (a comment's, TicketCommented).
LIST_KINDS = {"mentioned": "mentioned_ids", "watchers": "watcher_ids", "desk": "desk"}
LEVEL_NAMES = {
    "zh-CN": {"county": "旗县区", "city": "盟市", "region": "自治区"},
    "en": {"county": "banner/county", "city": "league/city", "region": "region"},
}
TO_BE_DECIDED = {"zh-CN": "待定", "en": "to be decided"}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RecipientRule(_Strict):
    """Who: a role at an organisation (`org` is an id or a `{field}` of the event), the submitter, the
    assignee (`assignee_id`), the vendor of a work order, every WeCom group (releases, 第六条八), or — for a
    comment — the users it mentions, the ticket's watchers, or the desk holding the ticket (roles)."""

    kind: RecipientKind
    role: str | None = None
    org: Annotated[str, StringConstraints(min_length=1, max_length=64)] | None = None


class Template(_Strict):
    title: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    body: Annotated[str, StringConstraints(max_length=2000)] = ""


class Rule(_Strict):
    recipient: RecipientRule
    channels: list[Literal["inbox", "wecom", "wechat"]] = Field(min_length=1, max_length=3)
    category: Annotated[str, StringConstraints(pattern=r"^[a-z_]{1,32}$")]
    # The rule applies when every named field of the event equals the given value.
    when: dict[str, str | bool | int] = Field(default_factory=dict, max_length=5)
    # Always urgent (quiet hours do not hold it back); events marked urgent are urgent anyway.
    urgent: bool = False
    templates: dict[Literal["zh-CN", "en"], Template]


def event_fields(event_type: str) -> set[str]:
    return set(EVENT_TYPES[event_type].model_fields)


def derived(data: dict[str, Any], language: str) -> dict[str, Any]:
    """Values computed from an event's data that templates may name."""
    values: dict[str, Any] = {}
    if data.get("level") in LEVEL_NAMES[language]:
        values["level_name"] = LEVEL_NAMES[language][data["level"]]
    if "expected_upgrade" in data:
        values["expected_upgrade"] = data["expected_upgrade"] or TO_BE_DECIDED[language]
    if isinstance(data.get("parts"), list):  # the new requirements of a split (RequirementSplit)
        values["part_ids"] = ("、" if language == "zh-CN" else ", ").join(str(part) for part in data["parts"])
    if isinstance(data.get("items"), list):
        values["item_count"] = len(data["items"])
        values["adopted_count"] = sum(1 for item in data["items"] if item.get("adopted"))
    return values


DERIVED_NAMES = {"ticket_id", "level_name", "expected_upgrade", "item_count", "adopted_count", "part_ids"}


def variables(envelope: Envelope, language: str) -> dict[str, Any]:
    """Everything a template of this event may name: the event's scalar fields, the ticket id, derived values."""
    values = {k: v for k, v in envelope.data.items() if isinstance(v, str | int | float | bool | date)}
    values["ticket_id"] = envelope.subject
    values.update(derived(envelope.data, language))
    return values


class _Missing(dict):
    def __missing__(self, key: str) -> str:
        return ""


def render(template: str, values: dict[str, Any]) -> str:
    """Fill `{name}` placeholders; a name the event lacks renders empty (templates were checked on save)."""
    return string.Formatter().vformat(template, (), _Missing(values))


def placeholders(template: str) -> list[str]:
    """The placeholder names of a template; raises ValueError for a malformed one."""
    return [name for _, name, _, _ in string.Formatter().parse(template) if name is not None]


def rule_errors(event_type: str, rules: list[Rule]) -> list[dict[str, str]]:
    """What is wrong with these rules for this event type (empty when they can be saved)."""
    if event_type not in EVENT_TYPES:
        return [{"field": "event_type", "rule": "unknown_event", "message": f"no event type {event_type}"}]
    fields = event_fields(event_type)
    names = fields | DERIVED_NAMES
    errors: list[dict[str, str]] = []

    def fail(index: int, where: str, rule: str, message: str) -> None:
        errors.append({"field": f"rules.{index}.{where}", "rule": rule, "message": message})

    for index, rule in enumerate(rules):
        kind = rule.recipient.kind
        if kind == "role" and rule.recipient.role not in ROLES:
            fail(index, "recipient.role", "unknown_role", f"role must be one of {', '.join(ROLES)}")
        if kind == "role" and not rule.recipient.org:
            fail(index, "recipient.org", "required", "a role recipient needs an organisation")
        org = rule.recipient.org or ""
        if org.startswith("{") and org.strip("{}") not in fields:
            fail(index, "recipient.org", "unknown_field", f"{event_type} has no field {org.strip('{}')}")
        if kind == "submitter" and "submitter_id" not in fields:
            fail(index, "recipient.kind", "no_submitter", f"{event_type} names no submitter")
        if kind == "vendor" and "vendor_id" not in fields:
            fail(index, "recipient.kind", "no_vendor", f"{event_type} names no vendor")
        if kind in LIST_KINDS and LIST_KINDS[kind] not in fields:
            fail(index, "recipient.kind", f"no_{kind}", f"{event_type} names no {LIST_KINDS[kind]}")
        if WECHAT in rule.channels and kind not in USER_KINDS:
            fail(index, "channels", "wechat_needs_user", "WeChat messages go to a person, not a group")
        if WECOM in rule.channels and kind not in GROUP_KINDS:
            fail(index, "channels", "wecom_needs_group", "WeCom robots post into an organisation's group")
        if INBOX in rule.channels and kind == "all_groups":
            fail(index, "channels", "inbox_needs_recipient", "every group is reached through WeCom only")
        if "zh-CN" not in rule.templates:
            fail(index, "templates", "required", "a zh-CN template is required")
        for field in rule.when:
            if field not in fields:
                fail(index, f"when.{field}", "unknown_field", f"{event_type} has no field {field}")
        for language, template in rule.templates.items():
            for part in ("title", "body"):
                try:
                    used = placeholders(getattr(template, part))
                except ValueError as error:
                    fail(index, f"templates.{language}.{part}", "malformed", str(error))
                    continue
                for name in used:
                    if name not in names:
                        fail(index, f"templates.{language}.{part}", "unknown_placeholder", f"no value {{{name}}}")
    return errors


def applies(rule: Rule, data: dict[str, Any]) -> bool:
    return all(data.get(field) == value for field, value in rule.when.items())
