"""The bureaus' and the IT division's requirement workspaces in headless Chromium: the review queue's filters
and due dates (decision 0009), merging duplicates in refinement (第六条二), the vendor progress board
(第六条五、六) and the publication board everyone reads (第六条四).

What a journey needs before its browser part (submissions, earlier levels' reviews, confirmations) goes
through the API, as the cross-service tests do."""

import re
from uuid import uuid4

import pytest
from playwright.sync_api import expect

from infra.launcher import Stack
from services.review.tests.test_review_flow_e2e import queued, reviewed_by_every_level, submitted_for_review
from services.review.tests.test_review_queue_e2e import backdate
from tests.support import Api, eventually, requirement

pytestmark = pytest.mark.e2e

MONTH = "2026-12"


def marker() -> str:
    """A word no other test's titles contain, so a filter narrows to this test's requirements."""
    return f"旅程{uuid4().hex[:6]}"


def refined(api: Api, title: str) -> str:
    ticket_id = reviewed_by_every_level(api, title)
    body = {"business_division_id": "bd-budget", "module": "指标管理"}
    assert api.post("review", f"/api/refinement/{ticket_id}", as_user="itdiv", json=body).status_code == 200
    return ticket_id


def confirmed(api: Api, title: str, **decision) -> str:
    ticket_id = refined(api, title)
    response = api.post("review", f"/api/confirmation/{ticket_id}", as_user="bizdiv", json=decision)
    assert response.status_code == 200, response.text
    return ticket_id


def test_journey_duplicate_requirements_merged_in_refinement(ui, api: Api) -> None:
    word = marker()
    original = reviewed_by_every_level(api, f"{word} 资产卡片增加批量打印")
    duplicate = reviewed_by_every_level(api, f"{word} 资产卡片批量打印")

    it = ui("itdiv")
    page = it.open("/refinement")
    row = page.locator("[data-test=refinement-queue] tr", has_text=duplicate)
    expect(row).to_be_visible(timeout=20_000)
    row.get_by_role("button", name="合并").click()
    page.locator("[data-test=merge-into]").click()
    page.get_by_role("option", name=re.compile(original)).click()
    expect(page.get_by_role("option", name=re.compile(original))).to_be_hidden()
    page.get_by_label("合并理由").fill("与需求 " + original + " 内容相同，统一按原需求梳理。")
    expect(page.locator("[data-test=merge]")).to_be_enabled()
    it.screenshot("it-division-merge")
    page.locator("[data-test=merge]").click()
    expect(page.get_by_text(f"已合并到 {original}")).to_be_visible()
    expect(page.locator("[data-test=refinement-queue] tr", has_text=duplicate)).to_have_count(0)
    expect(page.locator("[data-test=refinement-queue] tr", has_text=original)).to_be_visible()

    page = it.open(f"/tickets/{duplicate}")
    expect(page.locator("[data-test=timeline]")).to_contain_text("合并", timeout=20_000)
    case = api.get("review", f"/api/review-cases/{duplicate}", as_user="itdiv").json()
    assert (case["status"], case["merged_into"]) == ("merged", original)


def test_journey_county_review_queue_filters_and_due_dates(ui, api: Api, stack: Stack) -> None:
    word = marker()
    normal = submitted_for_review(api, f"{word} 工资发放增加银行回单查询")
    body = requirement(title=f"{word} 紧急：支付凭证增加电子签章", urgency="urgent")
    urgent = api.post("intake", "/api/requirements", as_user="submitter", json=body).json()["id"]
    eventually(lambda: queued(api, "county", urgent), what=f"{urgent} in the county queue")
    backdate(stack, normal, days=10)  # left lying at the county bureau: overdue
    due = {t["_id"]: t for t in api.get("review", "/api/review-tasks", as_user="county").json()}

    county = ui("county")
    page = county.open("/review")
    table = page.locator("[data-test=review-queue]")
    late_row = table.locator("tr", has_text=normal)
    expect(late_row).to_be_visible(timeout=20_000)
    expect(late_row.locator("[data-test=due]")).to_contain_text(due[normal]["due_on"])
    expect(late_row.locator("[data-test=due] .el-tag--danger")).to_have_text("逾期")
    expect(table.locator("tr", has_text=urgent).locator("[data-test=due]")).to_contain_text(due[urgent]["due_on"])

    page.get_by_label("关键字").fill(word)
    page.get_by_label("关键字").press("Enter")
    rows = table.locator("tbody tr")
    expect(rows).to_have_count(2)
    page.locator("[data-test=overdue-only]").click()
    expect(page.locator("[data-test=overdue-only] input")).to_be_checked()
    expect(rows).to_have_count(1)
    expect(rows).to_contain_text(normal)
    county.screenshot("county-review-queue-filters")
    page.locator("[data-test=overdue-only]").click()
    expect(rows).to_have_count(2)

    page.locator("[data-test=filter-urgency]").click()
    page.get_by_role("option", name="紧急", exact=True).click()
    expect(page.get_by_role("option", name="紧急", exact=True)).to_be_hidden()
    expect(rows).to_have_count(1)
    expect(rows).to_contain_text(urgent)
    page.locator("[data-test=filter-urgency]").click()
    page.get_by_role("option", name="一般", exact=True).click()
    expect(page.get_by_role("option", name="一般", exact=True)).to_be_hidden()
    expect(rows).to_have_count(1)
    expect(rows).to_contain_text(normal)

    # The batch actions still work on the narrowed list: reject the overdue one with a reason.
    table.locator("tbody tr", has_text=normal).locator(".el-checkbox").click()
    page.get_by_role("button", name="批量驳回").click()
    page.get_by_role("textbox", name="理由").fill("逾期未补充业务场景，且与现有银行回单查询功能重复。")
    page.locator("[data-test=confirm-review]").click()
    expect(page.get_by_text("批量处理完成")).to_be_visible()
    expect(table.locator("tbody tr", has_text=normal)).to_have_count(0)


