"""Comments as a unit's user and the IT division meet them in headless Chromium (issue 14): a problem is
reported with a screenshot, the reporter comments with another, the IT division — holding the case — finds the
comment in its inbox, opens the ticket, sees the screenshot and answers; the reporter reads the answer."""

import re

import pytest
from playwright.sync_api import expect

from tests.test_comments import png

pytestmark = pytest.mark.e2e
WAIT = 20_000  # events cross Kafka between the services before the page can show them


def screenshot_file(name: str) -> dict:
    return {"name": name, "mimeType": "image/png", "buffer": png()}


def test_journey_a_comment_with_a_screenshot_from_the_reporter_answered_by_the_handler(ui) -> None:
    # 问题上报 (第十条) with the screenshot of the error attached to the report.
    unit = ui("submitter")
    page = unit.open("/problems/new")
    page.locator(".el-radio-button", has_text="软件BUG").click()
    page.get_by_label("问题标题").fill("评论旅程：指标调整保存失败")
    page.get_by_label("问题描述").fill("在指标调整界面点击保存后提示保存失败，数据未保存。")
    for label, value in {"报错内容": "保存失败", "操作步骤": "指标管理 → 指标调整 → 保存", "浏览器版本": "120"}.items():
        page.get_by_label(label, exact=True).fill(value)
    page.locator("[data-test=problem-upload] input[type=file]").set_input_files(screenshot_file("保存失败.png"))
    page.locator("[data-test=report]").click()
    page.wait_for_url(re.compile(r".*/tickets/PRB-.*"))
    ticket_id = page.url.rsplit("/", 1)[-1]
    expect(page.locator("[data-test=attachment]")).to_have_text("保存失败.png", timeout=WAIT)

    # The reporter comments with a second screenshot; the comment shows at once, with its file.
    comments = page.locator("[data-test=comments]")
    expect(comments).to_be_visible(timeout=WAIT)
    expect(page.locator("[data-test=watchers]")).to_have_text("1 人关注")
    comments.locator("input[type=file]").set_input_files(screenshot_file("报错弹窗.png"))
    expect(page.locator("[data-test=comment-file]")).to_have_text("报错弹窗.png")
    page.locator("[data-test=comment-input]").fill("补充报错弹窗截图，今天下午必须完成指标调整。")
    page.locator("[data-test=comment-send]").click()
    mine = page.locator("[data-test=comment]", has_text="补充报错弹窗截图")
    expect(mine).to_be_visible(timeout=WAIT)
    expect(mine.locator("[data-test=comment-attachment]")).to_have_text("报错弹窗.png")

    # The IT division holds the case: the comment is in its inbox, and opens the ticket.
    it = ui("itdiv")
    inbox = it.open("/notifications")
    row = inbox.locator("[data-test=notifications] tr", has_text="补充报错弹窗截图")
    expect(row).to_be_visible(timeout=WAIT)
    expect(row).to_contain_text("有新评论")
    row.locator("[data-test=open]").click()
    inbox.wait_for_url(re.compile(f".*/tickets/{ticket_id}"))
    theirs = inbox.locator("[data-test=comment]", has_text="补充报错弹窗截图")
    expect(theirs).to_be_visible(timeout=WAIT)
    expect(theirs.locator("[data-test=comment-author]")).to_have_text("张敏")
    with inbox.expect_download() as download:
        theirs.locator("[data-test=comment-attachment]").click()
    assert re.fullmatch(r"ATT-[0-9a-f]{12}\.png", download.value.suggested_filename)
    inbox.locator("[data-test=comment-input]").fill("已定位到保存接口超时，预计今天 16 点前修复。")
    inbox.locator("[data-test=comment-send]").click()
    expect(inbox.locator("[data-test=comment]", has_text="16 点前修复")).to_be_visible(timeout=WAIT)
    it.screenshot("ticket-comments")

    # The reporter sees the answer on the ticket (and in the inbox), and may stop watching.
    page = unit.open(f"/tickets/{ticket_id}")
    answer = page.locator("[data-test=comment]", has_text="16 点前修复")
    expect(answer).to_be_visible(timeout=WAIT)
    expect(answer.locator("[data-test=comment-author]")).to_have_text("郑洁")
    expect(page.locator("[data-test=timeline]")).to_contain_text("郑洁 评论：已定位到保存接口超时", timeout=WAIT)
    page.locator("[data-test=watch]").click()
    expect(page.locator("[data-test=watch]")).to_have_text("关注")
    inbox = unit.open("/notifications")
    expect(inbox.locator("[data-test=notifications] tr", has_text="16 点前修复")).to_be_visible(timeout=WAIT)
