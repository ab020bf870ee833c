"""What a step of a problem case is asked to do: commands are imperative; the case is the one addressed."""

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class Link:
    """A manual, an operation video or a guide (第六条八, 第九条三)."""

    title: str
    url: str
    kind: str = "manual"  # manual | video | guide | other


@dataclass(frozen=True)
class RefineProblem:
    """梳理细化 (第十一条一2、二2). For a bug: the error, the user's steps, OS and browser as confirmed
    (None keeps what the reporter wrote)."""

    notes: str = ""
    error_text: str | None = None
    steps: str | None = None
    os: str | None = None
    browser: str | None = None
    browser_version: str | None = None


@dataclass(frozen=True)
class ReproduceProblem:
    """复现问题 (第十一条一3); when it cannot be reproduced, `question` asks the user for what is missing."""

    reproduced: bool
    notes: str = ""
    question: str = ""


@dataclass(frozen=True)
class ReplyToQuestion:
    reply: str


@dataclass(frozen=True)
class ConfirmProblem:
    """确认问题 (第十一条一4): the reporter confirms and states the handling requirements or standard."""

    requirements: str = ""


@dataclass(frozen=True)
class MarkFixReleased:
    """补丁发布 (第十一条一7)."""

    version: str
    note: str = ""


@dataclass(frozen=True)
class VerifyResult:
    """The reporter's (second) verification; a failure needs the reason."""

    passed: bool
    reason: str = ""


@dataclass(frozen=True)
class CheckCompliance:
    """第十一条二2: the IT division and the business division check the request against the rules."""

    compliant: bool
    reason: str = ""
    business_division_id: str | None = None


@dataclass(frozen=True)
class ConfigureProblem:
    """系统配置 (第十一条二3): what was changed, effective from when (第七条 明确时间节点)."""

    change: str
    effective_from: date


@dataclass(frozen=True)
class ReviewRepair:
    """A finance level's review of a data repair (第七条); a rejection needs the reason."""

    approved: bool
    opinion: str = ""


@dataclass(frozen=True)
class ConfirmRepairForBusiness:
    confirmed: bool
    reason: str = ""


@dataclass(frozen=True)
class PlanRepair:
    """制定数据修复方案 (第十一条三4)."""

    business_stage: str
    data_type: str
    upstream_downstream: str
    affected_reports: tuple[str, ...]
    monitoring_rules: str
    steps: str = ""


@dataclass(frozen=True)
class AnswerRepairPlan:
    accepted: bool
    reason: str = ""


@dataclass(frozen=True)
class RecordBackup:
    """原始数据备份 (第十一条三7): where it is and the SHA-256 of its content."""

    reference: str
    sha256: str


@dataclass(frozen=True)
class RecordRepair:
    note: str = ""


@dataclass(frozen=True)
class EscalateQuestion:
    reason: str
    business_division_id: str | None = None


@dataclass(frozen=True)
class AskUser:
    question: str


@dataclass(frozen=True)
class AnswerQuestion:
    answer: str
    links: tuple[Link, ...] = ()


@dataclass(frozen=True)
class AcceptAnswer:
    pass


@dataclass(frozen=True)
class AskAgain:
    question: str


@dataclass(frozen=True)
class ClaimCase:
    """认领: a person of the desk that acts takes the case; taking it over from a colleague needs the reason."""

    reason: str = ""


@dataclass(frozen=True)
class RateService:
    """满意度评价: 1 (very dissatisfied) to 5 (very satisfied), with an optional comment."""

    score: int
    comment: str = ""


@dataclass(frozen=True)
class ReassignQuestion:
    """转派: the question goes to the desk that must answer it (it_or_support, bureau, business_division)."""

    to: str
    reason: str
    business_division_id: str | None = None
