"""The dashboards in headless Chromium: the figures page shows what GET /api/dashboard and review's SLA figures
answer for the same user and exports them as a real .xlsx; the SLA board lists a problem just reported with
its due time; each role's 工作台 shows its to-do counts and a chart."""

import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from services.review.problems.tests.support import consulting
from services.review.problems.tests.support import report as report_problem
from tests.support import Api, eventually, requirement

pytestmark = pytest.mark.e2e
BEIJING = ZoneInfo("Asia/Shanghai")


def pct(rate: float | None) -> float | None:
    return None if rate is None else round(rate * 100, 2)


def shown(rate: float | None) -> str:
    value = pct(rate)
    return "—" if value is None else f"{value:g}%"


def settled_dashboard(api: Api, user: str, ticket_id: str) -> dict:
    """The user's dashboard once the ticket just submitted has reached the portal's read model and two
    reads a second apart agree (events of earlier tests may still be reaching the read model)."""
    last: dict = {}

    def probe() -> dict | None:
        tickets = api.get("portal", "/api/tickets", as_user=user, params={"ticket_id": ticket_id}).json()
        if not (tickets and tickets[0].get("status")):
            return None
        figures = api.get("portal", "/api/dashboard", as_user=user).json()
        settled = figures == last.get("figures")
        last["figures"] = figures
        return figures if settled else None

    return eventually(probe, timeout=60, interval=1.0, what=f"{ticket_id} counted in {user}'s settled dashboard")


def sla_figures(api: Api, months: list[str]) -> dict[str, dict]:
    return {
        month: api.get("review", "/api/problems-sla/figures", as_user="itdiv", params={"month": month}).json()
        for month in months
    }


def test_dashboard_shows_the_api_figures_and_exports_the_same_numbers_to_xlsx(ui, api: Api, tmp_path) -> None:
    submitted = api.post("intake", "/api/requirements", as_user="submitter", json=requirement(title="统计分析页面"))
    assert submitted.status_code == 201, submitted.text
    it = ui("itdiv")
    # The page and its export are compared with the APIs read just before; when a late event of another
    # test moved a figure while the page loaded, the comparison is taken again.
    for _attempt in range(3):
        figures = settled_dashboard(api, "itdiv", submitted.json()["id"])
        months = [row["key"] for row in figures["by_month"]][-12:]
        sla = sla_figures(api, months)
        page = it.open("/dashboard")
        expect(page.locator("[data-test=figure-total]")).to_have_text(str(figures["total"]), timeout=20_000)
        with page.expect_download() as download:
            page.locator("[data-test=export-xlsx]").click()
        if api.get("portal", "/api/dashboard", as_user="itdiv").json() == figures and sla_figures(api, months) == sla:
            break
    else:
        pytest.fail("the dashboard's figures kept changing while the page loaded")

    expect(page.locator("[data-test=figure-adoption]")).to_have_text(shown(figures["adoption"]["rate"]))
    for key in ("byCategory", "byStatus", "byRegion", "byMonth", "stages", "sla", "vendors"):
        expect(page.locator(f"[data-test=chart-{key}] canvas")).to_be_visible()
    latest = sla[months[-1]]["consulting"]
    expect(page.locator("[data-test=figure-two-hour]")).to_have_text(shown(latest["two_hour_response_rate"]))
    expect(page.locator("[data-test=figure-same-day-resolution]")).to_have_text(
        shown(latest["same_day_resolution_rate"])
    )
    it.screenshot("dashboard-it-division")

    path = tmp_path / download.value.suggested_filename
    download.value.save_as(path)
    assert path.suffix == ".xlsx"
    workbook = load_workbook(path)
    sheets = {sheet.title: list(sheet.iter_rows(values_only=True)) for sheet in workbook}
    assert list(sheets) == [
        "按类别",
        "按状态",
        "按审核层级",
        "按盟市",
        "按月份",
        "需求采纳",
        "各环节用时（天）",
        "问题响应与办结（第十一条四）",
        "开发公司按期交付率",
    ]
    body = {title: rows[1:] for title, rows in sheets.items()}
    assert sheets["按类别"][0] == ("类别", "数量")
    assert [row[1] for row in body["按类别"]] == [row["count"] for row in figures["by_category"]]
    assert [row[1] for row in body["按状态"]] == [row["count"] for row in figures["by_status"]]
    assert [row[1] for row in body["按审核层级"]] == [row["count"] for row in figures["by_level"]]
    assert body["按盟市"] == [(row["name"], row["count"]) for row in figures["by_region"]]
    assert body["按月份"] == [(row["key"], row["count"]) for row in figures["by_month"]]
    adoption = figures["adoption"]
    assert body["需求采纳"] == [(adoption["adopted"], adoption["declined"], adoption["decided"], pct(adoption["rate"]))]
    assert [row[1:] for row in body["各环节用时（天）"]] == [
        (row["count"], row["average_days"], row["median_days"]) for row in figures["stages"]
    ]
    assert body["问题响应与办结（第十一条四）"] == [
        (
            month,
            sla[month]["consulting"]["reported"],
            pct(sla[month]["consulting"]["two_hour_response_rate"]),
            pct(sla[month]["consulting"]["same_day_response_rate"]),
            pct(sla[month]["consulting"]["same_day_resolution_rate"]),
            sla[month]["satisfaction"]["average_score"],
            pct(sla[month]["satisfaction"]["satisfied_rate"]),
        )
        for month in months
    ]
    assert body["开发公司按期交付率"] == [
        (row["name"], row["on_time"], row["late"], row["overdue"], row["not_due"], pct(row["rate"]))
        for row in figures["vendors"]
    ]


