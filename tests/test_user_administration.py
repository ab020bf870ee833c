"""用户管理 against the running services: the region's administrator creates a county administrator, who
administers the users of that county only; temporary passwords must be changed at the first sign-in; resets
and deactivations end sessions; a deactivated organisation's users cannot sign in; every change is audited."""

from uuid import uuid4

import httpx
import pytest

from tests.support import Api, eventually

pytestmark = pytest.mark.e2e


def login(api: Api, username: str, password: str) -> httpx.Response:
    return httpx.post(api.url("portal", "/api/auth/login"), json={"username": username, "password": password})


def bearer(tokens: dict) -> dict[str, str]:
    return {"authorization": f"Bearer {tokens['access_token']}"}


def signed_in_with_new_password(api: Api, username: str, temporary: str, new: str) -> dict:
    """The first sign-in with a temporary password: told to change it, changes it, signs in again."""
    first = login(api, username, temporary)
    assert first.status_code == 200, first.text
    assert first.json()["must_change_password"] is True
    body = {"current_password": temporary, "new_password": new}
    changed = httpx.post(api.url("portal", "/api/me/password"), json=body, headers=bearer(first.json()))
    assert changed.status_code == 204, changed.text
    again = login(api, username, new)
    assert again.status_code == 200 and again.json()["must_change_password"] is False
    return again.json()


def name(prefix: str) -> str:
    return f"{prefix}{uuid4().hex[:6]}"


@pytest.fixture(scope="module")
def county_admin(api: Api) -> tuple[str, dict]:
    """A county administrator of 新城区 (150102) created by the region's administrator, password changed."""
    username = name("xcadm")
    body = {"username": username, "name": "新城区管理员", "org_id": "fb-150102", "roles": ["org_admin"]}
    created = api.post("portal", "/api/users", as_user="admin", json=body)
    assert created.status_code == 201, created.text
    issued = created.json()
    assert issued["user"]["must_change_password"] is True and len(issued["temporary_password"]) >= 10
    return username, signed_in_with_new_password(api, username, issued["temporary_password"], "Xincheng-Admin-2026")


def as_admin(api: Api, tokens: dict, method: str, path: str, **kwargs) -> httpx.Response:
    return httpx.request(method, api.url("portal", path), headers=bearer(tokens), timeout=10, **kwargs)


def test_a_county_administrator_creates_a_reviewer_who_must_change_the_password(api: Api, county_admin) -> None:
    _, tokens = county_admin
    username = name("rev")
    body = {"username": username, "name": "新城区审核员", "org_id": "fb-150102", "roles": ["reviewer"]}
    created = as_admin(api, tokens, "POST", "/api/users", json=body)
    assert created.status_code == 201, created.text
    temporary = created.json()["temporary_password"]

    first = login(api, username, temporary).json()
    assert first["must_change_password"] is True and first["user"]["roles"] == ["reviewer"]
    weak = httpx.post(
        api.url("portal", "/api/me/password"),
        json={"current_password": temporary, "new_password": "12345678"},
        headers={**bearer(first), "accept-language": "en"},
    )
    assert weak.status_code == 422
    assert weak.json()["detail"][0]["field"] == "new_password"
    wrong = httpx.post(
        api.url("portal", "/api/me/password"),
        json={"current_password": "not-it-1234", "new_password": "Reviewer-Xc-2026"},
        headers=bearer(first),
    )
    assert wrong.status_code == 422 and wrong.json()["detail"][0]["field"] == "current_password"
    tokens = signed_in_with_new_password(api, username, temporary, "Reviewer-Xc-2026")
    assert login(api, username, temporary).status_code == 401  # the temporary password is gone
    queue = httpx.get(api.url("review", "/api/review-tasks"), headers=bearer(tokens))
    assert queue.status_code == 200


def test_a_county_administrator_stays_inside_its_area_and_its_grant(api: Api, county_admin) -> None:
    _, tokens = county_admin
    sysadmin = {"username": name("boss"), "name": "越权", "org_id": "fb-150102", "roles": ["sysadmin"]}
    refused = as_admin(api, tokens, "POST", "/api/users", json=sysadmin)
    assert refused.status_code == 403 and refused.json()["detail"][0]["field"] == "roles"
    auditor = as_admin(api, tokens, "POST", "/api/users", json={**sysadmin, "roles": ["auditor"]})
    assert auditor.status_code == 403
    elsewhere = {"username": name("far"), "name": "外区用户", "org_id": "bu-150202-01", "roles": ["submitter"]}
    outside = as_admin(api, tokens, "POST", "/api/users", json=elsewhere)
    assert outside.status_code == 422 and outside.json()["detail"][0]["field"] == "org_id"

    # Users of another county, and the region's own, do not exist for it.
    for user_id in ("u-submitter2", "u-auditor", "u-admin"):
        assert as_admin(api, tokens, "GET", f"/api/users/{user_id}").status_code == 404
        assert as_admin(api, tokens, "POST", f"/api/users/{user_id}/reset-password").status_code == 404
        assert as_admin(api, tokens, "PATCH", f"/api/users/{user_id}", json={"name": "改名"}).status_code == 404
    listed = as_admin(api, tokens, "GET", "/api/users", params={"limit": 100}).json()
    assert listed["items"] and all("150102" in user["org_path"] for user in listed["items"])
    assert "u-submitter" in {user["id"] for user in listed["items"]}
    assert as_admin(api, tokens, "GET", "/api/users", params={"limit": 101}).status_code == 422

    for user in ("submitter", "county", "itdiv", "auditor"):
        assert api.get("portal", "/api/users", as_user=user).status_code == 403


