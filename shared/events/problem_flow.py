"""Events of the problem procedure after the report (第七条, 第十一条): review's problem cases, SLA clocks, FAQ.

Every step of a problem case carries the same context (`ProblemContext`): the case's category, its status
after the step, who owns the next step (role, organisation, division) and who reported it, so notify can
address a message and the portal can draw a timeline without reading review's database. All go to the
`problem-events` topic (shared.topics), keyed by the ticket id.

Owner roles: it_division, it_or_support (IT division or the 400 / WeChat duty team), reviewer (the finance
bureau at `owner_division`), business_division (`owner_org_id`, or any when None), reporter (the user who
reported it or a submitter of `org_id`), none (closed).
"""

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from shared.events.base import Event
from shared.events.problems import ProblemCategory

Priority = Literal["P1", "P2", "P3", "P4"]
SlaClockName = Literal["response", "resolution"]


class ProblemContext(BaseModel):
    """What every problem-case event carries (a mixin, not an event of its own)."""

    model_config = ConfigDict(extra="forbid")

    ticket_id: str
    category: ProblemCategory
    status: str = Field(description="the case's status after the step")
    urgent: bool = False
    owner_role: str = Field(description="who acts next; see the module docstring")
    owner_org_id: str | None = None
    owner_division: str | None = None
    submitter_id: str
    org_id: str
    org_path: list[str]


class GuideLink(BaseModel):
    """A manual, a video (微信公众号“智汇讲堂”, 第九条三) or a guide the answer points to."""

    model_config = ConfigDict(extra="forbid")

    title: str
    url: str
    kind: Literal["manual", "video", "guide", "other"] = "manual"


class ProblemCaseOpened(ProblemContext, Event):
    """纳入问题解决台账 (第十一条一): the case is open and its SLA clocks run."""

    title: str
    response_due_at: datetime | None = None
    resolution_due_at: datetime | None = None


class ProblemRefined(ProblemContext, Event):
    """梳理细化 (第十一条一2、二2): the IT division clarified the problem (bug: error, steps, OS, browser)."""

    notes: str = ""
    confirmed: dict[str, str] = Field(default_factory=dict)


class ProblemReproduced(ProblemContext, Event):
    """复现问题 (第十一条一3): reproduced, or not — then the user is asked (ProblemUserInputRequested)."""

    reproduced: bool
    notes: str = ""


class ProblemUserInputRequested(ProblemContext, Event):
    """The case waits for the reporter's answer; its SLA clocks are paused."""

    question: str


class ProblemUserReplied(ProblemContext, Event):
    reply: str


class ProblemConfirmedByUser(ProblemContext, Event):
    """确认问题 (第十一条一4): the reporter confirms the problem and states what the fix must achieve."""

    requirements: str = ""


class ProblemReadyForDispatch(ProblemContext, Event):
    """派发工单 (第十一条一5、三6): dispatch makes a work order for the vendor. `round` > 1 after a failed
    verification, with the reason."""

    title: str
    description: str
    module: str = ""
    org_name: str = ""
    priority_suggestion: Priority
    round: int = 1
    reason: str = ""
    details: dict = Field(default_factory=dict)


class ProblemFixReleased(ProblemContext, Event):
    """补丁发布 (第十一条一7): the IT division released the fix; the reporter verifies it."""

    version: str
    note: str = ""


class ProblemVerified(ProblemContext, Event):
    """二次验证 / 业务验证 (第十一条一8、二4、三8): passed closes the case; failed sends it back."""

    passed: bool
    reason: str = ""


class ProblemClosed(ProblemContext, Event):
    """办结: resolved, not compliant (第十一条二2), rejected by a reviewer or declined by the business division."""

    outcome: Literal["resolved", "not_compliant", "rejected", "declined"]
    reason: str = ""


class ProblemComplianceChecked(ProblemContext, Event):
    """第十一条二2: checked against the Ministry of Finance's business rules and technical standards."""

    compliant: bool
    reason: str = ""
    business_division_id: str


class ProblemConfigured(ProblemContext, Event):
    """系统配置 (第十一条二3): what changed, effective from when (第七条: business in progress undisturbed)."""

    change: str
    effective_from: date


class ProblemRepairReviewed(ProblemContext, Event):
    """数据修复 (第七条): reviewed by the league/city bureau, then the region."""

    level: Literal["city", "region"]
    division_code: str
    approved: bool
    opinion: str = ""


