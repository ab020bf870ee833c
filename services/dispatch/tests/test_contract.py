"""The vendor contract in docs/integration/ is what the code says, and it says it coherently."""

import json
import re
from typing import Any

import pytest

from services.dispatch.contract import yaml
from services.dispatch.contract.asyncapi import MESSAGES, asyncapi, json_schema_file
from services.dispatch.contract.examples import EXAMPLES
from services.dispatch.contract.render import ROOT, render, stale
from shared.events import Envelope
from shared.vendor_reports import DATASCHEMA, read_vendor_report


@pytest.mark.parametrize("path", sorted(render()), ids=lambda p: str(p.relative_to(ROOT)))
def test_committed_contract_equals_what_the_generator_writes(path) -> None:
    assert path.exists(), f"{path} is missing: run python -m services.dispatch.contract"
    assert path.read_text(encoding="utf-8") == render()[path], (
        f"{path.relative_to(ROOT)} is not current: run python -m services.dispatch.contract"
    )


def test_no_schema_file_is_left_from_a_message_that_left_the_contract() -> None:
    assert stale() == []


@pytest.mark.parametrize(("name", "example"), [(n, e) for n, es in EXAMPLES.items() for e in es])
def test_examples_are_messages_fiscaldesk_accepts_and_match_their_schema(name: str, example: dict) -> None:
    envelope = Envelope.model_validate(example)
    assert envelope.type == name and envelope.event().subject == envelope.subject
    schema = json_schema_file(name)
    assert check(example, schema, schema) == []
    if name == "VendorProgressReported":
        assert envelope.dataschema == DATASCHEMA
        assert read_vendor_report(example, example["data"]["vendor_id"]).id == example["id"]


def test_schema_refuses_what_dispatch_refuses() -> None:
    schema = json_schema_file("VendorProgressReported")
    [*_, delivered] = EXAMPLES["VendorProgressReported"]
    without_version = {**delivered, "data": {**delivered["data"], "version": None}}
    assert check(without_version, schema, schema), "delivered needs a version"
    assert check({**delivered, "extra": 1}, schema, schema), "no unknown attribute in what a vendor sends"
    assert check({**delivered, "dataschema": "fiscaldesk:VendorProgressReported:v2"}, schema, schema)
    assert check({**delivered, "time": "2027-01-23T09:30:00"}, schema, schema), "a time needs its zone"
    assert check({**delivered, "source": "vendor-a"}, schema, schema), "a vendor's source is /vendors/<id>"
    assert check({**delivered, "data": {**delivered["data"], "note": "长" * 2001}}, schema, schema)
    assert check({**delivered, "data": {**delivered["data"], "version": "v" * 65}}, schema, schema)
    assert check({**delivered, "actor": {**delivered["actor"], "roles": ["it_division"]}}, schema, schema)
    received = json_schema_file("WorkOrderDispatched")
    [dispatched] = EXAMPLES["WorkOrderDispatched"]
    later = {**dispatched, "data": {**dispatched["data"], "a_field_added_later": 1}}
    assert check(later, received, received) == [], "what a vendor receives may grow optional fields"


def test_every_reference_in_the_asyncapi_document_resolves() -> None:
    document = asyncapi()
    refs = list(_refs(document))
    assert refs
    for ref in refs:
        node: Any = document
        for part in ref.removeprefix("#/").split("/"):
            node = node[part]
    assert set(document["components"]["messages"]) == set(MESSAGES)
    assert document["channels"]["workOrders"]["address"] == "{prefix}.work-orders.{vendorId}"
    assert document["channels"]["vendorProgress"]["address"] == "{prefix}.vendor-progress.{vendorId}"


def test_asyncapi_declares_sasl_scram_sha_512_on_its_server() -> None:
    document = asyncapi()
    [requirement] = document["servers"]["fiscaldesk"]["security"]
    scheme = document["components"]["securitySchemes"][requirement["$ref"].rsplit("/", 1)[-1]]
    assert scheme["type"] == "scramSha512"