def test_the_region_lists_filters_and_pages_every_area(api: Api) -> None:
    page = api.get("portal", "/api/users", as_user="admin", params={"limit": 2}).json()
    assert len(page["items"]) == 2 and page["more"] is True
    found = api.get("portal", "/api/users", as_user="admin", params={"q": "submitter2"}).json()["items"]
    assert [user["id"] for user in found] == ["u-submitter2"]
    vendors = api.get("portal", "/api/users", as_user="admin", params={"role": "vendor"}).json()["items"]
    assert {user["id"] for user in vendors} >= {"u-vendor1", "u-vendor2"}
    in_city = api.get("portal", "/api/users", as_user="admin", params={"org_id": "fb-150100"}).json()["items"]
    assert {user["id"] for user in in_city} == {"u-city"}


def test_reset_and_deactivation_end_sessions_and_are_audited(api: Api, county_admin) -> None:
    _, tokens = county_admin
    username = name("unit")
    body = {"username": username, "name": "教育局录入员", "org_id": "bu-150102-01", "roles": ["submitter"]}
    created = as_admin(api, tokens, "POST", "/api/users", json=body).json()
    user_id = created["user"]["id"]
    session = signed_in_with_new_password(api, username, created["temporary_password"], "Jiaoyu-Unit-2026")

    reset = as_admin(api, tokens, "POST", f"/api/users/{user_id}/reset-password")
    assert reset.status_code == 200 and reset.json()["user"]["must_change_password"] is True
    refresh = {"refresh_token": session["refresh_token"]}
    assert httpx.post(api.url("portal", "/api/auth/refresh"), json=refresh).status_code == 401
    assert login(api, username, "Jiaoyu-Unit-2026").status_code == 401
    assert login(api, username, reset.json()["temporary_password"]).json()["must_change_password"] is True

    renamed = as_admin(api, tokens, "PATCH", f"/api/users/{user_id}", json={"name": "教育局录入员（改）"})
    assert renamed.status_code == 200 and renamed.json()["name"] == "教育局录入员（改）"
    deactivated = as_admin(api, tokens, "POST", f"/api/users/{user_id}/deactivate")
    assert deactivated.status_code == 200 and deactivated.json()["active"] is False
    assert login(api, username, reset.json()["temporary_password"]).status_code == 401

    me = as_admin(api, tokens, "GET", "/api/me").json()["user_id"]
    assert as_admin(api, tokens, "POST", f"/api/users/{me}/deactivate").status_code == 409

    def trail() -> list[dict] | None:
        entries = api.get("portal", "/api/audit", as_user="auditor", params={"subject": f"user-{user_id}"}).json()
        changes = [e for e in entries if e["action"] == "UserChanged"]
        return entries if len(changes) >= 4 else None

    # The user's trail: the administrators' changes, and the user's own sign-ins between them.
    every = eventually(trail, what="the user's changes in the audit trail")
    entries = [e for e in every if e["action"] == "UserChanged"]
    assert [e["data"]["data"]["change"] for e in reversed(entries)] == [
        "created", "password_changed", "password_reset", "updated", "deactivated",
    ][: len(entries)]  # fmt: skip
    assert {e["action"] for e in every} <= {"UserChanged", "SignedIn", "RefreshTokenReused"}
    assert "SignedIn" in {e["action"] for e in every}
    assert all("password_hash" not in e["data"]["data"] for e in entries)
    assert {e["actor"]["name"] for e in entries} == {"新城区管理员", "教育局录入员"}


def test_a_deactivated_organisations_users_cannot_sign_in(api: Api) -> None:
    org = {"id": name("bu-150102-x"), "name": "新城区临时单位", "kind": "budget_unit", "division_code": "150102"}
    assert api.post("portal", "/api/orgs", as_user="admin", json=org).status_code == 201
    username = name("temp")
    body = {"username": username, "name": "临时单位用户", "org_id": org["id"], "roles": ["submitter"]}
    temporary = api.post("portal", "/api/users", as_user="admin", json=body).json()["temporary_password"]
    assert login(api, username, temporary).status_code == 200

    assert api.put("portal", f"/api/orgs/{org['id']}", as_user="admin", json={"active": False}).status_code == 200
    assert login(api, username, temporary).status_code == 401
    again = {**body, "username": name("late")}
    refused = api.post("portal", "/api/users", as_user="admin", json=again)
    assert refused.status_code == 422 and refused.json()["detail"][0]["field"] == "org_id"
