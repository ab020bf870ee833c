"""The dashboard's figures (GET /api/dashboard) follow tickets driven through every service: a budget body of
the region (the bank) submits three requirements and reports a problem; one requirement goes all the way
to release on time, one is dispatched with a planned delivery already past, one is declined.

Other tests of the session may add tickets of the same organisation, so the checks are on the increase of
each figure from before this test's tickets to after (the session's tests run one after another)."""

from datetime import timedelta

import pytest

from infra.launcher import Stack
from services.dispatch.tests.support import today
from services.review.problems.tests.support import consulting, done
from services.review.problems.tests.support import report as report_problem
from tests.support import Api, eventually, requirement

pytestmark = pytest.mark.e2e
READER = "bank"  # fi-150000-abc: reviewed by the region alone (第三条)


def dashboard(api: Api, as_user: str = READER, **params) -> dict:
    response = api.get("portal", "/api/dashboard", as_user=as_user, params=params)
    assert response.status_code == 200, response.text
    return response.json()


def counts(rows: list[dict]) -> dict[str, int]:
    return {row["key"]: row["count"] for row in rows}


def summary(figures: dict) -> dict:
    """The countable figures of a dashboard, flat, so that two can be subtracted."""
    flat = {"total": figures["total"]}
    for name in ("by_category", "by_status", "by_level", "by_region", "by_month"):
        flat |= {f"{name}.{key}": value for key, value in counts(figures[name]).items()}
    flat |= {f"adoption.{key}": figures["adoption"][key] for key in ("adopted", "declined", "decided")}
    flat |= {f"stages.{row['key']}": row["count"] for row in figures["stages"]}
    for row in figures["vendors"]:
        flat |= {f"vendors.{row['vendor_id']}.{key}": row[key] for key in ("on_time", "late", "overdue", "not_due")}
    return flat


def increase(before: dict, after: dict) -> dict:
    changed = {key: after.get(key, 0) - before.get(key, 0) for key in before.keys() | after.keys()}
    return {key: value for key, value in changed.items() if value}


def submit(api: Api, title: str, category: str) -> str:
    response = api.post("intake", "/api/requirements", as_user=READER, json=requirement(title=title, category=category))
    assert response.status_code == 201, response.text
    return response.json()["id"]


def listed(api: Api, service: str, path: str, user: str, ticket_id: str, key: str = "_id") -> bool:
    rows = api.get(service, path, as_user=user, params={"limit": 500}).json()
    return any(row.get(key) == ticket_id for row in rows)


def step(api: Api, service: str, path: str, user: str, body: dict, expect: int = 200) -> dict:
    response = api.post(service, path, as_user=user, json=body)
    assert response.status_code == expect, f"{path}: {response.text}"
    return response.json()


def to_confirmation(api: Api, ticket_id: str) -> None:
    """Reviewed by the region (its only level), refined by the IT division, routed to the budget division."""
    eventually(lambda: listed(api, "review", "/api/review-tasks", "region", ticket_id), what=f"{ticket_id} in review")
    step(api, "review", f"/api/review-tasks/{ticket_id}/forward", "region", {"opinion": "建议实现"})
    eventually(
        lambda: listed(api, "review", "/api/refinement-queue", "itdiv", ticket_id), what=f"{ticket_id} to refine"
    )
    step(api, "review", f"/api/refinement/{ticket_id}", "itdiv", {"business_division_id": "bd-budget"})
    eventually(
        lambda: listed(api, "review", "/api/confirmation-queue", "bizdiv", ticket_id), what=f"{ticket_id} to confirm"
    )


def dispatched(api: Api, ticket_id: str, start: str, delivery: str) -> str:
    eventually(
        lambda: listed(api, "dispatch", "/api/dispatch-queue", "itdiv", ticket_id, key="ticket_id"),
        what=f"{ticket_id} in the dispatch queue",
    )
    plan = {"ticket_id": ticket_id, "vendor_id": "vendor-b", "priority": "P2", "effort_days": 5}
    body = plan | {"planned_start": start, "planned_delivery": delivery}
    return step(api, "dispatch", "/api/work-orders", "itdiv", body, expect=201)["id"]


