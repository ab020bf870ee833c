"""What every user expects of the forms and the language without being told: each field has a name a screen
reader announces, a requirement can be submitted with the keyboard alone, and in English the workspaces'
own words (menus, headings, column titles, labels, buttons) are English — data such as organisation names
or a ticket's title stays as it was entered."""

import re
from uuid import uuid4

import pytest
from playwright.sync_api import Page, expect

from services.review.tests.test_review_flow_e2e import act, queued
from tests.support import eventually, requirement

pytestmark = pytest.mark.e2e

CJK = re.compile(r"[\u4e00-\u9fff]")
# Roles of the accessibility tree that are form fields (what a screen reader lets the user fill in).
FIELD_ROLES = {"textbox", "searchbox", "combobox", "spinbutton", "checkbox", "radio", "switch", "slider", "listbox"}

# Every workspace with a form or a filter, as the role that works in it.
WORKSPACES = [
    ("submitter", "/submit"),
    ("submitter", "/import"),
    ("submitter", "/problems/new"),
    ("submitter", "/tickets"),
    ("submitter", "/verifications"),
    ("submitter", "/notifications"),
    ("submitter", "/faq"),
    ("county", "/review"),
    ("itdiv", "/refinement"),
    ("itdiv", "/work-orders"),
    ("itdiv", "/publications"),
    ("itdiv", "/releases"),
    ("itdiv", "/problem-desk"),
    ("itdiv", "/announcements"),
    ("bizdiv", "/confirmation"),
    ("duty", "/problems/new"),
    ("vendor1", "/work-orders"),
    ("itdiv", "/dashboard"),
    ("itdiv", "/sla-board"),
    ("itdiv", "/progress-board"),
    ("county", "/escalations"),
    ("bizdiv", "/escalations"),
    ("duty", "/problem-desk"),
    ("auditor", "/progress-board"),
    ("admin", "/users"),
    ("countyadmin", "/users"),
    ("submitter", "/password"),
]
# Dialogs with forms, opened by the button that opens them.
DIALOGS = [
    ("itdiv", "/faq", "[data-test=faq-new]"),
    ("itdiv", "/announcements", "[data-test=announce]"),
    ("submitter", "/notifications", "[data-test=preferences]"),
    ("admin", "/users", "[data-test=new-user]"),
]


def unnamed_fields(page: Page) -> list[str]:
    """Fields Chromium's accessibility tree shows without a name (no label, aria-label or labelledby)."""
    cdp = page.context.new_cdp_session(page)
    try:
        missing = []
        for node in cdp.send("Accessibility.getFullAXTree")["nodes"]:
            role = (node.get("role") or {}).get("value")
            if node.get("ignored") or role not in FIELD_ROLES or (node.get("name") or {}).get("value", "").strip():
                continue
            attributes = cdp.send("DOM.describeNode", {"backendNodeId": node["backendDOMNodeId"]})["node"]
            flat = attributes.get("attributes", [])
            pairs = dict(zip(flat[::2], flat[1::2], strict=True))
            missing.append(f"{role} <{attributes['localName']} id={pairs.get('id')} class={pairs.get('class')}>")
        return missing
    finally:
        cdp.detach()


def settled(page: Page) -> Page:
    page.wait_for_load_state("networkidle")
    expect(page.locator(".el-card").first).to_be_visible()
    return page


def test_every_form_field_has_a_label(ui) -> None:
    sessions: dict[str, object] = {}
    problems: dict[str, list[str]] = {}
    for user, path in WORKSPACES:
        session = sessions.setdefault(user, ui(user))
        page = settled(session.open(path))
        if missing := unnamed_fields(page):
            problems[f"{user} {path}"] = missing
    for user, path, opener in DIALOGS:
        session = sessions.setdefault(user, ui(user))
        page = settled(session.open(path))
        page.locator(opener).click()
        expect(page.locator(".el-dialog").last).to_be_visible()
        if missing := unnamed_fields(page):
            problems[f"{user} {path} {opener}"] = missing
    assert problems == {}


def press_tab_until(page: Page, is_there: str, limit: int = 40) -> None:
    """Tab through the page until the focused element matches a JS predicate on `el` (the focus order)."""
    for _ in range(limit):
        if page.evaluate(f"(() => {{ const el = document.activeElement; return !!el && ({is_there}) }})()"):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"Tab never reached the element where {is_there}")


def focused_id(page: Page) -> str:
    return page.evaluate("document.activeElement && document.activeElement.id")