def test_yaml_writer_quotes_whatever_a_reader_could_take_for_something_else() -> None:
    text = yaml.dump(
        {"plain": "vendor-a", "bool": "true", "num": "1.0", "date": "2026-12-14", "dash": "- x", "colon": "a: b"}
        | {"text": "第一行\n\n第三行", "empty": [], "items": [{"a": 1, "b": [True, None]}, "x"], "$ref": "#/x"}
    )
    assert text == (
        "plain: vendor-a\n"
        'bool: "true"\n'
        'num: "1.0"\n'
        'date: "2026-12-14"\n'
        'dash: "- x"\n'
        'colon: "a: b"\n'
        "text: |-\n  第一行\n\n  第三行\n"
        "empty: []\n"
        "items:\n  - a: 1\n    b:\n      - true\n      - null\n  - x\n"
        '$ref: "#/x"\n'
    )


def _refs(value: Any):
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "$ref":
                yield item
            else:
                yield from _refs(item)
    elif isinstance(value, list):
        for item in value:
            yield from _refs(item)


TYPES = {"string": str, "number": int | float, "integer": int, "boolean": bool, "object": dict, "array": list}


def check(value: Any, schema: dict, root: dict, path: str = "$") -> list[str]:
    """The subset of JSON Schema the contract uses; returns what is wrong (empty when valid)."""
    if "$ref" in schema:
        return check(value, root["$defs"][schema["$ref"].removeprefix("#/$defs/")], root, path)
    if "anyOf" in schema:
        return [] if any(not check(value, s, root, path) for s in schema["anyOf"]) else [f"{path}: no anyOf matches"]
    errors = []
    kind = schema.get("type")
    if (kind == "null" and value is not None) or (kind in TYPES and not isinstance(value, TYPES[kind])):
        return [f"{path}: not {kind}"]
    if isinstance(value, bool) and kind in {"number", "integer"}:
        return [f"{path}: not {kind}"]
    if "const" in schema and value != schema["const"]:
        errors.append(f"{path}: not {schema['const']!r}")
    if "enum" in schema and value not in schema["enum"]:
        errors.append(f"{path}: not one of {schema['enum']}")
    if "exclusiveMinimum" in schema and not value > schema["exclusiveMinimum"]:
        errors.append(f"{path}: too small")
    if "minLength" in schema and len(value) < schema["minLength"]:
        errors.append(f"{path}: too short")
    if "maxLength" in schema and len(value) > schema["maxLength"]:
        errors.append(f"{path}: too long")
    if "maxItems" in schema and len(value) > schema["maxItems"]:
        errors.append(f"{path}: too many items")
    if "pattern" in schema and not re.search(schema["pattern"], value):
        errors.append(f"{path}: does not match {schema['pattern']}")
    if isinstance(value, dict):
        errors += [f"{path}.{name}: missing" for name in schema.get("required", []) if name not in value]
        properties = schema.get("properties", {})
        for name, item in value.items():
            if name in properties:
                errors += check(item, properties[name], root, f"{path}.{name}")
            elif schema.get("additionalProperties") is False:
                errors.append(f"{path}.{name}: not allowed")
    if isinstance(value, list) and "items" in schema:
        for n, item in enumerate(value):
            errors += check(item, schema["items"], root, f"{path}[{n}]")
    if "if" in schema and not check(value, schema["if"], root, path):
        errors += check(value, schema["then"], root, path)
    return errors


def test_check_itself_notices_a_wrong_type() -> None:
    schema = json.loads(json.dumps(json_schema_file("WorkOrderDispatched")))
    [example] = EXAMPLES["WorkOrderDispatched"]
    assert check({**example, "data": {**example["data"], "effort_days": "15"}}, schema, schema)
    assert check({**example, "data": {**example["data"], "effort_days": 0}}, schema, schema)