class ProblemBusinessConfirmed(ProblemContext, Event):
    """数据修复 (第七条): 经归口业务处室确认."""

    business_division_id: str
    confirmed: bool
    reason: str = ""


class ProblemRepairPlanned(ProblemContext, Event):
    """制定数据修复方案 (第十一条三4)."""

    round: int
    business_stage: str
    data_type: str
    upstream_downstream: str
    affected_reports: list[str]
    monitoring_rules: str
    steps: str = ""


class ProblemRepairPlanAnswered(ProblemContext, Event):
    """确认数据修复方案 (第十一条三5): the reporter accepts the plan, or refuses it with the reason."""

    round: int
    accepted: bool
    reason: str = ""


class ProblemDataBackedUp(ProblemContext, Event):
    """做好原始数据备份 (第十一条三7): where the backup is and its SHA-256, recorded before the repair."""

    reference: str
    sha256: str


class ProblemDataRepaired(ProblemContext, Event):
    note: str = ""


class ProblemQuestionEscalated(ProblemContext, Event):
    """第七条: 各级无法答复的，可及时向自治区归口业务处室咨询."""

    from_division: str
    business_division_id: str | None = None
    reason: str = ""


class ProblemClaimed(ProblemContext, Event):
    """A person of the desk that acts took the case (认领); `reason` when taken over from a colleague."""

    assignee_id: str
    assignee_name: str
    previous_assignee_name: str = ""
    reason: str = ""


class ProblemReassigned(ProblemContext, Event):
    """The question went to another desk (转派, 第七条, 第十一条四3); the SLA clocks run on unchanged."""

    from_owner: str = Field(description="the desk that had it, in words")
    to_owner: str = Field(description="the desk that has it now, in words")
    reason: str


class ProblemRated(ProblemContext, Event):
    """The reporter rated how the closed problem was handled (满意度, as government service hotlines ask)."""

    score: int = Field(ge=1, le=5)
    comment: str = ""


class ProblemAnswered(ProblemContext, Event):
    """统一答复 (第十一条四3)."""

    answer: str
    links: list[GuideLink] = Field(default_factory=list)


class ProblemFollowUpAsked(ProblemContext, Event):
    """The reporter was not satisfied with the answer and asks again."""

    question: str


class SlaEscalation(BaseModel):
    """The level above the owner, told when a clock is breached."""

    model_config = ConfigDict(extra="forbid")

    level: Literal["city", "region"]
    division_code: str
    org_id: str
    role: str = Field(description="reviewer (a finance bureau) or leadership (the department's leaders)")
    label: str


class ProblemSlaWarning(ProblemContext, Event):
    """75% of a clock's allowed working time is used (第十一条四 for consulting)."""

    clock: SlaClockName
    allowed_seconds: float
    elapsed_seconds: float
    due_at: datetime | None = None


class ProblemSlaBreached(ProblemContext, Event):
    """A clock ran past its allowed working time; the level above the owner is named in `escalate_to`."""

    clock: SlaClockName
    allowed_seconds: float
    elapsed_seconds: float
    due_at: datetime | None = None
    escalate_to: SlaEscalation


class FaqEntryPublished(Event):
    """常见问题集 (第七条): the region published (or revised) an FAQ entry; subject is the entry id."""

    entry_id: str
    revision: int
    question: str
    answer: str
    category: str
    module: str = ""
    links: list[GuideLink] = Field(default_factory=list)
    source_ticket_id: str | None = None

    @property
    def subject(self) -> str:
        return self.entry_id


PROBLEM_FLOW_EVENTS: tuple[type[Event], ...] = (
    ProblemCaseOpened,
    ProblemRefined,
    ProblemReproduced,
    ProblemUserInputRequested,
    ProblemUserReplied,
    ProblemConfirmedByUser,
    ProblemReadyForDispatch,
    ProblemFixReleased,
    ProblemVerified,
    ProblemClosed,
    ProblemComplianceChecked,
    ProblemConfigured,
    ProblemRepairReviewed,
    ProblemBusinessConfirmed,
    ProblemRepairPlanned,
    ProblemRepairPlanAnswered,
    ProblemDataBackedUp,
    ProblemDataRepaired,
    ProblemQuestionEscalated,
    ProblemClaimed,
    ProblemReassigned,
    ProblemRated,
    ProblemAnswered,
    ProblemFollowUpAsked,
    ProblemSlaWarning,
    ProblemSlaBreached,
    FaqEntryPublished,
)
