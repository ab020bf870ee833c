"""The web UI's main journeys in headless Chromium, each named after the journey it walks."""

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e


def submit_requirement(ui, title: str) -> str:
    """A budget unit's user fills the requirement form and submits it; answers the ticket id."""
    unit = ui("submitter")
    page = unit.open("/submit")
    expect(page.get_by_text("征集开放中")).to_be_visible()
    page.get_by_label("需求标题").fill(title)
    page.get_by_label("需求描述").fill("在指标查询界面增加按资金性质筛选和导出 Excel 的功能，便于月末核对。")
    page.get_by_label("涉及模块").fill("指标管理")
    unit.screenshot("unit-submit-requirement")
    page.locator("[data-test=submit]").click()
    page.wait_for_url(re.compile(r".*/tickets/REQ-.*"))
    ticket_id = page.url.rsplit("/", 1)[-1]
    expect(page.locator("[data-test=timeline]")).to_contain_text("提交需求")
    return ticket_id


def review_forward(ui, reviewer: str, ticket_id: str, screenshot: str | None = None) -> None:
    session = ui(reviewer)
    page = session.open("/review")
    row = page.locator("[data-test=review-queue] tr", has_text=ticket_id)
    expect(row).to_be_visible(timeout=20_000)
    if screenshot:
        session.screenshot(screenshot)
    row.get_by_role("button", name="建议实现").click()
    dialog = page.locator("[data-test=review-dialog]")
    expect(dialog.locator("[data-test=dialog-summary]")).to_contain_text(ticket_id)  # confirmed, not one click
    dialog.get_by_label("审核意见（选填）").fill("业务需求合理，建议实现。")
    if reviewer == "county":
        session.screenshot("county-forward-confirm")
    dialog.locator("[data-test=confirm-review]").click()
    expect(page.get_by_text("已办理")).to_be_visible()


def pick_date(page, label: str, value: str) -> None:
    field = page.get_by_label(label)
    field.fill(value)
    field.press("Enter")


