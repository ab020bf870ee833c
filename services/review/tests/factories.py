"""People and requirements for review's unit tests, shaped like the demo data (services/portal/seed.py)."""

from dataclasses import replace
from datetime import UTC, date, datetime

from services.review.domain import (
    ConfirmRequirement,
    ForwardRequirement,
    RefineRequirement,
    ReviewCase,
    confirm,
    forward,
    open_review_case,
    refine,
)
from shared.auth import BUSINESS_DIVISION, IT_DIVISION, REVIEWER, SUBMITTER, Principal
from shared.events import RequirementSubmitted
from shared.orgtree import division_path

NOW = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
TODAY = date(2026, 12, 1)
UNIT_PATH = ["150000", "150100", "150102", "bu-150102-01"]  # 新城区教育局, 呼和浩特市


def person(username: str, org_id: str, org_kind: str, division_code: str, roles: list[str]) -> Principal:
    return Principal(
        user_id=f"u-{username}",
        username=username,
        name=username,
        org_id=org_id,
        org_name=org_id,
        org_kind=org_kind,
        division_code=division_code,
        org_path=[*division_path(division_code), org_id],
        roles=roles,
    )


SUBMITTER_USER = person("submitter", "bu-150102-01", "budget_unit", "150102", [SUBMITTER])
COUNTY = person("county", "fb-150102", "finance_bureau", "150102", [REVIEWER, SUBMITTER])
NEIGHBOUR = person("neighbour", "fb-150103", "finance_bureau", "150103", [REVIEWER])  # same city, other county
COUNTY2 = person("county2", "fb-150202", "finance_bureau", "150202", [REVIEWER])  # 东河区, another city
CITY = person("city", "fb-150100", "finance_bureau", "150100", [REVIEWER])
CITY2 = person("city2", "fb-150200", "finance_bureau", "150200", [REVIEWER])  # 包头市
REGION = person("region", "fb-150000", "finance_bureau", "150000", [REVIEWER])
ITDIV = person("itdiv", "itd", "it_division", "150000", [IT_DIVISION])
BIZDIV = person("bizdiv", "bd-budget", "business_division", "150000", [BUSINESS_DIVISION])
TREASURY = person("treasury", "bd-treasury", "business_division", "150000", [BUSINESS_DIVISION])


def submitted(ticket_id: str = "REQ-202612-0001", *, round: int = 1, **overrides) -> RequirementSubmitted:
    fields = {
        "ticket_id": ticket_id,
        "category": "optimisation",
        "title": "指标查询增加导出功能",
        "description": "在指标查询界面增加按条件导出 Excel 的功能，便于核对年度指标。",
        "urgency": "normal",
        "module": "指标管理",
        "channel": "form",
        "submitter_id": SUBMITTER_USER.user_id,
        "submitter_name": "张敏",
        "org_id": "bu-150102-01",
        "org_name": "新城区教育局",
        "org_path": UNIT_PATH,
        "round": round,
    }
    return RequirementSubmitted(**{**fields, **overrides})


def new_case(ticket_id: str = "REQ-202612-0001", **overrides) -> ReviewCase:
    """Opened and saved: the opening events are no longer pending."""
    case = open_review_case(submitted(ticket_id, **overrides), submitted_month="2026-12", now=NOW)
    case.events.clear()
    return case


def at_level(level: str, ticket_id: str = "REQ-202612-0001") -> ReviewCase:
    case = new_case(ticket_id)
    for reviewer in {"county": [], "city": [COUNTY], "region": [COUNTY, CITY]}[level]:
        forward(case, ForwardRequirement(case.ticket_id), by=reviewer, now=NOW)
    case.events.clear()
    return case


def reviewed(ticket_id: str = "REQ-202612-0001") -> ReviewCase:
    """Every level recommended it: awaiting refinement (第六条二)."""
    case = at_level("region", ticket_id)
    forward(case, ForwardRequirement(case.ticket_id), by=REGION, now=NOW)
    case.events.clear()
    return case


def refined(ticket_id: str = "REQ-202612-0001", division: str = "bd-budget") -> ReviewCase:
    case = reviewed(ticket_id)
    refine(case, RefineRequirement(case.ticket_id, division), by=ITDIV, now=NOW)
    case.events.clear()
    return case


def confirmed(ticket_id: str = "REQ-202612-0001", *, adopted: bool = True) -> ReviewCase:
    case = refined(ticket_id)
    command = (
        ConfirmRequirement(case.ticket_id, True, expected_upgrade=date(2027, 3, 31))
        if adopted
        else ConfirmRequirement(case.ticket_id, False, reason="与现有导出功能重复，可使用通用导出")
    )
    confirm(case, command, by=BIZDIV, today=TODAY, now=NOW)
    case.events.clear()
    return case


def event_types(case: ReviewCase) -> list[str]:
    return [type(event).__name__ for event in case.events]


def copy(case: ReviewCase) -> ReviewCase:
    return replace(case, tasks=list(case.tasks), history=list(case.history), events=list(case.events))
