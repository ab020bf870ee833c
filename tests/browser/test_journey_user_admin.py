"""用户管理 in headless Chromium: the region's administrator creates a county administrator of 新城区, who
creates a reviewer of its finance bureau; each signs in with the temporary password shown once, is sent to
修改密码 before anything else, and the reviewer then reviews a requirement of the county (第三条)."""

from collections.abc import Iterator
from uuid import uuid4

import pytest
from playwright.sync_api import Browser, Page, expect

from infra.launcher import ServiceProcess
from services.review.tests.test_review_flow_e2e import queued, submitted_for_review
from tests.browser.conftest import UI
from tests.support import Api, eventually

pytestmark = pytest.mark.e2e
WAIT = 20_000


@pytest.fixture
def first_sign_in(browser: Browser, services: dict[str, ServiceProcess]) -> Iterator:
    """`first_sign_in(username, password)`: a fresh browser context signing in with a temporary password."""
    sessions: list[UI] = []

    def open_as(username: str, password: str) -> UI:
        context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN")
        session = UI(context.new_page(), services["portal"].url)
        sessions.append(session)
        page = session.open("/login")
        page.get_by_label("用户名").fill(username)
        page.get_by_label("密码").fill(password)
        page.get_by_role("button", name="登录").click()
        return session

    yield open_as
    errors = [error for session in sessions for error in session.errors]
    for session in sessions:
        session.page.context.close()
    assert errors == [], f"console errors in the browser: {errors}"


def create_user(session: UI, username: str, name: str, org: str, role: str, *, shot: str | None = None) -> str:
    """Fill 新建用户 and answer the temporary password the dialog shows once."""
    page = session.open("/users")
    expect(page.locator("[data-test=users] tbody tr").first).to_be_visible(timeout=WAIT)
    page.locator("[data-test=new-user]").click()
    dialog = page.get_by_role("dialog", name="新建用户")
    dialog.get_by_label("用户名", exact=True).fill(username)
    dialog.get_by_label("姓名", exact=True).fill(name)
    dialog.locator("[data-test=user-org]").click()
    page.keyboard.type(org)
    page.get_by_role("option", name=org).click()
    dialog.locator("[data-test=user-roles]").get_by_text(role, exact=True).click()
    expect(dialog.get_by_role("checkbox", name=role, exact=True)).to_be_checked()
    if shot:
        session.screenshot(shot)
    dialog.locator("[data-test=save-user]").click()
    secret = page.locator("[data-test=temporary-password]")
    expect(secret).to_be_visible(timeout=WAIT)
    password = secret.inner_text().strip()
    page.locator("[data-test=close-issued]").click()
    expect(page.get_by_role("dialog", name="临时密码（仅显示一次）")).to_be_hidden()
    expect(page.locator("[data-test=users] tr", has_text=username)).to_contain_text("待改密")
    return password


def change_password(session: UI, temporary: str, new: str, *, shot: str | None = None) -> Page:
    """The first sign-in lands on 修改密码, and nothing else is offered until the password is changed."""
    page = session.page
    page.wait_for_url("**/password", timeout=WAIT)
    expect(page.locator("[data-test=must-change]")).to_be_visible()
    expect(page.locator(".el-menu-item")).to_have_count(0)
    page.goto(f"{session.base_url}/review")
    page.wait_for_url("**/password")  # the router sends the user back
    page.get_by_label("当前密码", exact=True).fill(temporary)
    page.get_by_label("新密码", exact=True).fill(new)
    page.get_by_label("确认新密码", exact=True).fill(new)
    if shot:
        session.screenshot(shot)
    page.locator("[data-test=save-password]").click()
    page.wait_for_url("**/home", timeout=WAIT)
    expect(page.get_by_text("密码已修改")).to_be_visible()
    return page


def test_journey_an_administrator_creates_a_county_administrator_who_creates_a_reviewer(
    ui, first_sign_in, api: Api
) -> None:
    word = uuid4().hex[:6]
    ticket_id = submitted_for_review(api, f"用户旅程{word} 指标查询增加导出")

    region = ui("admin")
    county_admin = f"xc{word}"
    temporary = create_user(region, county_admin, "新城区管理员", "新城区财政局（fb-150102）", "盟市/旗县区管理员")

    admin = first_sign_in(county_admin, temporary)
    page = change_password(admin, temporary, f"Xincheng-{word}-2026")
    expect(page.locator(".el-menu-item", has_text="用户管理")).to_be_visible()
    page = admin.open("/users")
    # Its list is its county's, and it can grant only the roles of its area.
    expect(page.locator("[data-test=users] tr", has_text="submitter2")).to_have_count(0, timeout=WAIT)
    expect(page.locator("[data-test=users] tbody tr", has_text="submitter").first).to_be_visible()
    reviewer = f"rv{word}"
    temporary = create_user(
        admin, reviewer, "新城区审核员", "新城区财政局（fb-150102）", "财政部门审核人员", shot="county-admin-new-user"
    )
    admin.screenshot("county-admin-users")
    page.locator("[data-test=new-user]").click()
    roles = page.get_by_role("dialog", name="新建用户").locator("[data-test=user-roles]")
    expect(roles).to_contain_text("财政部门审核人员")
    expect(roles).not_to_contain_text("系统管理员")
    expect(roles).not_to_contain_text("审计人员")

    person = first_sign_in(reviewer, temporary)
    change_password(person, temporary, f"Reviewer-{word}-2026", shot="first-sign-in-change-password")
    page = person.open("/review")
    row = page.locator("[data-test=review-queue] tr", has_text=ticket_id)
    expect(row).to_be_visible(timeout=WAIT)
    row.get_by_role("button", name="建议实现").click()
    page.locator("[data-test=review-dialog] [data-test=confirm-review]").click()
    expect(page.get_by_text("已办理")).to_be_visible()
    expect(page.locator("[data-test=review-queue] tr", has_text=ticket_id)).to_have_count(0)
    eventually(lambda: queued(api, "city", ticket_id), what=f"{ticket_id} forwarded to the league/city")
