"""Cases, commands and people for dispatch's unit tests (no I/O)."""

from datetime import UTC, date, datetime

import pytest

from services.dispatch.domain import (
    DispatchCase,
    DispatchWorkOrder,
    ReportProgress,
    VerifyDelivery,
    dispatch_work_order,
    open_dispatch_case,
    report_progress,
    verify_delivery,
)
from shared.auth import Principal
from shared.events import Actor, RequirementConfirmed

NOW = datetime(2026, 12, 7, 2, 0, tzinfo=UTC)
TODAY = date(2026, 12, 7)
BIZDIV = Actor(user_id="u-bizdiv", name="冯涛", org_id="bd-budget", roles=["business_division"])
ITDIV = Actor(user_id="u-itdiv", name="郑洁", org_id="itd", roles=["it_division"])
VENDOR = Actor(user_id="u-vendor1", name="褚明", org_id="vendor-a", roles=["vendor"])
REQUESTER = Actor(user_id="u-submitter", name="张敏", org_id="bu-150102-01", roles=["submitter"])
ORG_PATH = ["150000", "150100", "150102", "bu-150102-01"]


def confirmed(ticket_id: str = "REQ-202612-0001", *, adopted: bool = True, urgency: str = "normal"):
    return RequirementConfirmed(
        ticket_id=ticket_id,
        adopted=adopted,
        reason="符合全区通用需求",
        business_division_id="bd-budget",
        expected_upgrade=date(2027, 3, 1),
        title="指标查询增加导出功能",
        description="在指标查询界面增加按条件导出 Excel 的功能。",
        category="optimisation",
        urgency=urgency,
        submitter_id=REQUESTER.user_id,
        org_path=ORG_PATH,
    )


def adopted_case(*, urgency: str = "normal", ticket_id: str = "REQ-202612-0001") -> DispatchCase:
    case = open_dispatch_case(confirmed(ticket_id, urgency=urgency), BIZDIV, NOW)
    case.events.clear()
    case.recorded.clear()
    return case


def dispatch_command(**overrides) -> DispatchWorkOrder:
    values = {
        "ticket_id": "REQ-202612-0001",
        "vendor_id": "vendor-a",
        "effort_days": 12.5,
        "planned_start": date(2026, 12, 8),
        "planned_delivery": date(2026, 12, 31),
        "priority": "P2",
    }
    return DispatchWorkOrder(**{**values, **overrides})


def dispatched_case(ticket_id: str = "REQ-202612-0001", **overrides) -> DispatchCase:
    case = adopted_case(ticket_id=ticket_id)
    dispatch_work_order(case, dispatch_command(**overrides), ITDIV, NOW)
    case.events.clear()
    return case


def report(case: DispatchCase, stage: str, version: str | None = None) -> bool:
    assert case.work_order is not None
    return report_progress(case, ReportProgress(case.work_order.id, stage, version), VENDOR, NOW)


def delivered_case() -> DispatchCase:
    case = dispatched_case()
    report(case, "delivered", "v2026.12.1")
    case.events.clear()
    return case


def verified_case(ticket_id: str = "REQ-202612-0001") -> DispatchCase:
    case = delivered_case()
    case.ticket_id = ticket_id
    verify_delivery(case, VerifyDelivery(ticket_id, passed=True, reason="导出功能验证正常"), REQUESTER, NOW)
    case.events.clear()
    return case


def rule(error: pytest.ExceptionInfo, code: str, field: str | None = None) -> None:
    """The domain error names its rule (and field), in Chinese with the English in brackets."""
    assert error.value.code == code
    assert error.value.field == field
    assert "(" in error.value.message, "Chinese message with English in brackets"


def principal(username: str, org_id: str, org_kind: str, org_path: list[str], roles: list[str], **extra) -> Principal:
    return Principal(
        user_id=f"u-{username}",
        username=username,
        name=username,
        org_id=org_id,
        org_name=org_id,
        org_kind=org_kind,
        division_code=org_path[-2],
        org_path=org_path,
        roles=roles,
        **extra,
    )


SUBMITTER = principal("submitter", "bu-150102-01", "budget_unit", ORG_PATH, ["submitter"])
SUBMITTER2 = principal("submitter2", "bu-150202-01", "budget_unit", ["150000", "150200", "150202", "x"], ["submitter"])
COUNTY = principal("county", "fb-150102", "finance_bureau", ["150000", "150100", "150102", "fb-150102"], ["reviewer"])
IT = principal("itdiv", "itd", "it_division", ["150000", "itd"], ["it_division"])
AUDITOR = principal("auditor", "itd", "it_division", ["150000", "itd"], ["auditor"])
VENDOR1 = principal("vendor1", "vendor-a", "vendor", ["150000", "vendor-a"], ["vendor"], vendor_id="vendor-a")
VENDOR2 = principal("vendor2", "vendor-b", "vendor", ["150000", "vendor-b"], ["vendor"], vendor_id="vendor-b")
