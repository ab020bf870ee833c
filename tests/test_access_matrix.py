"""Every role × every endpoint × own area / other area, against the running services.

Out-of-area reads of one ticket answer 404 (the ticket does not exist for that user); endpoints a role
may never use answer 403; a missing, tampered, expired or wrongly signed token answers 401.
"""

import json
from datetime import timedelta
from pathlib import Path

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from infra.launcher import Stack
from shared.auth import ALGORITHM, KeySet
from shared.events import utcnow
from tests.support import Api, eventually, requirement

pytestmark = pytest.mark.e2e

USERS = [
    "submitter", "unitadmin", "submitter2", "county", "county2", "city", "region",
    "itdiv", "bizdiv", "duty", "vendor1", "vendor2", "bank", "auditor", "admin",
]  # fmt: skip
SUBMITTERS = {"submitter", "unitadmin", "submitter2", "county", "county2", "city", "bank"}
REVIEWERS = {"county", "county2", "city", "region"}
# The ticket is raised by 新城区教育局 (150102, under 呼和浩特市 150100): who has it in their area.
IN_AREA = {"submitter", "unitadmin", "county", "city", "region", "itdiv", "bizdiv", "duty", "auditor", "admin"}
WORK_ORDER_READERS = {"itdiv", "auditor", "vendor1", "vendor2"}


@pytest.fixture(scope="module")
def ticket_id(api: Api) -> str:
    ticket = api.post("intake", "/api/requirements", as_user="submitter", json=requirement()).json()["id"]
    eventually(
        lambda: api.get("portal", f"/api/tickets/{ticket}/timeline", as_user="submitter").status_code == 200,
        what="the ticket in the portal's read model",
    )
    return ticket


@pytest.mark.parametrize("user", USERS)
def test_access_matrix_submit_requirement(api: Api, user: str) -> None:
    response = api.post("intake", "/api/requirements", as_user=user, json=requirement())
    assert response.status_code == (201 if user in SUBMITTERS else 403), response.text


@pytest.mark.parametrize("user", USERS)
def test_access_matrix_read_one_ticket(api: Api, ticket_id: str, user: str) -> None:
    expected = 200 if user in IN_AREA else 404
    assert api.get("intake", f"/api/requirements/{ticket_id}", as_user=user).status_code == expected
    assert api.get("portal", f"/api/tickets/{ticket_id}/timeline", as_user=user).status_code == expected


@pytest.mark.parametrize("user", USERS)
def test_access_matrix_lists_show_only_own_area(api: Api, ticket_id: str, user: str) -> None:
    listed = api.get("intake", "/api/requirements", as_user=user, params={"limit": 200})
    assert listed.status_code == 200
    assert (ticket_id in {r["_id"] for r in listed.json()}) == (user in IN_AREA)


@pytest.mark.parametrize("user", USERS)
def test_access_matrix_review_queue(api: Api, ticket_id: str, user: str) -> None:
    response = api.get("review", "/api/review-tasks", as_user=user)
    assert response.status_code == (200 if user in REVIEWERS else 403)
    if user in REVIEWERS:
        # Only the county bureau that reviews first has it in its queue (第三条).
        assert (ticket_id in {t["_id"] for t in response.json()}) == (user == "county")


@pytest.mark.parametrize("user", USERS)
def test_access_matrix_work_orders(api: Api, user: str) -> None:
    response = api.get("dispatch", "/api/work-orders", as_user=user)
    assert response.status_code == (200 if user in WORK_ORDER_READERS else 403)


@pytest.mark.parametrize("user", USERS)
def test_access_matrix_vendor_refusals(api: Api, user: str) -> None:
    response = api.get("dispatch", "/api/vendor-refusals", as_user=user)
    assert response.status_code == (200 if user in WORK_ORDER_READERS else 403)
    if user.startswith("vendor"):
        own = api.get("portal", "/api/me", as_user=user).json()["org_id"]
        assert {refusal["vendor_id"] for refusal in response.json()} <= {own}


@pytest.mark.parametrize("user", USERS)
def test_access_matrix_inbox_and_directory_for_everyone(api: Api, user: str) -> None:
    assert api.get("notify", "/api/notifications", as_user=user).status_code == 200
    assert api.get("portal", "/api/orgs", as_user=user, params={"division": "150100"}).status_code == 200


ENDPOINTS = [
    ("intake", "GET", "/api/requirements"),
    ("intake", "POST", "/api/requirements"),
    ("review", "GET", "/api/review-tasks"),
    ("notify", "GET", "/api/notifications"),
    ("dispatch", "GET", "/api/work-orders"),
    ("dispatch", "GET", "/api/vendor-refusals"),
    ("portal", "GET", "/api/me"),
]


def claims(api: Api, **overrides) -> dict:
    original = jwt.decode(api.token("county"), options={"verify_signature": False})
    return {**original, **overrides}


def forged_tokens(api: Api, stack: Stack) -> dict[str, str]:
    keys_dir = Path(stack.state_dir / "keys")
    genuine = api.token("county")
    kid = json.loads((keys_dir / "jwks.json").read_text())["keys"][0]["kid"]
    stranger = ec.generate_private_key(ec.SECP256R1())
    header, _payload, signature = genuine.split(".")
    elevated = jwt.utils.base64url_encode(
        json.dumps(claims(api, principal={**claims(api)["principal"], "roles": ["it_division"]})).encode()
    ).decode()
    return {
        "tampered": f"{header}.{elevated}.{signature}",
        "expired": KeySet(keys_dir).sign(claims(api, exp=utcnow() - timedelta(minutes=1))),
        "wrong signer": jwt.encode(claims(api), stranger, algorithm=ALGORITHM, headers={"kid": kid}),
        "wrong audience": KeySet(keys_dir).sign(claims(api, aud="another-system")),
        "unsigned": jwt.encode(claims(api), None, algorithm="none"),
        "not a token": "hello",
    }


@pytest.mark.parametrize(("service", "method", "path"), ENDPOINTS, ids=[f"{e[0]} {e[1]} {e[2]}" for e in ENDPOINTS])
def test_tampered_expired_or_wrongly_signed_token_gets_401(api: Api, stack: Stack, service, method, path) -> None:
    for name, token in forged_tokens(api, stack).items():
        response = httpx.request(
            method, api.url(service, path), json=requirement(), headers={"authorization": f"Bearer {token}"}
        )
        assert response.status_code == 401, f"{name}: {response.status_code} {response.text}"
    assert httpx.request(method, api.url(service, path), json=requirement()).status_code == 401
