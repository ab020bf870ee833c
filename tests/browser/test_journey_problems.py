"""The problem procedure's journeys in headless Chromium (第七条–第十一条): a software bug through its work order,
and a business question the finance bureau escalates to the region's business division."""

import re

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.e2e
WAIT = 20_000  # events cross Kafka between the services before the page can show them


def pick_date(page: Page, label: str, value: str) -> None:
    field = page.get_by_label(label)
    field.fill(value)
    field.press("Enter")


def report_problem(ui, category: str, title: str, description: str, **fields: str) -> tuple:
    """A budget unit's user reports a problem on /problems/new (第十条); answers the session and the ticket id."""
    unit = ui("submitter")
    page = unit.open("/problems/new")
    page.locator(".el-radio-button", has_text=category).click()
    page.get_by_label("问题标题").fill(title)
    page.get_by_label("问题描述").fill(description)
    for label, value in fields.items():
        page.get_by_label(label, exact=True).fill(value)
    page.locator("[data-test=report]").click()
    page.wait_for_url(re.compile(r".*/tickets/PRB-.*"))
    return unit, page.url.rsplit("/", 1)[-1]


def take_step(page: Page, step: str, status: str, **fields: str) -> None:
    """Click the step's button on the ticket page, fill its form by label, submit, and wait for the new status."""
    button = page.locator(f"[data-test=step-{step}]")
    expect(button).to_be_visible(timeout=WAIT)
    button.click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_be_visible()
    for label, value in fields.items():
        dialog.get_by_label(label, exact=True).fill(value)
    dialog.locator("[data-test=step-submit]").click()
    expect(dialog).to_be_hidden()
    expect(page.locator("[data-test=status]")).to_have_text(status, timeout=WAIT)


def test_journey_bug_through_its_work_order(ui) -> None:
    title = "浏览器旅程：支付回单下载报错"
    unit, ticket_id = report_problem(
        ui,
        "软件BUG",
        title,
        "在支付管理中下载支付回单时提示服务器错误，无法打印回单。",
        报错内容="500 Internal Server Error",
        操作步骤="支付管理 → 回单查询 → 勾选回单 → 下载",
        操作系统="Windows 10",
        浏览器="Chrome",
        浏览器版本="120",
    )

    # 梳理细化、复现问题 (第十一条一2、3): the IT division, on the ticket page.
    it = ui("itdiv")
    page = it.open(f"/tickets/{ticket_id}")
    expect(page.locator("[data-test=problem-details]")).to_contain_text("500 Internal Server Error", timeout=WAIT)
    expect(page.locator("[data-test=owner]")).to_have_text("财政厅信息化处")
    expect(page.locator("[data-test=sla]")).to_contain_text("响应时限")
    it.screenshot("it-division-problem-case")
    take_step(page, "refine", "已梳理细化", 办理说明="已确认报错内容、操作步骤与浏览器版本")
    take_step(page, "reproduce", "待用户确认问题", 办理说明="测试环境复现")
    expect(page.locator("[data-test=no-steps]")).to_be_visible()  # the reporter's turn now

    # 确认问题 (第十一条一4): the unit confirms it; the case is ready for a work order.
    page = unit.open(f"/tickets/{ticket_id}")
    expect(page.locator("[data-test=step-confirm]")).to_be_visible(timeout=WAIT)
    unit.screenshot("unit-problem-case")
    take_step(page, "confirm", "待派发工单 / 修复中", 处理要求或标准="修复后能正常下载并打印回单")

    # 派发工单 (第十一条一5): ProblemReadyForDispatch reaches dispatch over Kafka.
    page = it.open("/work-orders")
    row = page.locator("[data-test=dispatch-queue] tr", has_text=ticket_id)
    expect(row).to_be_visible(timeout=WAIT)
    row.get_by_role("button", name="派发工单").click()
    page.locator("[data-test=vendor]").click()
    page.get_by_role("option", name=re.compile("北疆软件")).click()
    page.locator(".el-dialog .el-radio-button", has_text="P1").click()
    pick_date(page, "计划开始", "2026-12-02")
    pick_date(page, "计划交付", "2026-12-04")
    page.locator("[data-test=dispatch]").click()
    expect(page.get_by_text("工单已派发")).to_be_visible()

    # 定位修复 (第十一条一6): the vendor reports its progress up to the delivery.
    vendor = ui("vendor1")
    page = vendor.open("/work-orders")
    for stage in ("已接单", "开发中", "测试中"):
        row = page.locator("[data-test=work-orders] tr", has_text=title)
        expect(row).to_be_visible(timeout=WAIT)
        row.get_by_role("button", name=stage).click()
        expect(page.get_by_text("进度已报送").last).to_be_visible()
    page.locator("[data-test=work-orders] tr", has_text=title).get_by_role("button", name="已交付").click()
    page.get_by_label("版本号").fill("V3.2.1-patch9")
    page.locator("[data-test=deliver]").click()
    expect(page.get_by_text("等待需求用户验证")).to_be_visible()

    # 补丁发布 (第十一条一7): the IT division, on the ticket page.
    page = it.open(f"/tickets/{ticket_id}")
    take_step(page, "patch-released", "待用户验证", 补丁版本号="V3.2.1-patch9", 说明="修复回单下载")

    # 二次验证 (第十一条一8): the unit's verification passes and the problem is closed.
    page = unit.open(f"/tickets/{ticket_id}")
    expect(page.locator("[data-test=problem-progress]")).to_contain_text("V3.2.1-patch9", timeout=WAIT)
    take_step(page, "verify", "已办结")
    expect(page.locator("[data-test=outcome]")).to_contain_text("已解决")
    expect(page.locator("[data-test=sla-state]")).to_have_text("按时")
    page.locator("[data-test=status]").scroll_into_view_if_needed()
    unit.screenshot("unit-problem-closed")