def test_journey_requirement_from_submission_to_release(ui) -> None:
    title = "浏览器旅程：指标查询增加导出"
    ticket_id = submit_requirement(ui, title)

    review_forward(ui, "county", ticket_id, screenshot="county-review-queue")
    review_forward(ui, "city", ticket_id, screenshot="city-review-queue")
    review_forward(ui, "region", ticket_id)

    it = ui("itdiv")
    page = it.open("/refinement")
    row = page.locator("[data-test=refinement-queue] tr", has_text=ticket_id)
    expect(row).to_be_visible(timeout=20_000)
    it.screenshot("it-division-refinement")
    row.get_by_role("button", name="梳理细化").click()
    page.locator(".el-dialog .el-select").click()
    page.get_by_role("option", name="预算处").click()
    page.locator("[data-test=refine]").click()
    expect(page.get_by_text("已交归口业务处室确认")).to_be_visible()

    business = ui("bizdiv")
    page = business.open("/confirmation")
    row = page.locator("[data-test=confirmation-queue] tr", has_text=ticket_id)
    expect(row).to_be_visible(timeout=20_000)
    business.screenshot("business-division-confirmation")
    row.get_by_role("button", name="采纳", exact=True).click()
    page.locator("[data-test=confirm]").click()
    expect(page.get_by_text("已确认")).to_be_visible()

    page = it.open("/publications")
    page.locator("[data-test=publish]").click()
    preview = page.locator("[data-test=publish-preview]")
    expect(preview.locator("tr", has_text=ticket_id)).to_be_visible(timeout=20_000)  # what goes in, first
    it.screenshot("it-division-publish-preview")
    preview.locator("[data-test=confirm-publish]").click()
    expect(page.locator("[data-test=publications]")).to_contain_text(ticket_id, timeout=20_000)
    it.screenshot("publication-board")

    # 派发工单 (第六条五): the adopted requirement reaches dispatch over Kafka.
    page = it.open("/work-orders")
    row = page.locator("[data-test=dispatch-queue] tr", has_text=ticket_id)
    expect(row).to_be_visible(timeout=20_000)
    row.get_by_role("button", name="派发工单").click()
    page.locator("[data-test=vendor]").click()
    page.get_by_role("option", name=re.compile("北疆软件")).click()
    page.locator(".el-dialog .el-radio-button", has_text="P1").click()
    pick_date(page, "计划开始", "2026-12-02")
    pick_date(page, "计划交付", "2026-12-20")
    page.locator("[data-test=dispatch]").click()
    expect(page.get_by_text("工单已派发")).to_be_visible()
    it.screenshot("it-division-work-orders")
    page = it.open(f"/tickets/{ticket_id}")
    now_with = page.locator("[data-test=current-handler]")
    expect(now_with).to_contain_text("开发公司（北疆软件", timeout=20_000)  # the ticket's page says who has it now
    expect(now_with.locator("[data-test=planned-delivery]")).to_have_text("计划交付 2026-12-20")

    # 开发测试 (第六条六): the vendor reports each stage.
    vendor = ui("vendor1")
    page = vendor.open("/work-orders")
    for stage in ("已接单", "开发中", "测试中"):
        row = page.locator("[data-test=work-orders] tr", has_text=title)
        row.get_by_role("button", name=stage).click()
        expect(page.get_by_text("进度已报送").last).to_be_visible()
    page.locator("[data-test=work-orders] tr", has_text=title).get_by_role("button", name="已交付").click()
    page.get_by_label("版本号").fill("V3.2.0")
    page.locator("[data-test=deliver]").click()
    expect(page.get_by_text("等待需求用户验证")).to_be_visible()
    vendor.screenshot("vendor-work-orders")

    # 业务验证 (第六条七): the unit verifies the delivery.
    unit = ui("submitter")
    page = unit.open("/verifications")
    row = page.locator("[data-test=verifications] tr", has_text=ticket_id)
    expect(row).to_be_visible(timeout=20_000)
    unit.screenshot("unit-verification")
    row.get_by_role("button", name="验证通过").click()
    page.locator("[data-test=verify]").click()
    expect(page.get_by_text("验证结果已提交")).to_be_visible()

    # The vendor opens its work order: what is asked and what happened, never who asked (第六条五).
    page = vendor.open("/work-orders")
    row = page.locator("[data-test=work-orders] tr.el-table__row", has_text=title).first
    row.locator(".el-table__expand-icon").click()
    detail = page.locator("[data-test=work-order-detail]")
    expect(detail.locator("[data-test=work-order-description]")).to_contain_text("按资金性质筛选")
    expect(detail.locator("[data-test=work-order-history] tr", has_text="验证通过")).to_contain_text("需求用户")
    expect(detail).not_to_contain_text("张敏")
    vendor.screenshot("vendor-work-order-detail")

    # 部署上线 (第六条八): the IT division announces the release; everyone sees the announcement.
    page = it.open("/releases")
    page.get_by_label("版本号").fill("V3.2.0")
    pick_date(page, "升级日期", "2026-12-15")
    page.get_by_label("标题").fill("12 月系统升级")
    page.get_by_label("升级说明").fill("新增指标查询导出功能。")
    page.locator("[data-test=release-tickets]").click()
    page.get_by_role("option", name=re.compile(ticket_id)).click()
    page.get_by_label("版本号").click()  # close the drop-down
    page.get_by_label("操作手册链接").fill("https://manuals.example/v3.2.0")
    page.locator("[data-test=release]").click()
    expect(page.get_by_text("升级通知已发布")).to_be_visible()
    it.screenshot("it-division-releases")

    page = unit.open("/announcements")
    expect(page.locator("[data-test=announcement]").first).to_contain_text("V3.2.0", timeout=20_000)
    unit.screenshot("announcements-release")
    page = unit.open(f"/tickets/{ticket_id}")
    expect(page.locator("[data-test=timeline]")).to_contain_text("部署上线", timeout=20_000)
    expect(page.locator("[data-test=status]")).to_have_text("已上线", timeout=20_000)
    unit.screenshot("ticket-timeline")


