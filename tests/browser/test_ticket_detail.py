"""A requirement's page as the people on it meet it in headless Chromium: everything submitted, the review
record with its opinions, who has it now, the step the viewer may take there (a reviewer forwards with an
opinion from the page), and a history without the notification lines unless asked for."""

from uuid import uuid4

import pytest
from playwright.sync_api import expect

from services.review.tests.test_review_flow_e2e import act, queued
from tests.support import Api, eventually, requirement

pytestmark = pytest.mark.e2e


def test_journey_the_detail_page_shows_what_was_submitted_and_decided_and_who_has_it_now(ui, api: Api) -> None:
    title = f"详情{uuid4().hex[:6]} 国库支付增加电子回单批量下载"
    body = requirement(
        title=title,
        business_scenario="月末对账时需逐笔下载电子回单，单位每月上百笔。",
        expected_effect="按日期范围批量下载电子回单压缩包。",
        module="国库支付",
    )
    ticket_id = api.post("intake", "/api/requirements", as_user="submitter", json=body).json()["id"]
    eventually(lambda: queued(api, "county", ticket_id), what=f"{ticket_id} in the county queue")
    assert act(api, "county", ticket_id, "forward", opinion="县级已核实，多家单位有同样需要").status_code == 200
    eventually(lambda: queued(api, "city", ticket_id), what=f"{ticket_id} in the league/city queue")

    unit = ui("submitter")
    page = unit.open(f"/tickets/{ticket_id}")
    expect(page.locator("[data-test=field-business_scenario]")).to_have_text(body["business_scenario"], timeout=20_000)
    expect(page.locator("[data-test=field-expected_effect]")).to_have_text(body["expected_effect"])
    expect(page.locator("[data-test=field-module]")).to_have_text("国库支付")
    record = page.locator("[data-test=review-record]")
    expect(record.locator("th").nth(1)).to_have_text("环节")
    expect(record.locator("tr", has_text="县级已核实")).to_contain_text("旗县区建议实现")
    expect(page.locator("[data-test=current-handler]")).to_contain_text("盟市财政部门（呼和浩特市财政局）审核中")
    expect(page.locator("[data-test=current-handler] [data-test=act]")).to_have_count(0)  # not the unit's step
    timeline = page.locator("[data-test=timeline]")
    expect(timeline).to_contain_text("提交")
    expect(timeline).not_to_contain_text("发送通知")
    unit.screenshot("unit-requirement-detail")

    # The league/city reviewer forwards it from this page, with an opinion, as from the queue.
    city = ui("city")
    page = city.open(f"/tickets/{ticket_id}")
    handler = page.locator("[data-test=current-handler]")
    expect(handler.locator("[data-test=act]")).to_have_text("去审核队列", timeout=20_000)
    handler.locator("[data-test=forward]").click()
    dialog = page.locator("[data-test=review-dialog]")
    expect(dialog.locator("[data-test=dialog-summary]")).to_contain_text(title)
    dialog.get_by_label("审核意见（选填）").fill("盟市同意，建议自治区统一实现")
    dialog.locator("[data-test=confirm-review]").click()
    expect(page.get_by_text("已办理")).to_be_visible()
    expect(handler).to_contain_text("自治区财政部门", timeout=20_000)
    expect(page.locator("[data-test=review-record] tr", has_text="盟市同意")).to_contain_text("盟市建议实现")
    city.screenshot("city-forward-from-detail")
    eventually(lambda: queued(api, "region", ticket_id), what=f"{ticket_id} in the region's queue")
