"""Events of the problem procedure (Chapter 2, 第七条–第十一条): problems reported at any time (第十条)
from every channel (第九条), by users of the budget system and related bodies such as banks (第八条)."""

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from shared.events.base import Event

ProblemCategory = Literal["configuration", "data_repair", "bug", "consulting"]


class _Details(BaseModel):
    model_config = ConfigDict(extra="forbid")


class BugDetails(_Details):
    """软件BUG (第十一条一2): what the IT division needs to reproduce it."""

    kind: Literal["bug"] = "bug"
    error_text: str
    steps: str
    os: str
    browser: str
    browser_version: str
    business_impact: str = ""


class ConfigurationDetails(_Details):
    """功能配置 (第七条): the configuration wanted and from when, so business in progress is not disturbed."""

    kind: Literal["configuration"] = "configuration"
    desired_configuration: str
    effective_from: date | None = None


class DataItem(_Details):
    item: str
    before: str
    after: str


class DataRepairDetails(_Details):
    """数据修复 (第七条): scope, business year, data items with values before and after, and the reason."""

    kind: Literal["data_repair"] = "data_repair"
    scope: str
    business_year: int
    items: list[DataItem]
    reason: str


class ConsultingDetails(_Details):
    """操作咨询 (第七条, 第十一条四): a software-operation or a business question."""

    kind: Literal["consulting"] = "consulting"
    question_type: Literal["software_operation", "business"]


ProblemDetails = BugDetails | ConfigurationDetails | DataRepairDetails | ConsultingDetails


class Caller(_Details):
    """Who called the 400 hotline or wrote in the WeChat service group (第九条)."""

    name: str
    phone: str = ""


class ProblemReported(Event):
    """A problem was reported (第十条: at any time); `details` depends on the category."""

    ticket_id: str
    category: ProblemCategory
    title: str
    description: str
    urgent: bool = False
    module: str = ""
    channel: Literal["form", "hotline", "wechat_group"]
    details: ProblemDetails = Field(discriminator="kind")
    submitter_id: str
    submitter_name: str
    org_id: str
    org_name: str
    org_kind: str
    org_path: list[str]
    recorded_by: str | None = Field(None, description="the duty operator who recorded it for a caller")
    caller: Caller | None = None
