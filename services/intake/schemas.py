"""The requirement form as the API and the template spreadsheet accept it: types and limits."""

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from services.intake.domain import RequirementCategory, RequirementForm, Urgency

Text = Annotated[str, StringConstraints(strip_whitespace=True)]


class RequirementCreate(BaseModel):
    """需求提交表单 (第一条, 第二条)."""

    model_config = ConfigDict(extra="forbid")

    category: RequirementCategory = Field(description="需求类别: new 新增 / optimisation 优化完善 / report 统计报表")
    title: Annotated[Text, StringConstraints(min_length=2, max_length=100)] = Field(description="需求标题")
    description: Annotated[Text, StringConstraints(min_length=10, max_length=5000)] = Field(description="需求描述")
    business_scenario: Annotated[Text, StringConstraints(max_length=2000)] = ""
    expected_effect: Annotated[Text, StringConstraints(max_length=2000)] = ""
    urgency: Urgency = Urgency.NORMAL
    module: Annotated[Text, StringConstraints(max_length=100)] = ""
    local_justification: Annotated[Text, StringConstraints(max_length=2000)] = Field(
        "", description="个性化需求的必要性说明 (第一条)"
    )

    def form(self) -> RequirementForm:
        return RequirementForm(**self.model_dump())
