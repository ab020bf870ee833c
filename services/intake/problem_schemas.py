"""The problem forms as the API accepts them: one shape of details per category, with limits."""

from datetime import date
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from services.intake.problems import ProblemForm
from shared.events import BugDetails, Caller, ConfigurationDetails, ConsultingDetails, DataItem, DataRepairDetails
from shared.validation import field_error

Text = Annotated[str, StringConstraints(strip_whitespace=True)]
Short = Annotated[Text, StringConstraints(min_length=1, max_length=200)]
Long = Annotated[Text, StringConstraints(min_length=1, max_length=5000)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class BugForm(_Strict):
    """软件BUG: error text, steps, OS, browser and version (第十一条一2); screenshots as attachments."""

    kind: Literal["bug"]
    error_text: Long
    steps: Long
    os: Short
    browser: Short
    browser_version: Annotated[Text, StringConstraints(min_length=1, max_length=50)]
    business_impact: Annotated[Text, StringConstraints(max_length=2000)] = ""


class ConfigurationForm(_Strict):
    kind: Literal["configuration"]
    desired_configuration: Long
    effective_from: date | None = Field(None, description="从何时起生效，避免影响在途业务 (第七条)")


class DataItemForm(_Strict):
    item: Short
    before: Annotated[Text, StringConstraints(min_length=1, max_length=500)] = Field(description="修复前数据值")
    after: Annotated[Text, StringConstraints(min_length=1, max_length=500)] = Field(description="修复后数据值")


class DataRepairForm(_Strict):
    """数据修复 (第七条): scope, business year, items with values before and after, and the reason."""

    kind: Literal["data_repair"]
    scope: Long
    business_year: int = Field(ge=2015, le=2100)
    items: list[DataItemForm] = Field(min_length=1, max_length=200)
    reason: Long


class ConsultingForm(_Strict):
    kind: Literal["consulting"]
    question_type: Literal["software_operation", "business"]


Details = Annotated[BugForm | ConfigurationForm | DataRepairForm | ConsultingForm, Field(discriminator="kind")]
DETAILS = {
    "bug": BugDetails,
    "configuration": ConfigurationDetails,
    "data_repair": DataRepairDetails,
    "consulting": ConsultingDetails,
}


class ProblemCreate(_Strict):
    """问题上报表单 (第七条): the category decides the shape of `details`."""

    category: Literal["configuration", "data_repair", "bug", "consulting"]
    title: Annotated[Text, StringConstraints(min_length=2, max_length=100)]
    description: Annotated[Text, StringConstraints(min_length=5, max_length=5000)]
    urgent: bool = Field(False, description="急事急办、特事特办 (第十一条一)")
    module: Annotated[Text, StringConstraints(max_length=100)] = ""
    details: Details

    @model_validator(mode="after")
    def details_match_category(self) -> "ProblemCreate":
        if self.details.kind != self.category:
            where, kind = ("details", "kind"), self.details.kind
            raise field_error("ProblemCreate", where, "details_kind_mismatch", kind, expected=self.category)
        return self

    def form(self) -> ProblemForm:
        data = self.details.model_dump()
        if isinstance(self.details, DataRepairForm):
            data["items"] = [DataItem(**item) for item in data["items"]]
        details = DETAILS[self.category](**data)
        return ProblemForm(self.category, self.title, self.description, details, self.urgent, self.module)


class RecordedProblem(ProblemCreate):
    """A call to the 400 hotline or a message in the WeChat service group, recorded by the duty operator."""

    channel: Literal["hotline", "wechat_group"]
    org_id: Annotated[Text, StringConstraints(min_length=1, max_length=64)] = Field(description="来电单位")
    caller: Caller
