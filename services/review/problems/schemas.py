"""Request bodies of the problem procedure's HTTP API: unknown fields refused, every text limited.

Each step's body turns itself into the domain command (`command()`).
"""

from datetime import date
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from services.review.problems.domain import (
    AcceptAnswer,
    AnswerQuestion,
    AnswerRepairPlan,
    AskAgain,
    AskUser,
    CheckCompliance,
    ConfigureProblem,
    ConfirmProblem,
    ConfirmRepairForBusiness,
    EscalateQuestion,
    Link,
    MarkFixReleased,
    PlanRepair,
    RecordBackup,
    RecordRepair,
    RefineProblem,
    ReplyToQuestion,
    ReproduceProblem,
    ReviewRepair,
    VerifyResult,
)
from services.review.problems.domain.commands import ClaimCase, RateService, ReassignQuestion
from shared.links import WebLink

Text = Annotated[str, StringConstraints(strip_whitespace=True, max_length=5000)]
Short = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)]
Required = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=5000)]
Id = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[A-Za-z0-9_-]{1,64}$")]


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class LinkBody(Body):
    """A manual, a video or a guide: http(s) only, so a link can never run script in the browser."""

    title: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    url: WebLink
    kind: Literal["manual", "video", "guide", "other"] = "manual"

    def link(self) -> Link:
        return Link(self.title, self.url, self.kind)


Links = Annotated[list[LinkBody], Field(max_length=20)]


class RefineBody(Body):
    """梳理细化: for a bug, the error, steps, OS and browser as confirmed (omitted: as reported)."""

    notes: Text = ""
    error_text: Text | None = None
    steps: Text | None = None
    os: Short | None = None
    browser: Short | None = None
    browser_version: Short | None = None

    def command(self) -> RefineProblem:
        return RefineProblem(**self.model_dump())


class ReproduceBody(Body):
    reproduced: bool
    notes: Text = ""
    question: Text = Field("", description="未能复现时：需要用户补充的信息（必填）")

    def command(self) -> ReproduceProblem:
        return ReproduceProblem(**self.model_dump())


class ReplyBody(Body):
    reply: Required

    def command(self) -> ReplyToQuestion:
        return ReplyToQuestion(self.reply)


class ConfirmBody(Body):
    requirements: Text = Field("", description="数据问题处理要求或标准 (第十一条一4)")

    def command(self) -> ConfirmProblem:
        return ConfirmProblem(self.requirements)


class ReleaseBody(Body):
    version: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=50)]
    note: Text = ""

    def command(self) -> MarkFixReleased:
        return MarkFixReleased(self.version, self.note)


class VerifyBody(Body):
    passed: bool
    reason: Text = Field("", description="未通过时必填")

    def command(self) -> VerifyResult:
        return VerifyResult(self.passed, self.reason)


class ComplianceBody(Body):
    compliant: bool
    reason: Text = Field("", description="不符合规范时必填（至少 10 个字），将答复用户")
    business_division_id: Id | None = Field(None, description="共同论证的归口业务处室；业务处室办理时可省略")

    def command(self) -> CheckCompliance:
        return CheckCompliance(self.compliant, self.reason, self.business_division_id)


class ConfigureBody(Body):
    change: Required
    effective_from: date = Field(description="生效日期 (第七条 明确时间节点)")

    def command(self) -> ConfigureProblem:
        return ConfigureProblem(self.change, self.effective_from)


class RepairReviewBody(Body):
    approved: bool
    opinion: Text = Field("", description="不同意时必填（至少 10 个字）")

    def command(self) -> ReviewRepair:
        return ReviewRepair(self.approved, self.opinion)


class BusinessConfirmationBody(Body):
    confirmed: bool
    reason: Text = ""

    def command(self) -> ConfirmRepairForBusiness:
        return ConfirmRepairForBusiness(self.confirmed, self.reason)


class RepairPlanBody(Body):
    """数据修复方案 (第十一条三4)."""

    business_stage: Required = Field(description="业务办理环节")
    data_type: Required = Field(description="所属数据类型")
    upstream_downstream: Required = Field(description="上下游逻辑关系")
    affected_reports: list[Short] = Field(min_length=1, max_length=100, description="受影响报表")
    monitoring_rules: Required = Field(description="相关监控规则")
    steps: Text = Field("", description="修复步骤")

    def command(self) -> PlanRepair:
        return PlanRepair(**{**self.model_dump(), "affected_reports": tuple(self.affected_reports)})


class PlanAnswerBody(Body):
    accepted: bool
    reason: Text = Field("", description="不同意时必填")

    def command(self) -> AnswerRepairPlan:
        return AnswerRepairPlan(self.accepted, self.reason)


class BackupBody(Body):
    reference: Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=500)]
    sha256: Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[0-9a-fA-F]{64}$")]

    def command(self) -> RecordBackup:
        return RecordBackup(self.reference, self.sha256)


class RepairedBody(Body):
    note: Text = ""

    def command(self) -> RecordRepair:
        return RecordRepair(self.note)


class EscalateBody(Body):
    reason: Required
    business_division_id: Id | None = None

    def command(self) -> EscalateQuestion:
        return EscalateQuestion(self.reason, self.business_division_id)


class ClaimBody(Body):
    reason: Text = Field("", description="接手同事正在办理的问题时必填：原因")

    def command(self) -> ClaimCase:
        return ClaimCase(self.reason)


class RateBody(Body):
    score: int = Field(ge=1, le=5, description="满意度：1 非常不满意 … 5 非常满意")
    comment: Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)] = ""

    def command(self) -> RateService:
        return RateService(self.score, self.comment)


class ReassignBody(Body):
    to: Literal["it_or_support", "bureau", "business_division"] = Field(
        description="转派给：信息化处或技术支持服务团队 / 提出单位的本级财政部门 / 自治区归口业务处室"
    )
    reason: Required = Field(description="转派原因，至少 10 个字")
    business_division_id: Id | None = None

    def command(self) -> ReassignQuestion:
        return ReassignQuestion(self.to, self.reason, self.business_division_id)


class AskUserBody(Body):
    question: Required

    def command(self) -> AskUser:
        return AskUser(self.question)


class AnswerBody(Body):
    answer: Required
    links: Links = []

    def command(self) -> AnswerQuestion:
        return AnswerQuestion(self.answer, tuple(link.link() for link in self.links))


class AcceptBody(Body):
    note: Short = ""

    def command(self) -> AcceptAnswer:
        return AcceptAnswer()


class AskAgainBody(Body):
    question: Required

    def command(self) -> AskAgain:
        return AskAgain(self.question)


FaqCategory = Literal["software_operation", "business", "general"]
Question = Annotated[str, StringConstraints(strip_whitespace=True, min_length=2, max_length=500)]
Answer = Annotated[str, StringConstraints(strip_whitespace=True, min_length=2, max_length=10000)]


class FaqBody(Body):
    """An FAQ entry written fresh or revised (第七条)."""

    question: Question
    answer: Answer
    category: FaqCategory = "software_operation"
    module: Short = ""
    links: Links = []


class PromoteBody(Body):
    """Promote a consulting answer to the FAQ; omitted texts are taken from the case and its answer."""

    question: Question | None = None
    answer: Answer | None = None
    category: FaqCategory | None = None
    module: Short | None = None
    links: Links | None = None
