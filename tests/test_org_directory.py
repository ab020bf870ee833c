"""The region's administrators maintain the organisation tree; a new unit's requirements follow its place."""

import pytest

from tests.support import Api, eventually

pytestmark = pytest.mark.e2e

UNIT = {"id": "bu-150102-09", "name": "新城区审计局", "kind": "budget_unit", "division_code": "150102"}


def test_an_administrator_adds_a_unit_and_the_change_is_audited(api: Api) -> None:
    created = api.post("portal", "/api/orgs", as_user="admin", json=UNIT)
    assert created.status_code == 201, created.text
    listed = api.get("portal", "/api/orgs", as_user="county", params={"division": "150102"}).json()
    assert "新城区审计局" in {org["name"] for org in listed}

    renamed = api.put("portal", f"/api/orgs/{UNIT['id']}", as_user="admin", json={"name": "新城区审计局（更名）"})
    assert renamed.status_code == 200 and renamed.json()["name"] == "新城区审计局（更名）"
    audit = lambda: api.get("portal", "/api/audit", as_user="auditor", params={"subject": f"org-{UNIT['id']}"}).json()  # noqa: E731
    entries = eventually(lambda: len(e := audit()) >= 2 and e, what="both directory changes in the audit trail")
    assert {e["action"] for e in entries} == {"OrganisationChanged"}
    assert {e["actor"]["user_id"] for e in entries} == {"u-admin"}


def test_only_region_administrators_edit_the_tree_and_bad_input_names_the_field(api: Api) -> None:
    other = {**UNIT, "id": "bu-150102-10"}
    for user in ("county", "itdiv", "submitter", "auditor"):
        assert api.post("portal", "/api/orgs", as_user=user, json=other).status_code == 403
    unknown = api.post("portal", "/api/orgs", as_user="admin", json={**other, "division_code": "999999"})
    assert unknown.status_code == 422 and unknown.json()["detail"][0]["field"] == "division_code"
    taken = api.post("portal", "/api/orgs", as_user="admin", json={**other, "id": "bu-150102-01"})
    assert taken.status_code == 409
    assert api.put("portal", "/api/orgs/nowhere", as_user="admin", json={"name": "无此单位"}).status_code == 404


def test_a_unit_added_to_the_directory_can_have_its_calls_recorded_until_it_is_deactivated(api: Api) -> None:
    """Intake learns the directory from the portal's OrganisationChanged events (第九条: the duty operator
    records a call for the caller's organisation), without a release of its own."""
    unit = {"id": "bu-150102-11", "name": "新城区统计局", "kind": "budget_unit", "division_code": "150102"}
    assert api.post("portal", "/api/orgs", as_user="admin", json=unit).status_code == 201
    call = {
        "category": "consulting",
        "title": "新单位如何登录系统",
        "description": "新设立的单位如何获取预算一体化系统账号？",
        "details": {"kind": "consulting", "question_type": "software_operation"},
        "channel": "hotline",
        "org_id": unit["id"],
        "caller": {"name": "王女士", "phone": "0471-0000001"},
    }

    def recorded() -> dict | None:
        response = api.post("intake", "/api/problems/recorded", as_user="duty", json=call)
        return response.json() if response.status_code == 201 else None

    problem_id = eventually(recorded, what="a call recorded for the new unit")["id"]
    assert api.get("intake", f"/api/problems/{problem_id}", as_user="duty").json()["org"]["name"] == "新城区统计局"

    assert api.put("portal", f"/api/orgs/{unit['id']}", as_user="admin", json={"active": False}).status_code == 200

    def refused() -> dict | None:
        response = api.post("intake", "/api/problems/recorded", as_user="duty", json=call)
        return response.json() if response.status_code == 422 else None

    error = eventually(refused, what="calls for the deactivated unit refused")
    assert error["detail"][0]["field"] == "org_id" and error["error"] == "inactive_organisation"
