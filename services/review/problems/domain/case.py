"""A reported problem's way to its close (第七条, 第十一条): the `ProblemCase` aggregate, its states and steps.

One case per problem, opened from intake's ProblemReported and entered in the problem ledger (问题解决台账,
第十一条一). Each category has its own flow (`FLOWS`: which step is allowed in which state); every step is
kept in `history` (who, when, from which state to which, why) and produces an event that carries who acts
next (`Owner`). While the case waits for the reporter (`USER_STATUSES`) its SLA clocks are paused.

    bug:            reported → refined → awaiting_user_confirmation → ready_for_dispatch
                    → awaiting_verification (patch released) → closed
                    refined ─not reproducible─▶ waiting_for_user ─reply─▶ refined
                    awaiting_verification ─failed─▶ ready_for_dispatch (a new work order round)
    configuration:  reported → refined → awaiting_configuration → awaiting_verification → closed
                    refined ─not compliant─▶ closed;  verification failed ─▶ awaiting_configuration
    data_repair:    awaiting_city_review → awaiting_region_review → awaiting_business_confirmation → planning
                    → awaiting_plan_confirmation → awaiting_backup → awaiting_repair → awaiting_verification → closed
                    plan refused / verification failed ─▶ planning;  review rejected / business declined ─▶ closed
    consulting:     awaiting_answer ⇄ waiting_for_user;  awaiting_answer → answered → closed (accepted)
                    answered ─ask again─▶ awaiting_answer;  escalate: bureau → region's business division
"""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from services.review.problems.domain.errors import IllegalTransition
from services.review.problems.domain.flows import CATEGORY_LABELS, FLOWS, USER_STATUSES, Status, Step
from services.review.problems.sla import SlaRecord
from shared.events import Event
from shared.orgtree import bureau_id, divisions


class Someone(Protocol):
    """Who acts: a signed-in Principal (or, for the report itself, the reporter's ids)."""

    user_id: str
    name: str
    org_id: str


@dataclass(frozen=True)
class HistoryEntry:
    """Who did what, when, from which state to which, and why (flat: no arrays inside)."""

    action: str
    actor_id: str
    actor_name: str
    org_id: str
    at: datetime
    status_from: str
    status_to: str
    note: str = ""


@dataclass(frozen=True)
class Pause:
    """The case waited for the reporter from `start` to `end` (None while it still waits)."""

    start: datetime
    end: datetime | None = None


@dataclass(frozen=True)
class Owner:
    """Who acts next: a role, at an organisation or division when it matters (see shared.events.problem_flow)."""

    role: str
    org_id: str | None = None
    division_code: str | None = None
    label: str = ""


@dataclass(frozen=True)
class ReviewStep:
    """One finance level that reviews a data repair (第七条: 盟市财政部门审核后，提交自治区财政厅)."""

    level: str  # city | region
    division_code: str


@dataclass(frozen=True)
class Answerer:
    """Who answers a consulting question (第七条, 第十一条四3)."""

    kind: str  # it_or_support | bureau | business_division
    division_code: str | None = None
    org_id: str | None = None


