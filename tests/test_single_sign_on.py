"""统一身份认证 end to end: the real portal process signs people on with a local OpenID Connect provider
(tests/fakes/identity_provider.py, over HTTP, authorization code with PKCE), following the redirects as a
browser would (httpx, cookies kept), and ends with the same session a password sign-in gives."""

from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from infra.launcher import ServiceProcess
from tests.fakes import FakeIdentityProvider, FakeServer
from tests.single_sign_on import portal_signing_on_with_local_provider, subject_of

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def provider(services: dict[str, ServiceProcess]) -> Iterator[FakeServer]:
    with portal_signing_on_with_local_provider(services) as server:
        yield server


@pytest.fixture
def idp(provider: FakeServer) -> FakeIdentityProvider:
    assert provider.idp is not None
    provider.idp.person = None
    return provider.idp


@pytest.fixture
def portal(services: dict[str, ServiceProcess]) -> Iterator[httpx.Client]:
    """One browser: it keeps the portal's cookie from the start of a sign-in to the callback."""
    with httpx.Client(base_url=services["portal"].url, timeout=10) as client:
        yield client


def to_callback(portal: httpx.Client, next_path: str = "/home") -> httpx.Response:
    """Start a sign-in and follow the provider's redirects up to the portal's callback (not into it)."""
    start = portal.get("/api/auth/oidc/start", params={"next": next_path})
    assert start.status_code == 302, start.text
    at_provider = portal.get(start.headers["location"])
    assert at_provider.status_code == 302, at_provider.text
    callback = at_provider.headers["location"]
    assert urlsplit(callback).path == "/api/auth/oidc/callback"
    return portal.get(callback)


def handoff_code(callback: httpx.Response) -> tuple[str, str]:
    assert callback.status_code == 303, callback.text
    where = urlsplit(callback.headers["location"])
    assert where.path == "/login"
    query = parse_qs(where.query)
    return query["sso"][0], query["next"][0]


def test_the_login_page_is_told_single_sign_on_is_configured(portal: httpx.Client, idp: FakeIdentityProvider) -> None:
    assert portal.get("/api/auth/oidc").json() == {"enabled": True}


def test_the_code_flow_with_pkce_ends_with_our_tokens_for_the_mapped_user(
    portal: httpx.Client, idp: FakeIdentityProvider
) -> None:
    idp.sign_in_as(subject_of("submitter"), preferred_username="submitter", name="张敏")
    arrived = portal.get("/api/auth/oidc/start", params={"next": "/tickets"}, follow_redirects=True)
    # The browser went to the provider and back, and lands on the web UI's sign-in page with a one-time code.
    assert arrived.url.path == "/login", arrived.url
    query = parse_qs(arrived.url.query.decode())
    code = query["sso"][0]
    assert query["next"] == ["/tickets"]
    assert "access_token" not in str(arrived.url) and len(arrived.history) == 3  # portal, provider, callback

    asked = idp.authorize_requests[-1]
    assert asked["code_challenge_method"] == "S256" and len(asked["code_challenge"]) == 43
    assert asked["state"] and asked["nonce"] and asked["scope"] == "openid profile"

    tokens = portal.post("/api/auth/oidc/token", json={"code": code})
    assert tokens.status_code == 200, tokens.text
    session = tokens.json()
    assert session["user"]["username"] == "submitter" and session["user"]["org_id"] == "bu-150102-01"
    assert set(session) == {"access_token", "refresh_token", "token_type", "expires_in", "user", "must_change_password"}
    me = portal.get("/api/me", headers={"authorization": f"Bearer {session['access_token']}"})
    assert me.status_code == 200 and me.json()["user_id"] == "u-submitter"
    # The same session as a password sign-in: the refresh token buys a new pair once.
    assert portal.post("/api/auth/refresh", json={"refresh_token": session["refresh_token"]}).status_code == 200

    again = portal.post("/api/auth/oidc/token", json={"code": code})
    assert again.status_code == 401 and again.json()["error"] == "oidc_handoff_invalid"


def test_an_identity_without_a_portal_user_is_refused(portal: httpx.Client, idp: FakeIdentityProvider) -> None:
    idp.sign_in_as("province-stranger-9999", preferred_username="stranger", name="路人")
    refused = to_callback(portal)
    assert refused.status_code == 403
    assert refused.json()["error"] == "oidc_unknown_identity"
    assert "联系系统管理员" in refused.json()["message"]


def test_a_replayed_state_is_refused(portal: httpx.Client, idp: FakeIdentityProvider) -> None:
    idp.sign_in_as(subject_of("county"), preferred_username="county")
    first = to_callback(portal)
    handoff_code(first)
    replayed = portal.get(first.request.url)
    assert replayed.status_code == 400 and replayed.json()["error"] == "oidc_state_invalid"


