"""Drafts in headless Chromium: a requirement saved as a draft is found under 我的工单, opened again, edited,
saved and submitted; another draft is deleted after a confirmation."""

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e
WAIT = 20_000


def write_requirement(page, title: str, description: str) -> None:
    page.get_by_label("需求标题").fill(title)
    page.get_by_label("需求描述").fill(description)


def test_journey_a_draft_saved_found_edited_and_submitted_and_another_deleted(ui) -> None:
    unit = ui("submitter")
    page = unit.open("/submit")
    write_requirement(page, "草稿旅程：支付凭证批量打印", "先记下想法：支付凭证需要批量打印，待补充具体格式。")
    page.locator("[data-test=save-draft]").click()
    expect(page.get_by_text("草稿已保存")).to_be_visible()
    page.wait_for_url(re.compile(r".*/submit\?draft=REQ-.*"))
    draft_id = page.url.rsplit("=", 1)[-1]

    # Found again under 我的工单, filtered to 草稿.
    page = unit.open("/tickets")
    page.locator(".toolbar .el-select").first.click()
    page.get_by_role("option", name="草稿", exact=True).click()
    page.get_by_role("button", name="查询").click()
    row = page.locator("[data-test=tickets] tr", has_text=draft_id)
    expect(row).to_contain_text("草稿旅程：支付凭证批量打印", timeout=WAIT)
    unit.screenshot("unit-my-drafts")
    row.locator("[data-test=edit-draft]").click()
    page.wait_for_url(f"**/submit?draft={draft_id}")
    expect(page.get_by_label("需求标题")).to_have_value("草稿旅程：支付凭证批量打印")

    page.get_by_label("需求标题").fill("草稿旅程：支付凭证按单位批量打印")
    page.get_by_label("业务场景").fill("月末按单位核对支付凭证时需逐张打印，耗时较长。")
    page.locator("[data-test=save-draft]").click()
    expect(page.get_by_text(f"草稿已保存：{draft_id}")).to_be_visible()
    page.locator("[data-test=submit]").click()
    page.wait_for_url(f"**/tickets/{draft_id}")
    expect(page.locator("[data-test=timeline]")).to_contain_text("提交需求", timeout=WAIT)

    # A second draft is not wanted any more: deleted after the confirmation, gone from the list.
    page = unit.open("/submit")
    write_requirement(page, "草稿旅程：不再需要的想法", "这份草稿写完后发现已有同类需求，不再提交。")
    page.locator("[data-test=save-draft]").click()
    page.wait_for_url(re.compile(r".*/submit\?draft=REQ-.*"))
    unwanted = page.url.rsplit("=", 1)[-1]
    page = unit.open("/tickets")
    row = page.locator("[data-test=tickets] tr", has_text=unwanted)
    expect(row).to_be_visible(timeout=WAIT)
    submitted = page.locator("[data-test=tickets] tr", has_text=draft_id)
    expect(submitted.locator("[data-test=edit-draft]")).to_have_count(0)  # submitted: no longer a draft
    expect(submitted.get_by_role("button", name="详情")).to_be_visible()
    row.locator("[data-test=delete-draft]").click()
    page.get_by_role("dialog").get_by_role("button", name="删除").click()
    expect(page.get_by_text("草稿已删除")).to_be_visible()
    expect(page.locator("[data-test=tickets] tr", has_text=unwanted)).to_have_count(0)