def test_journey_progress_board_lists_a_dispatched_work_order(ui, api: Api) -> None:
    word = marker()
    ticket_id = confirmed(api, f"{word} 指标账增加按项目汇总", decision="adopt", expected_upgrade="2027-03-31")
    waiting = lambda: api.get("dispatch", "/api/dispatch-queue", as_user="itdiv").json()  # noqa: E731
    eventually(lambda: any(i["ticket_id"] == ticket_id for i in waiting()), what=f"{ticket_id} waiting for dispatch")
    plan = {
        "ticket_id": ticket_id,
        "vendor_id": "vendor-a",
        "priority": "P1",
        "effort_days": 8,
        "planned_start": "2026-11-02",
        "planned_delivery": "2026-11-20",  # already past on the business clock: overdue
    }
    response = api.post("dispatch", "/api/work-orders", as_user="itdiv", json=plan)
    assert response.status_code == 201, response.text
    work_order = response.json()
    assert work_order["overdue"] is True

    it = ui("itdiv")
    page = it.open("/progress-board")
    board = page.locator("[data-test=progress-board]")
    card = board.locator("[data-stage=dispatched] [data-test=board-order]", has_text=work_order["id"])
    expect(card).to_be_visible(timeout=20_000)
    expect(card).to_contain_text("逾期")
    expect(card).to_contain_text("2026-11-20")
    page.locator("[data-test=board-vendor]").click()
    page.get_by_role("option", name=re.compile("北疆软件")).click()
    expect(page.get_by_role("option", name=re.compile("北疆软件"))).to_be_hidden()
    expect(board.locator("section.vendor")).to_have_count(1)
    expect(card).to_be_visible()
    expect(page.locator("[data-test=progress-summary]")).to_contain_text("北疆软件")
    it.screenshot("it-division-progress-board")
    with page.expect_download() as download:
        page.locator("[data-test=board-export]").click()
    assert download.value.suggested_filename.startswith("开发进度")


def test_journey_publication_board_for_everyone(ui, api: Api) -> None:
    word = marker()
    adopted = confirmed(api, f"{word} 决算报表增加年度对比", decision="adopt", expected_upgrade="2027-04-30")
    reason = "属于个性化需求，可通过现有自定义查询实现"
    declined = confirmed(api, f"{word} 单位自定义报表样式", decision="decline", reason=reason)
    body = {"month": MONTH, "ticket_ids": [adopted, declined]}
    published = api.post("review", "/api/publications", as_user="itdiv", json=body)
    assert published.status_code == 201, published.text

    unit = ui("submitter")
    page = unit.open("/publications")
    month = page.get_by_label("公示月份")
    month.fill(MONTH)
    month.press("Enter")
    board = page.locator("[data-test=publications]")
    expect(board).to_contain_text(published.json()["_id"], timeout=20_000)
    adopted_row = board.locator("tr", has_text=adopted)
    expect(adopted_row).to_contain_text("已采纳")
    expect(adopted_row).to_contain_text("2027-04-30")
    expect(board.locator("tr", has_text=declined)).to_contain_text(reason)
    expect(page.locator("[data-test=specification]")).to_have_count(0)  # the specification: IT and business divisions
    unit.screenshot("publication-board-public")

    it = ui("itdiv")
    page = it.open("/publications")
    expect(page.locator("[data-test=publications]")).to_contain_text(published.json()["_id"], timeout=20_000)
    with page.expect_download() as download:
        page.locator("[data-test=specification]").first.click()
    assert download.value.suggested_filename.endswith(".docx")
