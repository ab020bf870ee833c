"""Request bodies of review's HTTP API: unknown fields are refused, every text has a length limit."""

from datetime import date
from typing import Annotated, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from services.review.domain import DETAILED_REASON_MIN, RETURN_REASON_MIN, ReviewAction
from shared.validation import field_error

TicketId = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[A-Za-z0-9:_-]{1,64}$")]
Month = Annotated[str, StringConstraints(pattern=r"^\d{4}-(0[1-9]|1[0-2])$")]
Opinion = Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)]


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ForwardBody(Body):
    """建议实现，报送上级复核 (第六条一)."""

    opinion: Opinion = Field("", description="审核意见（可选）")


class RejectBody(Body):
    """不予实现 (第六条一): the reason must be detailed."""

    reason: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=DETAILED_REASON_MIN, max_length=2000)
    ] = Field(description="驳回理由（详细描述，至少 10 个字）")


class ReturnBody(Body):
    """退回修改: what the submitter must amend."""

    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=RETURN_REASON_MIN, max_length=2000)]


class BatchReviewBody(Body):
    """One action on up to 100 requirements; `reason` as for a single reject / return."""

    ticket_ids: list[TicketId] = Field(min_length=1, max_length=100)
    action: ReviewAction
    opinion: Opinion = ""
    reason: Opinion = ""

    @model_validator(mode="after")
    def reason_fits_action(self) -> Self:
        minimum = {"reject": DETAILED_REASON_MIN, "return": RETURN_REASON_MIN}.get(self.action, 0)
        if len(self.reason) < minimum:  # the rule of a single reject / return (第六条一), before anything is applied
            raise field_error("BatchReviewBody", ("reason",), "string_too_short", self.reason, min_length=minimum)
        self.ticket_ids = list(dict.fromkeys(self.ticket_ids))
        return self


class RefineBody(Body):
    """梳理细化 (第六条二): omitted texts stay as submitted."""

    business_division_id: Annotated[str, StringConstraints(strip_whitespace=True, max_length=64)] = Field(
        description="归口业务处室, e.g. bd-budget"
    )
    title: Annotated[str, StringConstraints(strip_whitespace=True, min_length=2, max_length=100)] | None = None
    description: Annotated[str, StringConstraints(strip_whitespace=True, min_length=10, max_length=5000)] | None = None
    module: Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)] | None = None
    notes: Opinion = Field("", description="梳理说明")


class MergeBody(Body):
    into: TicketId = Field(description="the requirement this duplicate joins")
    reason: Opinion = ""


class SplitPartBody(Body):
    """One requirement of a split; its texts are checked by the domain (like a refinement's), which names a
    wrong one by its place, e.g. `parts.1.title`."""

    title: Annotated[str, StringConstraints(max_length=1000)] = Field(description="需求标题（2～100 字）")
    description: Annotated[str, StringConstraints(max_length=20000)] = Field(description="需求描述（10～5000 字）")
    module: Annotated[str, StringConstraints(max_length=1000)] = Field("", description="功能模块（可选）")


class SplitBody(Body):
    """拆分 (第六条二): 2–10 parts, each refined, confirmed, published, dispatched and verified on its own."""

    parts: list[SplitPartBody] = Field(min_length=2, max_length=10)
    reason: Opinion = Field("", description="拆分理由")


class ConfirmBody(Body):
    """需求确认 (第六条三): adopt (expected upgrade date optional) or decline (reason required)."""

    decision: Literal["adopt", "decline"]
    reason: Opinion = Field("", description="不予采纳原因（decline 时必填）")
    expected_upgrade: date | None = Field(None, description="预计升级时间（adopt 时可填）")


class PublicationBody(Body):
    """需求公示 (第六条四): all confirmed, unpublished requirements — or those listed — for `month`."""

    month: Month = Field(description="公示月份 YYYY-MM")
    ticket_ids: list[TicketId] = Field(default_factory=list, max_length=500)
    submitted_month: Month | None = Field(None, description="only requirements submitted in this month")