def test_journey_rejected_requirement_reaches_the_units_inbox(ui) -> None:
    ticket_id = submit_requirement(ui, "浏览器旅程：驳回的需求")
    county = ui("county")
    page = county.open("/review")
    row = page.locator("[data-test=review-queue] tr", has_text=ticket_id)
    expect(row).to_be_visible(timeout=20_000)
    row.get_by_role("button", name="驳回").click()
    confirm = page.locator("[data-test=confirm-review]")
    expect(confirm).to_be_disabled()  # the rule is shown before it is broken: at least 10 characters
    expect(page.get_by_role("textbox", name="理由")).to_have_attribute("placeholder", "请填写理由，至少 10 个字")
    page.get_by_role("textbox", name="理由").fill("该需求仅适用于本单位，建议使用现有自定义查询功能实现。")
    confirm.click()
    expect(page.get_by_text("已办理")).to_be_visible()

    unit = ui("submitter")
    page = unit.open("/notifications")
    expect(page.locator("[data-test=notifications]")).to_contain_text("建议使用现有自定义查询", timeout=20_000)
    unit.screenshot("unit-inbox")


def test_every_workspace_opens_without_errors(ui) -> None:
    """Each role's workspaces render (screenshots for the docs) and show no console error."""
    for user, path, name in [
        ("submitter", "/home", "unit-dashboard"),
        ("submitter", "/tickets", "unit-tickets"),
        ("submitter", "/import", "unit-import-spreadsheet"),
        ("itdiv", "/home", "it-division-dashboard"),
        ("auditor", "/announcements", "announcements"),
        ("itdiv", "/faq", "faq"),
        ("duty", "/problems/new", "duty-operator-quick-entry"),
        ("vendor1", "/home", "vendor-home"),
    ]:
        session = ui(user)
        session.open(path)
        session.screenshot(name)


def test_journey_consulting_ticket_answered_within_its_sla(ui, api) -> None:
    # The region has published an answer already: it is shown while the question is typed (第七条).
    faq = {"question": "如何打印国库集中支付凭证", "answer": "在支付管理 → 凭证打印中选择凭证后点击打印。"}
    assert api.post("review", "/api/faq", as_user="itdiv", json=faq).status_code == 201

    unit = ui("submitter")
    page = unit.open("/problems/new")
    page.get_by_label("问题标题").fill("支付凭证打印")
    expect(page.locator("[data-test=faq-suggestions]")).to_contain_text("凭证打印", timeout=10_000)
    unit.screenshot("unit-report-problem")
    page.get_by_label("问题标题").fill("支付凭证打印后如何补打")
    page.get_by_label("问题描述").fill("凭证已打印一次，再次打印时按钮灰色，如何补打？")
    page.locator("[data-test=report]").click()
    page.wait_for_url(re.compile(r".*/tickets/PRB-.*"))
    ticket_id = page.url.rsplit("/", 1)[-1]

    it = ui("itdiv")
    page = it.open("/problem-desk")
    row = page.locator("[data-test=problem-queue] tr", has_text=ticket_id)
    expect(row).to_be_visible(timeout=20_000)
    it.screenshot("it-division-problem-desk")
    row.get_by_role("button", name="答复").click()
    page.get_by_label("答复内容").fill("补打请在凭证打印界面勾选“允许补打”后再次打印。")
    page.locator("[data-test=answer]").click()
    expect(page.get_by_text("已答复")).to_be_visible()

    page = unit.open("/notifications")
    expect(page.locator("[data-test=notifications]")).to_contain_text("允许补打", timeout=20_000)
    case = api.get("review", f"/api/problem-cases/{ticket_id}", as_user="submitter").json()
    assert case["sla"]["response_state"] == "met"  # answered well inside the 2 working hours (第十一条四)
