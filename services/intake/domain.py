"""Requirements as they are submitted (第一条–第五条): pure rules, no I/O.

A command is imperative (`SubmitRequirement`); what it produces is past tense (`RequirementSubmitted`).
"""

import secrets
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from shared.auth import Principal
from shared.events import Event, RequirementSubmitted


class RequirementCategory(StrEnum):
    """第二条: 新增需求 / 优化完善需求 / 统计报表需求."""

    NEW = "new"
    OPTIMISATION = "optimisation"
    REPORT = "report"


class Urgency(StrEnum):
    NORMAL = "normal"
    URGENT = "urgent"


class Channel(StrEnum):
    """第四条 and 第九条: where a ticket came in."""

    FORM = "form"
    SPREADSHEET = "spreadsheet"
    HOTLINE = "hotline"
    WECHAT_GROUP = "wechat_group"


@dataclass(frozen=True)
class SubmitRequirement:
    category: RequirementCategory
    title: str
    description: str
    business_scenario: str = ""
    expected_effect: str = ""
    urgency: Urgency = Urgency.NORMAL
    module: str = ""
    local_justification: str = ""
    channel: Channel = Channel.FORM


@dataclass
class Requirement:
    id: str
    command: SubmitRequirement
    submitter: Principal
    submitted_at: datetime
    status: str = "submitted"
    events: list[Event] = field(default_factory=list)


def new_requirement_id(now: datetime) -> str:
    return f"REQ-{now:%Y%m}-{secrets.token_hex(4).upper()}"


def submit_requirement(command: SubmitRequirement, submitter: Principal, now: datetime) -> Requirement:
    """第三条, 第六条一: a user of the budget system submits a requirement for their organisation."""
    requirement = Requirement(new_requirement_id(now), command, submitter, now)
    requirement.events.append(
        RequirementSubmitted(
            ticket_id=requirement.id,
            category=command.category,
            title=command.title,
            description=command.description,
            urgency=command.urgency,
            module=command.module,
            channel=command.channel,
            submitter_id=submitter.user_id,
            submitter_name=submitter.name,
            org_id=submitter.org_id,
            org_name=submitter.org_name,
            org_path=submitter.org_path,
        )
    )
    return requirement