def satisfaction_shown(figures: dict) -> str:
    return "—" if not figures["rated"] else f"{figures['average_score']:g} 分"


def test_journey_a_satisfaction_rating_given_on_a_closed_problem_shows_on_the_dashboard(ui, api: Api) -> None:
    ticket_id = report_problem(api, consulting("满意度：如何修改单位联系人电话"))
    act = f"/api/problem-cases/{ticket_id}"
    eventually(lambda: api.get("review", act, as_user="itdiv").status_code == 200, what="the case opened")
    answer = {"answer": "在 系统管理 → 单位信息 中修改联系人电话后保存。"}
    assert api.post("review", f"{act}/answer", as_user="itdiv", json=answer).status_code == 200
    assert api.post("review", f"{act}/accept", as_user="submitter", json={}).status_code == 200

    unit = ui("submitter")
    page = unit.open(f"/tickets/{ticket_id}")
    page.locator("[data-test=step-rate]").click()
    dialog = page.get_by_role("dialog")
    dialog.locator("[data-test=score] .el-rate__item").nth(3).click()  # four stars: 满意
    expect(dialog.locator("[data-test=score]")).to_contain_text("满意")
    dialog.get_by_label("评价意见（选填）").fill("答复及时，步骤清楚")
    dialog.locator("[data-test=step-submit]").click()
    expect(dialog).to_be_hidden()
    expect(page.locator("[data-test=rating]")).to_contain_text("4 星", timeout=20_000)
    expect(page.locator("[data-test=rating]")).to_contain_text("答复及时，步骤清楚")
    unit.screenshot("unit-problem-rated")

    month = api.get("review", act, as_user="itdiv").json()["opened_month"]
    it = ui("itdiv")
    for _attempt in range(3):  # another test's rating may land while the page loads: compare again
        expected = sla_figures(api, [month])[month]["satisfaction"]
        assert expected["rated"] >= 1
        page = it.open("/dashboard")
        card = page.locator("[data-test=figure-satisfaction]")
        expect(card).not_to_have_text("—", timeout=20_000)
        if card.inner_text() == satisfaction_shown(expected):
            break
    else:
        pytest.fail(f"the dashboard shows {card.inner_text()}, the API {expected}")
    expect(page.get_by_text(f"{expected['rated']} 条评价")).to_be_visible()


def test_sla_board_lists_a_just_reported_problem_with_its_due_time(ui, api: Api) -> None:
    ticket_id = report_problem(api, consulting("SLA看板：如何查询退库进度"))
    case = api.get("review", f"/api/problem-cases/{ticket_id}", as_user="itdiv").json()
    due = datetime.fromisoformat(case["sla"]["response_due_at"]).astimezone(BEIJING)

    duty = ui("duty")
    page = duty.open("/sla-board")
    row = page.locator("[data-test=sla-board] tr", has_text=ticket_id)
    expect(row).to_be_visible(timeout=20_000)
    expect(row.locator("[data-test=response-due]")).to_contain_text(f"{due.year}/{due.month}/{due.day}")
    expect(row.locator("[data-test=response-due]")).to_contain_text(f"{due:%H:%M}")
    expect(row.locator("[data-test=sla-state]")).to_have_text("正常")
    open_cases = api.get("review", "/api/problem-ledger", as_user="duty", params={"status": "open", "limit": 500})
    assert ticket_id in {c["_id"] for c in open_cases.json()}
    expect(page.locator("[data-test=sla-open]")).not_to_have_text("0")
    # The cards count every open case of the area (review's counters), not the rows of the page shown.
    counted = api.get("review", "/api/problems-sla/open", as_user="duty").json()
    assert counted["open"] >= 1 and set(counted["by_state"]) == {"on_track", "warning", "paused", "breached"}
    expect(page.locator("[data-test=sla-open]")).to_have_text(str(counted["open"]))
    expect(page.locator("[data-test=sla-board] tbody tr")).to_have_count(min(counted["open"], 50))
    expect(page.locator("[data-test=gauge-two-hour] canvas")).to_be_visible()
    duty.screenshot("sla-board")


@pytest.mark.parametrize(
    ("user", "role", "todo", "path"),
    [
        ("county", "reviewer", "review", "/review"),
        ("itdiv", "it-division", "refinement", "/refinement"),
        ("bizdiv", "business-division", "confirmation", "/confirmation"),
        ("submitter", "unit", "verifications", "/verifications"),
        ("vendor1", "vendor", "vendorOrders", "/work-orders"),
        ("duty", "duty-operator", "problems", "/problem-desk"),
        ("auditor", "auditor", "openProblems", "/sla-board"),
    ],
)
def test_home_is_each_roles_overview(ui, api: Api, user: str, role: str, todo: str, path: str) -> None:
    session = ui(user)
    page = session.page
    card = page.locator(f"[data-test=todo-{todo}]")
    expect(card).to_have_attribute("href", path)
    expect(card.locator(".figure")).to_have_text(re.compile(r"^\d+\+?$"), timeout=20_000)
    expect(page.locator("[data-test=chart-status] canvas")).to_be_visible()
    if user == "county":
        # The count is the review queue's length; a late review task of an earlier test may still arrive,
        # so the page is read again until it agrees with the queue read just before.
        def agrees() -> bool:
            queue = api.get("review", "/api/review-tasks", as_user="county", params={"limit": 500}).json()
            page.reload()
            expect(card.locator(".figure")).to_have_text(re.compile(r"^\d+\+?$"), timeout=20_000)
            return card.locator(".figure").inner_text() == str(len(queue))

        eventually(agrees, interval=1.0, what="the review-queue count on the county's home")
    session.screenshot(f"home-{role}")
    card.click()
    page.wait_for_url(f"**{path}")
