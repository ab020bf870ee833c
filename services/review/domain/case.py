"""A requirement's way from submission to publication (第三条, 第六条一～四): the `ReviewCase` aggregate.

A requirement is reviewed by its unit's own finance bureau first, then by each level above up to the
region (第三条); each step is a `ReviewTask` for the finance bureau of one division. After the region
recommends it, the IT division refines it (第六条二), the business division confirms it (第六条三) and
the IT division publishes it (第六条四). Every step is kept in `history`: who, when, and why.

    in_review ──forward──▶ in_review (next level) ──forward at region──▶ awaiting_refinement
        │ └─return──▶ returned ──resubmitted (next round)──▶ in_review (own bureau again)
        └─reject──▶ rejected (final)
    awaiting_refinement ──refine──▶ awaiting_confirmation ──confirm──▶ confirmed ──publish──▶ published
    awaiting_refinement | awaiting_confirmation ──merge──▶ merged (final)
    awaiting_refinement | awaiting_confirmation ──split──▶ split (final); each part: awaiting_refinement
"""

from dataclasses import dataclass, field, replace
from datetime import date, datetime
from enum import StrEnum
from typing import Protocol

from shared.events import Event, RequirementSubmitted, ReviewTaskOpened
from shared.orgtree import Level, bureau_id, review_chain

LEVEL_NAMES = {"county": "旗县区", "city": "盟市", "region": "自治区"}


class Someone(Protocol):
    """Who acts: a signed-in Principal, or an event's Actor (the system completing a publication)."""

    user_id: str
    name: str
    org_id: str


class Status(StrEnum):
    IN_REVIEW = "in_review"
    RETURNED = "returned"
    REJECTED = "rejected"
    AWAITING_REFINEMENT = "awaiting_refinement"
    AWAITING_CONFIRMATION = "awaiting_confirmation"
    MERGED = "merged"
    SPLIT = "split"
    CONFIRMED = "confirmed"
    PUBLISHED = "published"

    @property
    def label(self) -> str:
        return STATUS_LABELS[self]


STATUS_LABELS = {
    Status.IN_REVIEW: "审核中",
    Status.RETURNED: "已退回修改",
    Status.REJECTED: "已驳回",
    Status.AWAITING_REFINEMENT: "待梳理细化",
    Status.AWAITING_CONFIRMATION: "待业务处室确认",
    Status.MERGED: "已合并",
    Status.SPLIT: "已拆分",
    Status.CONFIRMED: "已确认",
    Status.PUBLISHED: "已公示",
}


@dataclass(frozen=True)
class ReviewTask:
    """One finance bureau's turn: open until it forwards, rejects or returns the requirement."""

    id: str
    level: Level
    division_code: str
    bureau_org_id: str
    status: str = "open"  # open | forwarded | rejected | returned
    round: int = 1
    opened_at: datetime | None = None
    closed_at: datetime | None = None
    closed_by: str | None = None
    overdue_at: datetime | None = None  # when the reminder of a missed deadline went out (once per task)


@dataclass(frozen=True)
class HistoryEntry:
    """Who did what, when, and why (MISSION: a complete history of every step)."""

    action: str
    actor_id: str
    actor_name: str
    org_id: str
    at: datetime
    level: str | None = None
    reason: str = ""
    opinion: str = ""


@dataclass(frozen=True)
class Decision:
    """The business division's answer (第六条三), shown in the publication (第六条四)."""

    adopted: bool
    business_division_id: str
    decided_by: str
    decided_at: datetime
    reason: str = ""
    expected_upgrade: date | None = None


@dataclass
class ReviewCase:
    ticket_id: str
    title: str
    org_path: list[str]
    chain: list[tuple[Level, str]]
    description: str = ""
    category: str = ""
    urgency: str = "normal"
    module: str = ""
    submitter_id: str = ""
    submitter_name: str = ""
    org_id: str = ""
    org_name: str = ""
    submitted_month: str = ""
    round: int = 1
    status: Status = Status.IN_REVIEW
    tasks: list[ReviewTask] = field(default_factory=list)
    history: list[HistoryEntry] = field(default_factory=list)
    business_division_id: str | None = None
    refinement_notes: str = ""
    merged_into: str | None = None
    split_into: list[str] = field(default_factory=list)
    split_from: str | None = None
    decision: Decision | None = None
    batch_id: str | None = None
    version: int = 0
    events: list[Event] = field(default_factory=list)

    @property
    def current_task(self) -> ReviewTask | None:
        """The open task, if the case is waiting for a finance bureau."""
        return self.tasks[-1] if self.tasks and self.tasks[-1].status == "open" else None

    def level_above(self, division_code: str) -> tuple[Level, str] | None:
        """The next finance level up the chain (第三条 逐级审核上报), None above the region."""
        codes = [code for _, code in self.chain]
        position = codes.index(division_code) + 1
        return self.chain[position] if position < len(self.chain) else None

    def record(self, action: str, by: Someone, now: datetime, **details: str | None) -> None:
        self.history.append(HistoryEntry(action, by.user_id, by.name, by.org_id, now, **details))

    def close_current_task(self, outcome: str, by: Someone, now: datetime) -> ReviewTask:
        task = self.tasks[-1]
        self.tasks[-1] = replace(task, status=outcome, closed_at=now, closed_by=by.user_id)
        return task


def open_review_case(submitted: RequirementSubmitted, *, submitted_month: str, now: datetime) -> ReviewCase:
    """第三条: a submitted requirement goes to the unit's own finance bureau for review first."""
    case = ReviewCase(
        ticket_id=submitted.ticket_id,
        title=submitted.title,
        org_path=submitted.org_path,
        chain=review_chain(submitted.org_path),
        submitted_month=submitted_month,
    )
    take_submission(case, submitted)
    case.history.append(submitter_entry("submitted", submitted, now))
    open_first_task(case, now)
    return case


def take_submission(case: ReviewCase, submitted: RequirementSubmitted) -> None:
    """Keep what the submitter wrote: confirmation and publication carry it on (第六条三、四)."""
    case.title = submitted.title
    case.description = submitted.description
    case.category = submitted.category
    case.urgency = submitted.urgency
    case.module = submitted.module
    case.submitter_id = submitted.submitter_id
    case.submitter_name = submitted.submitter_name
    case.org_id = submitted.org_id
    case.org_name = submitted.org_name
    case.round = submitted.round


def open_first_task(case: ReviewCase, now: datetime) -> None:
    level, division_code = case.chain[0]
    case.status = Status.IN_REVIEW
    open_task(case, level, division_code, now)


def open_task(case: ReviewCase, level: Level, division_code: str, now: datetime) -> None:
    # Deterministic id: the n-th task of this requirement at this level (a new one each round).
    number = sum(1 for task in case.tasks if task.level == level) + 1
    task = ReviewTask(
        id=f"{case.ticket_id}:{level}:{number}",
        level=level,
        division_code=division_code,
        bureau_org_id=bureau_id(division_code),
        round=case.round,
        opened_at=now,
    )
    case.tasks.append(task)
    case.events.append(
        ReviewTaskOpened(
            task_id=task.id,
            ticket_id=case.ticket_id,
            title=case.title,
            level=level,
            division_code=division_code,
            bureau_org_id=task.bureau_org_id,
            org_path=case.org_path,
        )
    )


def submitter_entry(action: str, submitted: RequirementSubmitted, now: datetime) -> HistoryEntry:
    return HistoryEntry(action, submitted.submitter_id, submitted.submitter_name, submitted.org_id, now)