def test_a_callback_carried_to_another_browser_is_refused(portal: httpx.Client, idp: FakeIdentityProvider) -> None:
    idp.sign_in_as(subject_of("county"), preferred_username="county")
    start = portal.get("/api/auth/oidc/start")
    callback = portal.get(start.headers["location"]).headers["location"]
    with httpx.Client(timeout=10) as other_browser:  # without the cookie of the browser that started it
        refused = other_browser.get(callback)
    assert refused.status_code == 400 and refused.json()["error"] == "oidc_state_invalid"


@pytest.mark.parametrize(
    ("tampering", "error"),
    [
        ({"aud": "another-client"}, "oidc_id_token_invalid"),
        ({"exp": 1_700_000_000, "iat": 1_699_999_000}, "oidc_id_token_expired"),
        ({"nonce": "not-the-nonce-we-sent"}, "oidc_id_token_invalid"),
        ({"iss": "https://idp.elsewhere.example"}, "oidc_id_token_invalid"),
        ("foreign key", "oidc_id_token_invalid"),
    ],
    ids=["foreign-audience", "expired", "wrong-nonce", "foreign-issuer", "signed-by-another-key"],
)
def test_a_tampered_or_foreign_id_token_is_refused(
    portal: httpx.Client, idp: FakeIdentityProvider, tampering: dict | str, error: str
) -> None:
    idp.sign_in_as(subject_of("city"), preferred_username="city")
    if tampering == "foreign key":
        idp.sign_next_with_foreign_key = True
    else:
        idp.next_id_token = tampering
    refused = to_callback(portal)
    assert refused.status_code == 401, refused.text
    assert refused.json()["error"] == error


def test_a_stolen_code_fails_the_pkce_check_at_the_provider(
    services: dict[str, ServiceProcess], portal: httpx.Client, idp: FakeIdentityProvider
) -> None:
    """Authorization code interception: someone who steals the victim's code and brings it into a sign-in of
    their own sends the provider their own verifier, which does not match the victim's challenge."""
    idp.sign_in_as(subject_of("region"), preferred_username="region")
    victims = portal.get(portal.get("/api/auth/oidc/start").headers["location"]).headers["location"]
    stolen_code = parse_qs(urlsplit(victims).query)["code"][0]
    with httpx.Client(base_url=services["portal"].url, timeout=10) as thief:
        own = thief.get(thief.get("/api/auth/oidc/start").headers["location"]).headers["location"]
        own_state = parse_qs(urlsplit(own).query)["state"][0]
        refused = thief.get("/api/auth/oidc/callback", params={"code": stolen_code, "state": own_state})
    assert refused.status_code == 401 and refused.json()["error"] == "oidc_code_refused"
    assert idp.refusals[-1] == "PKCE verifier does not match the challenge"


def test_the_provider_refuses_a_code_with_the_wrong_verifier(provider: FakeServer, idp: FakeIdentityProvider) -> None:
    """The local provider's own PKCE rule, asked directly: the code is refused, and is spent."""
    from authlib.oauth2.rfc7636 import create_s256_code_challenge

    idp.sign_in_as("anyone")
    params = {
        "client_id": idp.client_id, "redirect_uri": idp.redirect_uri, "response_type": "code", "scope": "openid",
        "state": "s", "code_challenge": create_s256_code_challenge("v" * 43), "code_challenge_method": "S256",
    }  # fmt: skip
    code = parse_qs(urlsplit(httpx.get(f"{provider.url}/authorize", params=params).headers["location"]).query)["code"]
    form = {"grant_type": "authorization_code", "code": code[0], "redirect_uri": idp.redirect_uri}
    auth = (idp.client_id, idp.client_secret)
    wrong = httpx.post(f"{provider.url}/token", data={**form, "code_verifier": "w" * 43}, auth=auth)
    assert wrong.status_code == 400 and wrong.json()["error"] == "invalid_grant"
    right_but_late = httpx.post(f"{provider.url}/token", data={**form, "code_verifier": "v" * 43}, auth=auth)
    assert right_but_late.status_code == 400


def test_a_second_provider_subject_for_the_same_user_is_refused(
    portal: httpx.Client, idp: FakeIdentityProvider
) -> None:
    """A user name reassigned at the provider does not open the account bound to the person before."""
    idp.sign_in_as(subject_of("submitter2"), preferred_username="submitter2")
    handoff_code(to_callback(portal))
    idp.sign_in_as("province-someone-else-0002", preferred_username="submitter2")
    refused = to_callback(portal)
    assert refused.status_code == 403 and refused.json()["error"] == "oidc_identity_conflict"
