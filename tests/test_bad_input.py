"""A malformed submission gets a 4xx naming the field and the rule; nothing is stored, no event is sent."""

import httpx
import pytest

from infra.launcher import Stack
from tests.support import Api, end_offsets, requirement

pytestmark = pytest.mark.e2e


def stored_count(api: Api) -> int:
    return len(api.get("intake", "/api/requirements", as_user="unitadmin", params={"limit": 200}).json())


CASES = [
    ("missing fields", {"category": "new"}, 422, {("title", "missing"), ("description", "missing")}),
    ("wrong types", requirement(title=123, urgency=["x"]), 422, {("title", "string_type"), ("urgency", "enum")}),
    ("unknown category", requirement(category="wish"), 422, {("category", "enum")}),
    ("a title of a megabyte", requirement(title="x" * 1_048_576), 422, {("title", "string_too_long")}),
    ("unknown field", requirement(priority="P0"), 422, {("priority", "extra_forbidden")}),
    ("blank title", requirement(title="   "), 422, {("title", "string_too_short")}),
]


@pytest.mark.parametrize(("case", "body", "status", "expected"), CASES, ids=[c[0] for c in CASES])
def test_malformed_submission_is_refused_naming_field_and_rule(
    api: Api, stack: Stack, case: str, body: dict, status: int, expected: set
) -> None:
    offsets, count = end_offsets(stack.kafka_bootstrap, f"{stack.topic_prefix}.requirements"), stored_count(api)

    response = api.post("intake", "/api/requirements", as_user="unitadmin", json=body)

    assert response.status_code == status, response.text
    reported = {(d["field"], d["rule"]) for d in response.json()["detail"]}
    assert expected <= reported
    assert stored_count(api) == count
    assert end_offsets(stack.kafka_bootstrap, f"{stack.topic_prefix}.requirements") == offsets


def test_body_that_is_not_json_is_refused(api: Api) -> None:
    response = httpx.post(
        api.url("intake", "/api/requirements"),
        content=b"category=new&title=x",
        headers={**api.headers("unitadmin"), "content-type": "application/json"},
    )
    assert response.status_code == 422
    expected = {"field": "body", "rule": "json_invalid", "message": "请求内容不是有效的 JSON"}
    assert response.json()["detail"][0] == expected


def test_body_over_the_size_limit_is_refused_with_413(api: Api) -> None:
    response = api.post(
        "intake", "/api/requirements", as_user="unitadmin", json=requirement(description="x" * 3_000_000)
    )
    assert response.status_code == 413
    assert response.json()["detail"][0]["field"] == "body"


def test_submission_without_token_is_401_and_with_wrong_role_is_403(api: Api) -> None:
    assert httpx.post(api.url("intake", "/api/requirements"), json=requirement()).status_code == 401
    forged = api.token("submitter")[:-4] + "AAAA"
    response = httpx.post(
        api.url("intake", "/api/requirements"), json=requirement(), headers={"authorization": f"Bearer {forged}"}
    )
    assert response.status_code == 401
    assert api.post("intake", "/api/requirements", as_user="vendor1", json=requirement()).status_code == 403
