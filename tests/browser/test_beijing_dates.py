"""Dates in Beijing time, whatever the UTC date: at 01:30 on 3 December in Beijing it is still 2 December in
UTC, and the forms' defaults used to be yesterday's — a release date the server refused, a work order overdue
the moment it was dispatched. The browser's clock is set to that instant; the forms' defaults are submitted."""

import re
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import pytest
from playwright.sync_api import expect

from tests.support import Api, eventually
from tests.test_vendor_client import adopted_requirement

pytestmark = pytest.mark.e2e
HALF_PAST_ONE_IN_BEIJING = datetime(2026, 12, 2, 17, 30, tzinfo=UTC)  # 2026-12-03 01:30 Asia/Shanghai


def in_dispatch_queue(api: Api, ticket_id: str) -> bool:
    queue = api.get("dispatch", "/api/dispatch-queue", as_user="itdiv", params={"limit": 500}).json()
    return any(item["ticket_id"] == ticket_id for item in queue)


def test_at_half_past_one_in_beijing_the_dispatch_and_release_defaults_are_todays_and_accepted(
    ui, api: Api, stack
) -> None:
    ticket_id = f"REQ-202612-TZ{datetime.now(UTC):%H%M%S%f}"
    with ThreadPoolExecutor(1) as thread:  # Playwright's sync API holds this thread's event loop
        thread.submit(adopted_requirement, stack, ticket_id).result()
    eventually(lambda: in_dispatch_queue(api, ticket_id), what="the adopted requirement in the dispatch queue")

    it = ui("itdiv")
    it.page.clock.set_fixed_time(HALF_PAST_ONE_IN_BEIJING)
    page = it.open("/work-orders")
    row = page.locator("[data-test=dispatch-queue] tr", has_text=ticket_id)
    expect(row).to_be_visible(timeout=20_000)
    row.get_by_role("button", name="派发工单").click()
    page.locator("[data-test=vendor]").click()
    page.get_by_role("option", name=re.compile("北疆软件")).click()
    expect(page.get_by_label("计划开始")).to_have_value("2026-12-03")
    # 5 person-days from Thursday 3 December end on Wednesday 9 December (the weekend is not worked).
    expect(page.get_by_label("计划交付")).to_have_value("2026-12-09", timeout=10_000)
    it.screenshot("it-division-dispatch-defaults-in-beijing-time")
    page.locator("[data-test=dispatch]").click()
    expect(page.get_by_text("工单已派发")).to_be_visible()

    [order] = [
        o for o in api.get("dispatch", "/api/work-orders", as_user="itdiv").json() if o["ticket_id"] == ticket_id
    ]
    assert (order["planned_start"], order["planned_delivery"], order["overdue"]) == ("2026-12-03", "2026-12-09", False)

    # The vendor delivers, the requester verifies: the ticket can be released.
    for stage in ("accepted", "in_development", "in_testing", "delivered"):
        body = {"stage": stage, **({"version": "V3.3.0-tz"} if stage == "delivered" else {})}
        progressed = api.post("dispatch", f"/api/work-orders/{order['id']}/progress", as_user="vendor1", json=body)
        assert progressed.status_code == 200, progressed.text
    verdict = {"outcome": "passed", "reason": "功能正常，验证通过"}
    assert api.post("dispatch", f"/api/verifications/{ticket_id}", as_user="submitter", json=verdict).status_code == 200

    page = it.open("/releases")
    expect(page.get_by_label("升级日期")).to_have_value("2026-12-03")
    page.get_by_label("版本号").fill("V3.3.0-tz")
    page.get_by_label("标题").fill("凌晨发布的升级通知")
    page.locator("[data-test=release-tickets]").click()
    page.get_by_role("option", name=re.compile(ticket_id)).click()
    page.get_by_label("版本号").click()  # close the drop-down
    page.locator("[data-test=release]").click()
    expect(page.get_by_text("升级通知已发布")).to_be_visible()
    releases = api.get("dispatch", "/api/releases", as_user="itdiv").json()
    assert any(r["version"] == "V3.3.0-tz" and r["release_date"] == "2026-12-03" for r in releases)