def test_journey_business_question_escalated_to_the_region(ui) -> None:
    unit = ui("submitter")
    page = unit.open("/problems/new")
    page.locator(".el-radio-button", has_text="业务咨询").click()
    page.get_by_label("问题标题").fill("浏览器旅程：结转资金能否调剂用于基本支出")
    page.get_by_label("问题描述").fill("上年结转的项目资金，本年能否调剂用于人员经费等基本支出？")
    page.locator("[data-test=report]").click()
    page.wait_for_url(re.compile(r".*/tickets/PRB-.*"))
    ticket_id = page.url.rsplit("/", 1)[-1]

    # 第七条: the unit's own finance bureau answers business questions; it cannot, so it escalates.
    county = ui("county")
    page = county.open("/escalations")
    row = page.locator("[data-test=problem-queue] tr", has_text=ticket_id)
    expect(row).to_be_visible(timeout=WAIT)
    county.screenshot("county-consulting-escalations")
    row.get_by_role("button", name="上报").click()
    page.get_by_label("无法答复的原因").fill("涉及结转资金使用政策口径，本级无法答复")
    page.locator("[data-test=division]").click()
    page.get_by_role("option", name="预算处").click()
    page.locator("[data-test=escalate]").click()
    expect(page.get_by_text("已上报自治区归口业务处室")).to_be_visible()
    expect(row).to_have_count(0, timeout=WAIT)  # no longer the bureau's

    # The region's budget division answers.
    business = ui("bizdiv")
    page = business.open("/escalations")
    row = page.locator("[data-test=problem-queue] tr", has_text=ticket_id)
    expect(row).to_be_visible(timeout=WAIT)
    expect(row).to_contain_text("已上报")
    business.screenshot("business-division-consulting-escalations")
    row.get_by_role("button", name="答复").click()
    page.get_by_label("答复内容").fill("按财预〔2026〕1 号文件，结转资金原则上不得调剂用于基本支出。")
    page.locator("[data-test=answer]").click()
    expect(page.get_by_text("已答复")).to_be_visible()

    # The unit reads the answer in its inbox and accepts it on the ticket page (当日办结, 第十一条四).
    page = unit.open("/notifications")
    expect(page.locator("[data-test=notifications]")).to_contain_text("不得调剂", timeout=WAIT)
    page = unit.open(f"/tickets/{ticket_id}")
    expect(page.locator("[data-test=problem-progress]")).to_contain_text("不得调剂", timeout=WAIT)
    take_step(page, "accept", "已办结")


def test_journey_business_question_reaches_the_county_bureaus_inbox_and_is_answered_there_in_time(ui) -> None:
    """第七条, 第十一条四: the unit's own finance bureau is told at once, claims the question and answers it within
    the 2-hour response limit; the IT division sees it read-only."""
    title = "浏览器旅程：公用经费能否用于购置办公设备"
    _, ticket_id = report_problem(ui, "业务咨询", title, "本单位公用经费预算有结余，能否用于购置打印机等办公设备？")

    county = ui("county")
    page = county.open("/notifications")
    expect(page.locator("[data-test=notifications]")).to_contain_text(f"业务咨询待答复：{title}", timeout=WAIT)
    page = county.open("/problem-desk")
    row = page.locator("[data-test=problem-queue] tr", has_text=ticket_id)
    expect(row).to_be_visible(timeout=WAIT)
    row.locator("[data-test=open-case]", has_text="办理").click()
    page.wait_for_url(f"**/tickets/{ticket_id}")
    take_step(page, "claim", "待答复")
    expect(page.locator("[data-test=owner]")).to_contain_text("已认领", timeout=WAIT)

    it_division = ui("itdiv").open(f"/tickets/{ticket_id}")
    expect(it_division.locator("[data-test=owner]")).to_contain_text("已认领", timeout=WAIT)
    expect(it_division.locator("[data-test=problem-steps]")).to_have_count(0)  # read-only: not the IT division's

    take_step(page, "answer", "已答复，待用户确认", 答复内容="可以，按公用经费支出范围购置，纳入资产管理。")
    expect(page.locator("[data-test=response-state]")).to_have_text("按时")
    county.screenshot("county-business-question-answered")


def test_journey_question_reassigned_from_the_support_desk_to_the_county_bureau(ui) -> None:
    title = "浏览器旅程：项目结余资金如何收回"
    _, ticket_id = report_problem(ui, "操作咨询", title, "项目完成后结余资金怎么收回，按什么政策执行？")

    duty = ui("duty")
    page = duty.open(f"/tickets/{ticket_id}")
    button = page.locator("[data-test=step-reassign]")
    expect(button).to_be_visible(timeout=WAIT)
    button.click()
    dialog = page.get_by_role("dialog")
    dialog.locator(".el-radio-button", has_text="提出单位的本级财政部门").click()
    dialog.get_by_label("转派原因").fill("这是结余资金收回的政策口径问题，应由本级财政答复")
    dialog.locator("[data-test=step-submit]").click()
    expect(dialog).to_be_hidden()
    expect(page.locator("[data-test=owner]")).to_contain_text("财政部门", timeout=WAIT)
    expect(page.locator("[data-test=problem-steps]")).to_have_count(0)
    duty.screenshot("duty-question-reassigned")

    page = ui("county").open("/notifications")
    expect(page.locator("[data-test=notifications]")).to_contain_text("转派给您", timeout=WAIT)