def test_a_requirement_is_submitted_with_the_keyboard_alone(ui, api) -> None:
    unit = ui("submitter")
    page = unit.open("/submit")
    expect(page.locator("[data-test=window]")).to_be_visible()
    page.keyboard.press("Tab")
    # The category is a radio group: Tab enters it on the chosen kind, the arrow key moves to the next one.
    press_tab_until(page, "el.type === 'radio' && el.closest('#category') !== null")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("Tab")
    order = [
        ("title", "键盘提交：报表导出增加合计行"),
        ("description", "在单位支出明细报表导出时增加合计行，便于与总账核对，目前需要手工求和。"),
        ("business_scenario", "月末对账"),
        ("expected_effect", "导出即有合计"),
    ]
    for field, text in order:
        assert focused_id(page) == field
        page.keyboard.type(text)
        page.keyboard.press("Tab")
    assert focused_id(page) == "urgency"
    page.keyboard.press("Tab")
    assert focused_id(page) == "module"
    page.keyboard.type("统计报表")
    press_tab_until(page, "el.dataset.test === 'submit'")
    page.keyboard.press("Enter")

    page.wait_for_url(re.compile(r".*/tickets/REQ-.*"))
    ticket_id = page.url.rsplit("/", 1)[-1]
    requirement = api.get("intake", f"/api/requirements/{ticket_id}", as_user="submitter").json()
    assert (requirement["title"], requirement["category"]) == ("键盘提交：报表导出增加合计行", "report")


def switch_to_english(session) -> None:
    page = session.open("/home")
    page.locator("[data-test=locale]").click()
    expect(page.locator("[data-test=locale]")).to_have_text("中文")


def chinese_chrome(page: Page) -> list[str]:
    """Texts of the page's own words that are Chinese: menu, headings, column titles, labels, buttons,
    tabs, placeholders and empty-table texts (cells of data and the offer of 中文 itself are left out)."""
    texts = page.evaluate(
        """() => {
          const own = [
            'aside .el-menu-item', '.el-card__header > b', '.el-card__header .muted', 'th .cell',
            '.el-form-item__label', 'button', '.el-tabs__item', '.el-dialog__title', '.el-table__empty-text',
            '.el-radio-button__inner', '.el-checkbox__label',
          ].join(', ');
          const seen = [...document.querySelectorAll(own)]
            .filter((el) => el.offsetParent !== null && !el.closest('[lang="zh-CN"]'))
            .map((el) => el.innerText.trim());
          const hints = [...document.querySelectorAll('input[placeholder], textarea[placeholder]')]
            .filter((el) => el.offsetParent !== null).map((el) => el.placeholder);
          return [...seen, ...hints];
        }"""
    )
    return sorted({text for text in texts if CJK.search(text)})


def test_every_workspace_speaks_english_when_asked(ui) -> None:
    sessions = {}
    found: dict[str, list[str]] = {}
    for user, path in [("submitter", "/home"), *WORKSPACES, ("auditor", "/home")]:
        if user not in sessions:
            sessions[user] = ui(user)
            switch_to_english(sessions[user])
        page = settled(sessions[user].open(path))
        eventually(lambda page=page: page.locator("aside .el-menu-item").count() > 0, what="the menu")
        if chinese := chinese_chrome(page):
            found[f"{user} {path}"] = chinese
    session = sessions["submitter"]
    session.screenshot("english-unit-workspace")
    assert found == {}


def test_a_tickets_history_reads_in_english_when_asked(ui, api) -> None:
    """The timeline's lines are written by the portal, not the page: in English they are English too, only the
    data (the unit's name, the submitter, the title, the reviewer's opinion) stays as it was entered."""
    body = requirement(title=f"英文时间线{uuid4().hex[:6]}：指标导入增加校验")
    ticket_id = api.post("intake", "/api/requirements", as_user="submitter", json=body).json()["id"]
    eventually(lambda: queued(api, "county", ticket_id), what=f"{ticket_id} in the county queue")
    assert act(api, "county", ticket_id, "forward", opinion="同意").status_code == 200

    session = ui("submitter")
    switch_to_english(session)
    page = session.open(f"/tickets/{ticket_id}")
    timeline = page.locator("[data-test=timeline]")
    expect(timeline).to_contain_text("Review passed", timeout=20_000)
    expect(timeline).to_contain_text("the county finance bureau recommends it and forwards it to the next level: 同意")
    labels = timeline.locator(".el-timeline-item b").all_inner_texts()
    assert labels[:3] == ["Requirement submitted", "In review", "Review passed"]
    assert not [label for label in labels if CJK.search(label)]
