"""The vendor contract (AsyncAPI 3.0 + JSON Schema), built from the event models in shared/events/dispatch.py.

Each message schema is the shared Envelope (CloudEvents attributes) with `type` and `dataschema` fixed and
`data` the event's own schema. What a vendor receives is open to new optional fields (readers ignore
what they do not know); what a vendor sends is the strict model dispatch checks it with
(shared.vendor_reports.VendorProgressMessage): closed, bounded, with a zoned time.
"""

import copy
from typing import Any

from pydantic import BaseModel

from services.dispatch.contract.examples import EXAMPLES
from shared.events import Envelope, Event, VendorProgressReported, WorkOrderDispatched, WorkOrderReopened
from shared.topics import SPECS
from shared.vendor_reports import VendorProgressMessage

DIALECT = "https://json-schema.org/draft/2020-12/schema"
KAFKA_BINDING = "0.5.0"
RECEIVED: dict[str, type[Event]] = {"WorkOrderDispatched": WorkOrderDispatched, "WorkOrderReopened": WorkOrderReopened}
SENT: dict[str, type[Event]] = {"VendorProgressReported": VendorProgressReported}
MESSAGES = {**RECEIVED, **SENT}
# The envelope model of each message: what a vendor sends is read with the strict one.
ENVELOPES: dict[str, type[BaseModel]] = {"VendorProgressReported": VendorProgressMessage}
TITLES = {
    "WorkOrderDispatched": "派发工单 — a work order for the vendor (第六条五)",
    "WorkOrderReopened": "工单重新打开 — verification failed, develop again (第六条七)",
    "VendorProgressReported": "进度报告 — the vendor's progress on a work order (第六条六)",
}
ATTRIBUTES = {
    "specversion": 'CloudEvents version: always "1.0".',
    "id": "Unique id of this message; consumers drop an id they have processed, so a resent message keeps its id.",
    "type": "The event's name: what `data` is.",
    "source": "Who produced it: /fiscaldesk/<service> for fiscaldesk, /vendors/<vendor_id> for a vendor "
    "(the vendor of the topic: another is refused).",
    "subject": "The ticket id (需求编号), equal to data.ticket_id; it is also the Kafka record key.",
    "time": "When it happened: RFC 3339 text with a time zone (Z or +08:00); a time without one is refused.",
    "datacontenttype": "Always application/json.",
    "dataschema": "fiscaldesk:<type>:v<n>, the version of `data`; a consumer refuses a version it does not know.",
    "correlationid": "Shared by every message of one flow; a vendor copies it from the work order.",
    "causationid": "Id of the message that caused this one (a vendor gives the work order's id), or null.",
    "actor": "Who acted. A vendor gives its integration user, with org_id = its vendor id (another is refused); "
    "fiscaldesk's history and audit trail name the vendor of the topic, not this user.",
    "data": "The event.",
}
REQUIRED = [name for name in ATTRIBUTES if name not in {"datacontenttype", "causationid"}]
# Rules the models check in code that JSON Schema can still say.
EXTRA_RULES: dict[str, dict[str, Any]] = {
    "VendorProgressReported": {
        "if": {"properties": {"stage": {"const": "delivered"}}, "required": ["stage"]},
        "then": {"required": ["version"], "properties": {"version": {"type": "string", "minLength": 1}}},
    }
}


