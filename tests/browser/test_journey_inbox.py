"""The in-app inbox as a county reviewer meets it in headless Chromium: a notification names the requirement
by its title and leads to the queue where it is handled, opening it reads it, a review task the county has
forwarded is done (no longer unread), and 全部已读 clears the badge."""

import re
from uuid import uuid4

import pytest
from playwright.sync_api import expect

from services.review.tests.test_review_flow_e2e import act, submitted_for_review
from tests.support import Api, eventually

pytestmark = pytest.mark.e2e


def inbox_entry(api: Api, user: str, ticket_id: str) -> dict | None:
    rows = api.get("notify", "/api/notifications?limit=200", as_user=user).json()
    return next((n for n in rows if n["ticket_id"] == ticket_id and n["event_type"] == "ReviewTaskOpened"), None)


def test_journey_county_inbox_titles_lead_to_the_queue_and_a_forwarded_task_is_done(ui, api: Api) -> None:
    title = f"收件箱{uuid4().hex[:6]} 工资发放增加银行回单查询"
    ticket_id = submitted_for_review(api, title)
    other = submitted_for_review(api, f"收件箱{uuid4().hex[:6]} 会计凭证增加附件预览")
    for each in (ticket_id, other):
        eventually(lambda each=each: inbox_entry(api, "county", each), what=f"{each} in the county reviewers' inbox")

    county = ui("county")
    page = county.open("/notifications")
    row = page.locator("[data-test=notifications] tr", has_text=ticket_id)
    expect(row.locator("[data-test=ticket-title]")).to_have_text(title, timeout=20_000)
    expect(row).to_have_class(re.compile("unread"))
    county.screenshot("inbox-county-reviewer")
    row.locator("[data-test=act]").click()
    expect(page).to_have_url(f"{county.base_url}/review")
    assert inbox_entry(api, "county", ticket_id)["read"], "opening it from the inbox reads it"
    assert not inbox_entry(api, "county2", ticket_id), "another county's reviewers are not told"

    # The county forwards it: the task the notification asked for is done, and not unread for anybody.
    assert act(api, "county", ticket_id, "forward", opinion="建议实现，县级已核实").status_code == 200
    eventually(lambda: inbox_entry(api, "county", ticket_id)["done"], what="the county's review task done")
    page = county.open("/notifications")
    row = page.locator("[data-test=notifications] tr", has_text=ticket_id)
    expect(row.locator("[data-test=done]")).to_have_text("已办结")
    expect(row.locator("[data-test=act]")).to_have_count(0)

    # 全部已读 reads what is left (the other requirement, still unread) and clears the badge.
    expect(page.locator("[data-test=notifications] tr", has_text=other)).to_have_class(re.compile("unread"))
    page.locator("[data-test=read-all]").click()
    expect(page.get_by_text("已全部标为已读")).to_be_visible()
    expect(page.locator("[data-test=unread]")).to_have_count(0)
    assert api.get("notify", "/api/notifications/unread-count", as_user="county").json()["unread"] == 0
    assert inbox_entry(api, "county", other)["read"]


def test_opening_a_ticket_reads_its_notifications(ui, api: Api) -> None:
    ticket_id = submitted_for_review(api, f"收件箱{uuid4().hex[:6]} 非税收入缴款书增加二维码")
    eventually(lambda: inbox_entry(api, "county", ticket_id), what=f"{ticket_id} in the county reviewers' inbox")
    assert not inbox_entry(api, "county", ticket_id)["read"]

    page = ui("county").open(f"/tickets/{ticket_id}")
    expect(page.locator("[data-test=timeline]")).to_be_visible(timeout=20_000)
    eventually(lambda: inbox_entry(api, "county", ticket_id)["read"], what="the ticket's notification read")