@dataclass
class ProblemCase:
    ticket_id: str
    category: str
    title: str
    description: str
    submitter_id: str
    org_id: str
    org_path: list[str]
    opened_at: datetime
    opened_month: str
    sla: SlaRecord
    status: Status = Status.REPORTED
    urgent: bool = False
    module: str = ""
    channel: str = "form"
    details: dict[str, Any] = field(default_factory=dict)
    submitter_name: str = ""
    org_name: str = ""
    org_kind: str = ""
    recorded_by: str | None = None
    caller: dict[str, Any] | None = None
    history: list[HistoryEntry] = field(default_factory=list)
    pauses: list[Pause] = field(default_factory=list)
    resume_status: Status | None = None
    first_response_at: datetime | None = None
    closed_at: datetime | None = None
    outcome: str | None = None
    outcome_reason: str = ""
    # bug and configuration
    refinement: dict[str, str] = field(default_factory=dict)
    user_requirements: str = ""
    dispatch_round: int = 0
    release: dict[str, Any] | None = None
    compliance: dict[str, Any] | None = None
    configuration: dict[str, Any] | None = None
    # data repair
    review_chain: list[ReviewStep] = field(default_factory=list)
    review_position: int = 0
    business_division_id: str | None = None
    plan: dict[str, Any] | None = None
    plan_round: int = 0
    backup: dict[str, Any] | None = None
    repair: dict[str, Any] | None = None
    # consulting
    answerer: Answerer | None = None
    escalated: bool = False
    answer: dict[str, Any] | None = None
    answers: int = 0
    faq_entry_id: str | None = None
    # who of the owning desk handles it now (handling.py): {"user_id", "name", "org_id", "at"}
    assignee: dict[str, Any] | None = None
    # the reporter's satisfaction once closed (满意度): {"score": 1–5, "comment", "at", "by"}
    rating: dict[str, Any] | None = None
    version: int = 0
    events: list[Event] = field(default_factory=list)

    def require(self, step: Step) -> None:
        """The step must belong to the category's flow and be allowed in the current state (409 otherwise)."""
        allowed = FLOWS[self.category].get(step)
        if allowed is None:
            raise IllegalTransition(
                "step_not_in_category",
                f"{CATEGORY_LABELS[self.category]}类问题没有“{step}”环节 (no {step} step for {self.category})",
            )
        if self.status not in allowed:
            raise IllegalTransition(
                "illegal_transition",
                f"问题 {self.ticket_id} 当前为“{self.status.label}”，不能办理“{step}” "
                f"(cannot {step} while {self.status.value})",
            )

    def move(self, to: Status, action: str, by: Someone, now: datetime, note: str = "") -> None:
        """Enter `to`, pausing the clocks while the reporter has the turn, and record the step."""
        self.history.append(
            HistoryEntry(action, by.user_id, by.name, by.org_id, now, self.status.value, to.value, note)
        )
        waiting_before, waiting_after = self.status in USER_STATUSES, to in USER_STATUSES
        if waiting_after and not waiting_before:
            self.pauses.append(Pause(now))
        elif waiting_before and not waiting_after and self.pauses and self.pauses[-1].end is None:
            self.pauses[-1] = Pause(self.pauses[-1].start, now)
        self.status = to

    def responded(self, now: datetime) -> None:
        """The first answer or refinement by staff stops the first-response clock (第十一条四 2小时内回应)."""
        if self.first_response_at is None:
            self.first_response_at = now

    def is_reporter(self, someone: Someone) -> bool:
        """The user who reported it, a submitter of the same organisation, or the duty operator who recorded it."""
        roles = getattr(someone, "roles", [])
        return someone.user_id in (self.submitter_id, self.recorded_by) or (
            someone.org_id == self.org_id and "submitter" in roles
        )

    @property
    def review_step(self) -> ReviewStep | None:
        return self.review_chain[self.review_position] if self.review_position < len(self.review_chain) else None

    def context(self) -> dict[str, Any]:
        """The fields every problem event carries (shared.events.ProblemContext), as of now."""
        owner = owner_of(self)
        return {
            "ticket_id": self.ticket_id,
            "category": self.category,
            "status": self.status.value,
            "urgent": self.urgent,
            "owner_role": owner.role,
            "owner_org_id": owner.org_id,
            "owner_division": owner.division_code,
            "submitter_id": self.submitter_id,
            "org_id": self.org_id,
            "org_path": self.org_path,
        }

    def emit(self, event_type: type[Event], **fields: Any) -> None:
        self.events.append(event_type(**self.context(), **fields))


IT_DIVISION_OWNER = Owner("it_division", "itd", "150000", "财政厅信息化处")
STAFF_OWNERS = {
    Status.REPORTED: IT_DIVISION_OWNER,
    Status.REFINED: IT_DIVISION_OWNER,
    Status.READY_FOR_DISPATCH: Owner("it_division", "itd", "150000", "财政厅信息化处（开发公司修复）"),
    Status.AWAITING_CONFIGURATION: IT_DIVISION_OWNER,
    Status.AWAITING_BUSINESS_CONFIRMATION: Owner("business_division", None, "150000", "归口业务处室"),
    Status.PLANNING: IT_DIVISION_OWNER,
    Status.AWAITING_BACKUP: IT_DIVISION_OWNER,
    Status.AWAITING_REPAIR: IT_DIVISION_OWNER,
}


def owner_of(case: ProblemCase) -> Owner:
    """Who acts next, from the state (and, for consulting and data repair, who answers or reviews)."""
    if case.status is Status.CLOSED:
        return Owner("none", label="已办结")
    if case.status in USER_STATUSES:
        return Owner("reporter", case.org_id, case.org_path[-2] if len(case.org_path) > 1 else None, "提出用户")
    if case.status in (Status.AWAITING_CITY_REVIEW, Status.AWAITING_REGION_REVIEW) and case.review_step:
        return bureau_owner(case.review_step.division_code)
    if case.status is Status.AWAITING_ANSWER and case.answerer:
        return answerer_owner(case.answerer)
    return STAFF_OWNERS.get(case.status, IT_DIVISION_OWNER)


def bureau_owner(division_code: str) -> Owner:
    return Owner("reviewer", bureau_id(division_code), division_code, f"{division_name(division_code)}财政部门")


def answerer_owner(answerer: Answerer) -> Owner:
    if answerer.kind == "bureau" and answerer.division_code:
        return bureau_owner(answerer.division_code)
    if answerer.kind == "business_division":
        return Owner("business_division", answerer.org_id, "150000", "自治区归口业务处室")
    return Owner("it_or_support", "itd", "150000", "财政厅信息化处或技术支持服务团队")


def division_name(code: str) -> str:
    division = divisions().get(code)
    return division.name if division else code