def test_dashboard_figures_follow_tickets_through_every_service(api: Api, stack: Stack) -> None:
    before = summary(eventually(lambda: dashboard(api), what="the dashboard"))
    day = today(stack)
    month = f"{day:%Y-%m}"

    released = submit(api, "统计分析：指标导出", "new")
    overdue = submit(api, "统计分析：支付查询优化", "optimisation")
    declined = submit(api, "统计分析：个性化报表", "report")
    for ticket_id in (released, overdue, declined):
        to_confirmation(api, ticket_id)
    step(api, "review", f"/api/confirmation/{released}", "bizdiv", {"decision": "adopt"})
    step(api, "review", f"/api/confirmation/{overdue}", "bizdiv", {"decision": "adopt"})
    step(api, "review", f"/api/confirmation/{declined}", "bizdiv", {"decision": "decline", "reason": "仅适用于本单位"})

    # 第六条五、六: one work order delivered on time; one whose planned delivery has already passed.
    on_time = dispatched(api, released, day.isoformat(), (day + timedelta(days=10)).isoformat())
    dispatched(api, overdue, (day - timedelta(days=20)).isoformat(), (day - timedelta(days=10)).isoformat())
    step(api, "dispatch", f"/api/work-orders/{on_time}/progress", "vendor2", {"stage": "delivered", "version": "V9.1"})
    eventually(
        lambda: listed(api, "dispatch", "/api/verifications", READER, released, key="ticket_id"),
        what="the delivery waiting for the bank's verification",
    )
    step(api, "dispatch", f"/api/verifications/{released}", READER, {"outcome": "passed", "reason": "功能符合需求。"})
    release = {"version": "V9.1", "release_date": day.isoformat(), "title": "统计分析升级", "ticket_ids": [released]}
    eventually(
        lambda: api.post("dispatch", "/api/releases", as_user="itdiv", json=release).status_code == 201,
        what="the release accepted once the verification reached dispatch",
    )

    # A consulting question answered and accepted the same day (第十一条四).
    problem = report_problem(api, consulting("统计分析：如何导出台账"), as_user=READER)
    done(api, "itdiv", problem, "answer", answer="在问题台账页面点击导出 Excel。")
    done(api, READER, problem, "accept")

    expected = {
        "total": 4,
        "by_category.new": 1,
        "by_category.optimisation": 1,
        "by_category.report": 1,
        "by_category.consulting": 1,
        "by_status.released": 1,
        "by_status.dispatched": 1,
        "by_status.declined": 1,
        "by_status.closed": 1,
        "by_level.region": 3,
        "by_region.150000": 4,
        f"by_month.{month}": 4,
        "adoption.adopted": 2,
        "adoption.declined": 1,
        "adoption.decided": 3,
        "stages.review": 3,
        "stages.refinement": 3,
        "stages.confirmation": 3,
        "stages.until_dispatch": 2,
        "stages.development": 1,
        "stages.verification": 1,
        "stages.release": 1,
        "stages.problem_resolution": 1,
        "vendors.vendor-b.on_time": 1,
        "vendors.vendor-b.overdue": 1,
    }
    eventually(
        lambda: increase(before, summary(dashboard(api))) == expected,
        timeout=60,
        what="the dashboard counting this test's tickets",
    )

    figures = dashboard(api)
    assert "自治区本级" in {row["name"] for row in figures["by_region"]}
    vendor_b = next(row for row in figures["vendors"] if row["vendor_id"] == "vendor-b")
    counted = vendor_b["on_time"] + vendor_b["late"] + vendor_b["overdue"]
    assert vendor_b["rate"] == round(vendor_b["on_time"] / counted, 4)
    assert figures["adoption"]["rate"] == round(figures["adoption"]["adopted"] / figures["adoption"]["decided"], 4)
    assert all(row["average_days"] >= 0 for row in figures["stages"] if row["count"])

    # The month range and the kind filter: this month's problems hold the consulting question.
    problems = dashboard(api, **{"from": month, "to": month, "kind": "problem"})
    assert counts(problems["by_category"]).get("consulting", 0) >= 1 and "new" not in counts(problems["by_category"])
    assert problems["by_month"] == [{"key": month, "count": problems["total"]}]
    # The region's IT division sees them too; another area does not.
    assert dashboard(api, "itdiv")["total"] >= figures["total"]
    assert summary(dashboard(api, "county2")).get("by_region.150000", 0) == 0


@pytest.mark.parametrize(
    ("params", "field"),
    [({"from": "2026-13"}, "from"), ({"to": "26-12"}, "to"), ({"from": "2026-12", "to": "2026-01"}, "from"),
     ({"kind": "vendor"}, "kind")],
)  # fmt: skip
def test_bad_dashboard_filters_answer_422_naming_the_field(api: Api, params: dict, field: str) -> None:
    response = api.get("portal", "/api/dashboard", as_user="itdiv", params=params)
    assert response.status_code == 422, response.text
    assert response.json()["detail"][0]["field"] == field


def test_vendors_have_no_dashboard(api: Api) -> None:
    assert api.get("portal", "/api/dashboard", as_user="vendor1").status_code == 403
