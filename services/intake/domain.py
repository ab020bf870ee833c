"""Requirements as they are drafted, submitted, returned for amendment and resubmitted (第一条–第六条一).

Pure rules, no I/O. A command is imperative (`SubmitRequirement`); what it produces is past tense
(`RequirementSubmitted`). Review's decisions (returned, rejected) come back as events and are applied
with `mark_returned` / `mark_rejected`.
"""

import secrets
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum

from shared.errors import DomainError
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


class Status(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"  # with review from here on (review, refinement, ... are other services' part)
    RETURNED = "returned"  # sent back for amendment; the submitter edits and resubmits
    REJECTED = "rejected"  # final


class WindowClosed(DomainError):
    """第五条: requirements are collected in the first 3 working days of each month."""

    status_code = 409

    def __init__(self, next_opening: date) -> None:
        super().__init__(
            "submission_window_closed",
            f"需求征集仅在每月前3个工作日开放，下次开放日期：{next_opening:%Y-%m-%d}"
            f" (requirements are collected in the first 3 working days of a month; next window opens"
            f" {next_opening:%Y-%m-%d})",
        )
        self.next_opening = next_opening


class InvalidTransition(DomainError):
    status_code = 409


@dataclass(frozen=True)
class RequirementForm:
    """需求提交表单 (第一条, 第二条): what the submitter writes."""

    category: RequirementCategory
    title: str
    description: str
    business_scenario: str = ""
    expected_effect: str = ""
    urgency: Urgency = Urgency.NORMAL
    module: str = ""
    local_justification: str = ""


@dataclass(frozen=True)
class Submitter:
    user_id: str
    name: str
    org_id: str
    org_name: str
    org_path: list[str]


@dataclass(frozen=True)
class WindowCheck:
    """The submission window's answer for the moment of submission (decided by the calendar)."""

    open: bool
    next_opening: date


@dataclass
class Requirement:
    id: str
    form: RequirementForm
    submitter: Submitter
    channel: Channel
    created_at: datetime
    status: Status = Status.DRAFT
    round: int = 0
    recorded_by: str | None = None
    version: int = 0
    events: list[Event] = field(default_factory=list)
    history: list[dict] = field(default_factory=list)

    def amend(self, form: RequirementForm, by: str, at: datetime) -> None:
        """Drafts can be edited any time; a returned requirement is amended before resubmission."""
        if self.status not in (Status.DRAFT, Status.RETURNED):
            raise InvalidTransition("not_editable", f"当前状态（{self.status}）不可修改 (not editable now)")
        self.form = form
        self._record("amended", by, at)

    def submit(self, window: WindowCheck, by: str, at: datetime) -> None:
        """第五条: a first submission only inside the window; a returned one may be resubmitted any time."""
        if self.status not in (Status.DRAFT, Status.RETURNED):
            raise InvalidTransition("already_submitted", f"需求已提交（{self.status}） (already submitted)")
        if self.status is Status.DRAFT and not window.open:
            raise WindowClosed(window.next_opening)
        self.status = Status.SUBMITTED
        self.round += 1
        self._record("submitted" if self.round == 1 else "resubmitted", by, at)
        self.events.append(self._submitted_event())

    def mark_returned(self, reason: str, by: str, at: datetime) -> bool:
        """Review sent it back for amendment; False when this was already applied."""
        if self.status is not Status.SUBMITTED:
            return False
        self.status = Status.RETURNED
        self._record("returned", by, at, reason)
        return True

    def mark_rejected(self, reason: str, by: str, at: datetime) -> bool:
        if self.status is Status.REJECTED:
            return False
        self.status = Status.REJECTED
        self._record("rejected", by, at, reason)
        return True

    def _record(self, action: str, by: str, at: datetime, reason: str = "") -> None:
        self.history.append({"action": action, "by": by, "at": at, "reason": reason})

    def _submitted_event(self) -> RequirementSubmitted:
        form, submitter = self.form, self.submitter
        return RequirementSubmitted(
            ticket_id=self.id,
            category=form.category,
            title=form.title,
            description=form.description,
            business_scenario=form.business_scenario,
            expected_effect=form.expected_effect,
            local_justification=form.local_justification,
            urgency=form.urgency,
            module=form.module,
            channel=self.channel,
            submitter_id=submitter.user_id,
            submitter_name=submitter.name,
            org_id=submitter.org_id,
            org_name=submitter.org_name,
            org_path=submitter.org_path,
            round=self.round,
            recorded_by=self.recorded_by,
        )


def new_requirement_id(now: datetime) -> str:
    return f"REQ-{now:%Y%m}-{secrets.token_hex(4).upper()}"


def draft_requirement(
    form: RequirementForm, submitter: Submitter, channel: Channel, now: datetime, recorded_by: str | None = None
) -> Requirement:
    requirement = Requirement(new_requirement_id(now), form, submitter, channel, now, recorded_by=recorded_by)
    requirement._record("drafted", recorded_by or submitter.user_id, now)
    return requirement


def submit_new_requirement(
    form: RequirementForm, submitter: Submitter, channel: Channel, window: WindowCheck, now: datetime
) -> Requirement:
    """第三条, 第六条一: a user of the budget system submits a requirement for their organisation."""
    requirement = draft_requirement(form, submitter, channel, now)
    requirement.submit(window, submitter.user_id, now)
    return requirement
