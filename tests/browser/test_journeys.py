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
    expect(page.get_by_text("已办理")).to_be_visible()


def test_journey_requirement_from_submission_to_publication(ui) -> None:
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
    expect(page.locator("[data-test=publications]")).to_contain_text(ticket_id, timeout=20_000)
    it.screenshot("publication-board")

    unit = ui("submitter")
    page = unit.open(f"/tickets/{ticket_id}")
    expect(page.locator("[data-test=timeline]")).to_contain_text("需求确认", timeout=20_000)
    unit.screenshot("ticket-timeline")


def test_journey_rejected_requirement_reaches_the_units_inbox(ui) -> None:
    ticket_id = submit_requirement(ui, "浏览器旅程：驳回的需求")
    county = ui("county")
    page = county.open("/review")
    row = page.locator("[data-test=review-queue] tr", has_text=ticket_id)
    expect(row).to_be_visible(timeout=20_000)
    row.get_by_role("button", name="驳回").click()
    page.get_by_role("textbox", name="理由").fill("该需求仅适用于本单位，建议使用现有自定义查询功能实现。")
    page.locator("[data-test=confirm-reason]").click()
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
    ]:
        session = ui(user)
        session.open(path)
        session.screenshot(name)
