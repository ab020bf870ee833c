"""The IT division splits a requirement that asks for several unrelated things (拆分, 第六条二) in headless
Chromium: a part per thing, each checked as it is typed, and each part then waits in the refinement queue on
its own while the requester's ticket list follows all of them.

The requirement is brought to the refinement queue through the API (submission and every level's review),
as the other journeys do."""

import pytest
from playwright.sync_api import expect

from services.review.tests.test_review_flow_e2e import reviewed_by_every_level
from tests.browser.test_journey_review import marker
from tests.support import Api

pytestmark = pytest.mark.e2e


def test_journey_requirement_split_in_refinement(ui, api: Api) -> None:
    word = marker()
    original = reviewed_by_every_level(api, f"{word} 指标导出与凭证打印")
    parts = [f"{original}-1", f"{original}-2", f"{original}-3"]

    it = ui("itdiv")
    page = it.open("/refinement")
    queue = page.locator("[data-test=refinement-queue]")
    row = queue.locator("tr", has_text=original)
    expect(row).to_be_visible(timeout=20_000)
    row.get_by_role("button", name="拆分").click()
    dialog = page.get_by_role("dialog", name=f"拆分需求 {original}")
    expect(dialog).to_be_visible()
    expect(dialog.locator("[data-test=split-part]")).to_have_count(2)
    expect(dialog.get_by_role("button", name="删除第 1 项")).to_be_disabled()  # never fewer than two

    dialog.get_by_label("第 1 项标题").fill(f"{word} 指标查询增加导出")
    dialog.get_by_label("第 1 项描述").fill("指标查询结果按条件导出 Excel，便于核对年度指标。")
    dialog.get_by_label("第 1 项功能模块（可选）").fill("指标管理")
    dialog.get_by_label("第 2 项标题").fill("印")  # too short: said while typing
    expect(dialog.get_by_text("标题须为 2～100 字")).to_be_visible()
    dialog.get_by_label("第 2 项标题").fill(f"{word} 会计凭证批量打印")
    expect(dialog.get_by_text("标题须为 2～100 字")).to_be_hidden()
    dialog.get_by_label("第 2 项描述").fill("会计凭证支持按日期范围批量打印，减少逐张打印。")

    dialog.locator("[data-test=split-add]").click()
    expect(dialog.locator("[data-test=split-part]")).to_have_count(3)
    dialog.get_by_label("第 3 项标题").fill(f"{word} 凭证打印增加水印")
    dialog.get_by_label("第 3 项描述").fill("短")
    expect(dialog.get_by_text("描述须为 10～5000 字")).to_be_visible()
    dialog.get_by_label("第 3 项描述").fill("打印的会计凭证增加单位名称水印，防止混用。")
    expect(dialog.get_by_text("描述须为 10～5000 字")).to_be_hidden()
    dialog.get_by_label("拆分理由").fill("原需求包含三项互不相关的内容，分别梳理细化和确认。")
    it.screenshot("it-division-split")
    dialog.locator("[data-test=split]").click()

    expect(page.get_by_text(f"已拆分为 {'、'.join(parts)}")).to_be_visible()
    expect(queue.get_by_role("cell", name=original, exact=True)).to_have_count(
        0, timeout=20_000
    )  # parts contain its id
    for ticket_id in parts:
        expect(queue.locator("tr", has_text=ticket_id)).to_be_visible(timeout=20_000)
    expect(queue.locator("tr", has_text=parts[1])).to_contain_text(f"{word} 会计凭证批量打印")

    # Each part goes on alone: refining one leaves the others waiting.
    response = api.post(
        "review", f"/api/refinement/{parts[0]}", as_user="itdiv", json={"business_division_id": "bd-budget"}
    )
    assert response.status_code == 200, response.text
    page.get_by_role("button", name="刷新").click()
    expect(queue.locator("tr", has_text=parts[0])).to_have_count(0, timeout=20_000)
    expect(queue.locator("tr", has_text=parts[2])).to_be_visible()

    # The requester reads 拆分 on the original's timeline and follows each part from its own.
    unit = ui("submitter")
    page = unit.open(f"/tickets/{original}")
    expect(page.locator("[data-test=timeline]")).to_contain_text(f"拆分为 {'、'.join(parts)}", timeout=20_000)
    page = unit.open(f"/tickets/{parts[1]}")
    expect(page.locator("[data-test=timeline]")).to_contain_text(f"由 {original} 拆分而来", timeout=20_000)
