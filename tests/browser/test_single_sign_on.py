"""统一身份认证 in the browser: the sign-in page offers the province's single sign-on when the portal has it,
and its button goes to the local provider (tests/fakes/identity_provider.py), back to the portal and into the
workspace the person asked for, signed in as the portal user the provider's claim names."""

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser

from infra.launcher import ServiceProcess
from tests.browser.conftest import UI
from tests.fakes import FakeIdentityProvider, FakeServer
from tests.single_sign_on import portal_signing_on_with_local_provider, subject_of

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def provider(services: dict[str, ServiceProcess]) -> Iterator[FakeServer]:
    with portal_signing_on_with_local_provider(services) as server:
        yield server


@pytest.fixture
def signed_out(browser: Browser, services: dict[str, ServiceProcess]) -> Iterator[UI]:
    context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN")
    session = UI(context.new_page(), services["portal"].url)
    yield session
    context.close()
    assert session.errors == [], f"console errors in the browser: {session.errors}"


def test_the_single_sign_on_button_signs_the_mapped_user_into_the_asked_page(
    provider: FakeServer, signed_out: UI
) -> None:
    idp: FakeIdentityProvider = provider.idp
    idp.sign_in_as(subject_of("county"), preferred_username="county", name="赵磊")
    page = signed_out.open("/review")  # not signed in: the UI sends the person to /login?next=/review
    page.wait_for_url(re.compile(r"/login\?next=%2Freview|/login\?next=/review"))
    page.get_by_role("button", name="统一身份认证登录").click()
    page.wait_for_url("**/review")
    assert page.get_by_text("赵磊").first.is_visible()
    assert "sso=" not in page.url
