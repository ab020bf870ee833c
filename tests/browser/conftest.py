"""Headless Chromium (Debian's, driven by Playwright; no browser download) against the portal's web UI.

Every page a test opens fails the test on a console error or an uncaught exception. Screenshots are taken
at 1366×768 into docs/screenshots/, so the docs show what the tests saw.
"""

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from infra.launcher import ROOT, ServiceProcess
from services.portal.seed import DEMO_PASSWORD

SCREENSHOTS = ROOT / "docs" / "screenshots"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


# Module scope: Playwright's sync API keeps an event loop running in this thread while it is open, and
# tests after the browser journeys call asyncio.run().
@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    executable = shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(executable).exists():
        pytest.fail("Debian's chromium is not installed: `make test` installs it (make browser)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class UI:
    """One user's browser session on the web UI."""

    def __init__(self, page: Page, base_url: str) -> None:
        self.page = page
        self.base_url = base_url
        self.errors: list[str] = []
        page.on("console", lambda message: message.type == "error" and self.errors.append(message.text))
        page.on("pageerror", lambda error: self.errors.append(str(error)))

    def open(self, path: str) -> Page:
        self.page.goto(f"{self.base_url}{path}")
        return self.page

    def sign_in(self, username: str) -> "UI":
        page = self.open("/login")
        page.get_by_label("用户名").fill(username)
        page.get_by_label("密码").fill(DEMO_PASSWORD)
        page.get_by_role("button", name="登录").click()
        page.wait_for_url("**/home")
        return self

    def screenshot(self, name: str) -> None:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        self.page.wait_for_load_state("networkidle")
        self.page.screenshot(path=SCREENSHOTS / f"{name}.png")


@pytest.fixture
def ui(browser: Browser, services: dict[str, ServiceProcess]) -> Iterator:
    """`ui(username)` signs a user in, in a fresh browser context; the test fails on any console error."""
    sessions: list[UI] = []

    def open_as(username: str) -> UI:
        context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN")
        session = UI(context.new_page(), services["portal"].url)
        sessions.append(session)
        return session.sign_in(username)

    yield open_as
    errors = [error for session in sessions for error in session.errors]
    for session in sessions:
        session.page.context.close()
    assert errors == [], f"console errors in the browser: {errors}"