def message_schema(name: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """(the envelope schema of message `name`, its definitions); references read "#/$defs/<name>"."""
    model = MESSAGES[name]
    closed = name in SENT
    data = model.model_json_schema(ref_template="#/$defs/{model}")
    definitions = data.pop("$defs", {})
    data |= EXTRA_RULES.get(name, {})
    envelope = ENVELOPES.get(name, Envelope).model_json_schema(ref_template="#/$defs/{model}")
    definitions |= envelope.pop("$defs")
    definitions[name] = data
    if not closed:
        data.pop("additionalProperties", None)
        envelope.pop("additionalProperties", None)
    properties = envelope["properties"]
    for attribute, description in ATTRIBUTES.items():
        properties[attribute]["description"] = description
    properties["specversion"] |= {"const": "1.0"}
    properties["type"] |= {"const": name}
    properties["dataschema"] |= {"const": f"fiscaldesk:{name}:v{model.schema_version}"}
    properties["datacontenttype"] |= {"const": "application/json"}
    properties["actor"] = {
        "$ref": f"#/$defs/{'VendorActor' if closed else 'Actor'}",
        "description": ATTRIBUTES["actor"],
    }
    properties["data"] = {"$ref": f"#/$defs/{name}", "description": ATTRIBUTES["data"]}
    envelope |= {"title": f"{name} message", "description": TITLES[name], "required": REQUIRED}
    return _ordered(envelope), definitions


def _ordered(schema: dict[str, Any]) -> dict[str, Any]:
    """Title and description first, so the files read from the top."""
    first = ["title", "description", "type", "required", "properties", "additionalProperties"]
    return {key: schema[key] for key in first if key in schema} | schema


def json_schema_file(name: str) -> dict[str, Any]:
    envelope, definitions = message_schema(name)
    return {"$schema": DIALECT, **envelope, "$defs": dict(sorted(definitions.items()))}


def _rewrite_refs(value: Any, prefix: str) -> Any:
    if isinstance(value, dict):
        return {
            k: (v.replace("#/$defs/", prefix) if k == "$ref" else _rewrite_refs(v, prefix)) for k, v in value.items()
        }
    if isinstance(value, list):
        return [_rewrite_refs(v, prefix) for v in value]
    return value


def _message(name: str) -> dict[str, Any]:
    model = MESSAGES[name]
    return {
        "name": name,
        "title": TITLES[name],
        "summary": (model.__doc__ or name).strip().splitlines()[0],
        "contentType": "application/json",
        "correlationId": {"location": "$message.payload#/correlationid"},
        "bindings": {
            "kafka": {
                "key": {"type": "string", "description": "The ticket id, UTF-8 (= subject)."},
                "bindingVersion": KAFKA_BINDING,
            }
        },
        "payload": {"$ref": f"#/components/schemas/{name}Message"},
        "examples": [
            {"name": f"{example['data'].get('stage', name)}", "payload": example} for example in EXAMPLES[name]
        ],
    }


def _channel(address: str, names: dict[str, type[Event]], description: str, **parameters: Any) -> dict[str, Any]:
    return {
        "address": address,
        "description": description,
        "messages": {name: {"$ref": f"#/components/messages/{name}"} for name in names},
        "parameters": parameters,
        "bindings": {"kafka": {"partitions": SPECS[address.split(".")[1]].partitions, "bindingVersion": KAFKA_BINDING}},
    }


PREFIX = {"default": "fiscaldesk", "description": "Topic prefix of the installation (fiscaldesk in production)."}
VENDOR_ID = {"description": "The vendor's id as the region registered it.", "examples": ["vendor-a", "vendor-b"]}
DESCRIPTION = """\
The contract between fiscaldesk's dispatch service and a vendor (开发公司), after 第六条五～七 of the procedure:
the IT division dispatches a work order to the vendor's own topic (派发工单); the vendor reports its progress
(accepted → in_development → in_testing → delivered) on its own progress topic (开发测试); the requester verifies
the delivery (业务验证), and a failed verification reopens the work order on the vendor's topic.

This document describes the vendor's application: it receives from `{prefix}.work-orders.{vendorId}` (its
own topic only) and sends to `{prefix}.vendor-progress.{vendorId}` (its own progress topic only; a report
naming another vendor than the topic's is refused).

- Every message is one JSON object: a CloudEvents 1.0 envelope (structured mode) whose `data` is the event.
- The Kafka record key is the ticket id (`subject`), so one ticket's messages stay in order.
- Delivery is at least once: drop a message whose `id` you have already processed.
- Stages only move forward; a report of a stage already reached is acknowledged and ignored, so a report
  may be resent. `delivered` must name the delivered `version`.
- What you send is checked strictly against its schema, and what names a vendor (`source`, `actor.org_id`,
  `data.vendor_id`) must name the topic's. A report that cannot be accepted is refused: read your refusals,
  with the reason per field, at dispatch's `GET /api/vendor-refusals` (README.md beside this file). A
  corrected report is a new message with a new `id`.
- fiscaldesk records a report under the vendor of its topic: `actor` is for information only.
- Within v1, what you receive may gain optional fields: ignore what you do not know. A change that breaks
  a reader gets a new `dataschema` version.

Generated by `python -m services.dispatch.contract` from the event models; README.md beside this file has
the example exchange and the HTTP alternative for vendors without Kafka."""


# How a vendor authenticates (shared.bus.kafka_security, docs/decisions/0007-kafka-sasl-acls.md).
SECURITY_SCHEMES = {
    "scramSha512": {
        "type": "scramSha512",
        "description": "SASL/SCRAM-SHA-512. The username is your vendor id; the password comes from the region "
        "by a separate channel.",
    }
}


def asyncapi() -> dict[str, Any]:
    schemas: dict[str, Any] = {}
    for name in MESSAGES:
        envelope, definitions = message_schema(name)
        schemas |= _rewrite_refs(definitions, "#/components/schemas/")
        schemas[f"{name}Message"] = _rewrite_refs(envelope, "#/components/schemas/")
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "fiscaldesk vendor contract — work orders and progress",
            "version": "1.0.0",
            "description": DESCRIPTION,
        },
        "defaultContentType": "application/json",
        "servers": {
            "fiscaldesk": {
                "host": "{bootstrap}",
                "protocol": "kafka",
                "description": "The region's Kafka cluster. Each vendor gets its own principal that may read its "
                "own work-orders topic and write its own vendor-progress topic, nothing else. Security protocol "
                "SASL_PLAINTEXT, or SASL_SSL where the region's Kafka has TLS.",
                "variables": {"bootstrap": {"description": "Bootstrap servers the region gives the vendor."}},
                "security": [{"$ref": "#/components/securitySchemes/scramSha512"}],
            }
        },
        "channels": {
            "workOrders": _channel(
                "{prefix}.work-orders.{vendorId}",
                RECEIVED,
                "One topic per vendor: its work orders, and work orders reopened after a failed verification.",
                prefix=PREFIX,
                vendorId=VENDOR_ID,
            ),
            "vendorProgress": _channel(
                "{prefix}.vendor-progress.{vendorId}",
                SENT,
                "One topic per vendor, written only by that vendor, read by fiscaldesk's dispatch service "
                "(consumer group dispatch-progress). `source`, `actor.org_id` and `data.vendor_id` must name the "
                "topic's vendor; a refused report is listed at dispatch's GET /api/vendor-refusals.",
                prefix=PREFIX,
                vendorId=VENDOR_ID,
            ),
        },
        "operations": {
            "receiveWorkOrders": {
                "action": "receive",
                "channel": {"$ref": "#/channels/workOrders"},
                "summary": "Take work orders (and reopened ones) from the vendor's own topic.",
                "messages": [{"$ref": f"#/channels/workOrders/messages/{name}"} for name in RECEIVED],
                "bindings": {
                    "kafka": {
                        "groupId": {"type": "string", "description": "The vendor's own consumer group."},
                        "bindingVersion": KAFKA_BINDING,
                    }
                },
            },
            "reportProgress": {
                "action": "send",
                "channel": {"$ref": "#/channels/vendorProgress"},
                "summary": "Report a stage of a work order: accepted, in_development, in_testing, delivered.",
                "messages": [{"$ref": f"#/channels/vendorProgress/messages/{name}"} for name in SENT],
            },
        },
        "components": {
            "securitySchemes": SECURITY_SCHEMES,
            "messages": {name: _message(name) for name in MESSAGES},
            "schemas": dict(sorted(copy.deepcopy(schemas).items())),
        },
    }
