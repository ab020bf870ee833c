"""Every form's validation errors speak the user's language: each POST and PUT of every service's OpenAPI gets
bodies that break its rules (nothing filled in, wrong types, texts far too long, an unknown field) and every
422 names the field and the rule in words — Chinese by default, English when asked — never pydantic's English."""

import re
from typing import Any

import httpx
import pytest

from infra.launcher import SERVICES
from tests.support import Api

pytestmark = pytest.mark.e2e
PYDANTIC_ENGLISH = re.compile(
    r"should have|should be|Field required|Input should|value is not a valid|String should|Extra inputs|"
    r"Value error|valid dictionary|unable to parse|Invalid JSON|is not a valid",
    re.IGNORECASE,
)
TOO_LONG = "长" * 20_001


def schema_of(spec: dict, schema: dict) -> dict:
    while "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def wrong_value(spec: dict, prop: dict) -> Any:
    """A value of the wrong kind for a property: a number where text is expected, text elsewhere."""
    prop = schema_of(spec, prop)
    kinds = {prop.get("type")} | {option.get("type") for option in prop.get("anyOf", [])}
    return 12345 if "string" in kinds else "不是这个类型"


def bad_bodies(spec: dict, schema: dict) -> list[Any]:
    schema = schema_of(spec, schema)
    props = schema.get("properties", {})
    return [
        {},  # nothing filled in
        {name: wrong_value(spec, prop) for name, prop in props.items()},
        {name: TOO_LONG for name in props},
        {"unknown_field_xyz": 1},
        [],
    ]


def json_operations(spec: dict) -> list[tuple[str, str, dict]]:
    found = []
    for path, item in spec["paths"].items():
        for method in ("post", "put"):
            operation = item.get(method)
            body = (operation or {}).get("requestBody", {}).get("content", {}).get("application/json")
            if body:
                found.append((method, re.sub(r"\{[^}]+\}", "X-1", path), body["schema"]))
    return found


def test_no_validation_message_of_any_form_contains_pydantics_english(api: Api) -> None:
    checked = 0
    for service in SERVICES:
        spec = httpx.get(api.url(service, "/openapi.json"), timeout=10).json()
        for method, path, schema in json_operations(spec):
            for body in bad_bodies(spec, schema):
                response = httpx.request(
                    method, api.url(service, path), json=body, headers=api.headers("admin"), timeout=10
                )
                if response.status_code != 422:
                    continue
                checked += 1
                answer = response.json()
                texts = [answer["message"], *(entry["message"] for entry in answer.get("detail", []))]
                english = [text for text in texts if PYDANTIC_ENGLISH.search(text)]
                assert not english, f"{method.upper()} {service}{path} {str(body)[:80]}: {english}"
                assert answer["message"].startswith("请求数据不符合要求："), answer
                assert all(entry["field"] and entry["rule"] for entry in answer.get("detail", [])), answer
    assert checked >= 100, f"only {checked} invalid requests were answered 422"


def test_a_short_reason_is_named_in_words_in_chinese_and_in_english(api: Api) -> None:
    path = "/api/problem-cases/PRB-NONE/reassign"
    body = {"to": "bureau", "reason": ""}
    chinese = httpx.post(api.url("review", path), json=body, headers=api.headers("duty"), timeout=10).json()
    assert chinese["detail"][0]["field"] == "reason" and chinese["detail"][0]["rule"] == "string_too_short"
    assert chinese["detail"][0]["message"] == "请填写理由"
    english_headers = {**api.headers("duty"), "accept-language": "en-GB,en;q=0.9"}
    english = httpx.post(api.url("review", path), json=body, headers=english_headers, timeout=10).json()
    assert english["detail"][0]["message"] == "reason is required"
    short = httpx.post(api.url("review", path), json={"to": "bureau", "reason": "太短"}, headers=api.headers("duty"))
    assert short.status_code in (404, 422)  # long enough for the schema: the domain's rule (10) answers for the case
    missing = httpx.post(api.url("intake", "/api/requirements"), json={}, headers=api.headers("submitter")).json()
    assert "请填写标题" in missing["message"] and "请填写描述" in missing["message"]


def test_openapi_declares_the_error_body_the_services_send(api: Api) -> None:
    schema = httpx.get(api.url("intake", "/openapi.json")).json()
    declared = schema["components"]["schemas"]["HTTPValidationError"]
    assert set(declared["required"]) == {"error", "message"}
    assert set(declared["properties"]["detail"]["items"]["properties"]) == {"field", "rule", "message", "limit"}
    answer = api.post("intake", "/api/requirements", as_user="unitadmin", json={"category": "new"})
    assert answer.status_code == 422
    assert set(answer.json()) <= set(declared["properties"])
    assert all(set(entry) <= {"field", "rule", "message", "limit"} for entry in answer.json()["detail"])
