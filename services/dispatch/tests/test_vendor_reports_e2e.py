"""Progress reports over Kafka (第六条六) are read strictly as the published contract says, recorded under the
vendor of their topic, and a refused one is listed for that vendor (GET /api/vendor-refusals).

The reports are produced with plain aiokafka straight to vendor-a's progress topic, as a vendor's client
would. Messages with one key share a partition and are read in order, so once the last (valid) report of a
test has moved its work order, every message before it has been read too: no waiting on a guess.
"""

import asyncio
from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

import pytest
from aiokafka import AIOKafkaProducer

from infra.launcher import Stack
from services.dispatch.tests.support import adopt, dispatch, produce, work_order
from tests.support import Api, eventually

pytestmark = pytest.mark.e2e


def progress_topic(stack: Stack, vendor: str = "vendor-a") -> str:
    return f"{stack.topic_prefix}.vendor-progress.{vendor}"


def dispatched(api: Api, stack: Stack) -> tuple[str, str]:
    """An adopted requirement dispatched to vendor-a: (ticket id, work order id)."""
    ticket_id = adopt(stack, api)
    response = dispatch(api, stack, ticket_id)
    assert response.status_code == 201, response.text
    return ticket_id, response.json()["id"]


def report(ticket_id: str, work_order_id: str, stage: str, **data: Any) -> dict[str, Any]:
    """A report as docs/integration/README.md shows it, from vendor-a's integration user."""
    return {
        "specversion": "1.0",
        "id": uuid4().hex,
        "type": "VendorProgressReported",
        "source": "/vendors/vendor-a",
        "subject": ticket_id,
        "time": datetime.now(UTC).isoformat(),
        "datacontenttype": "application/json",
        "dataschema": "fiscaldesk:VendorProgressReported:v1",
        "correlationid": uuid4().hex,
        "causationid": None,
        "actor": {"user_id": "vendor-a-integration", "name": "工单接口", "org_id": "vendor-a", "roles": ["vendor"]},
        "data": {
            "work_order_id": work_order_id,
            "ticket_id": ticket_id,
            "vendor_id": "vendor-a",
            "stage": stage,
            "version": None,
            "note": "",
        }
        | data,
    }


def send(stack: Stack, ticket_id: str, *messages: dict[str, Any]) -> None:
    for message in messages:
        asyncio.run(produce(stack.kafka_bootstrap, progress_topic(stack), ticket_id, message))


def send_raw(stack: Stack, key: str, value: bytes) -> None:
    async def run() -> None:
        producer = AIOKafkaProducer(bootstrap_servers=stack.kafka_bootstrap, acks="all")
        await producer.start()
        try:
            await producer.send_and_wait(progress_topic(stack), value, key=key.encode())
        finally:
            await producer.stop()

    asyncio.run(run())


def refusals(api: Api, user: str, key: str) -> list[dict[str, Any]]:
    response = api.get("dispatch", "/api/vendor-refusals", as_user=user, params={"limit": 500})
    assert response.status_code == 200, response.text
    return [r for r in response.json() if r["key"] == key]


def test_reports_breaking_the_contract_are_refused_and_listed_for_their_vendor_alone(api: Api, stack: Stack) -> None:
    ticket_id, work_order_id = dispatched(api, stack)
    good = report(ticket_id, work_order_id, "accepted")
    bad = {
        "time without a zone": good | {"id": uuid4().hex, "time": "2026-12-14T09:30:00"},
        "note too long": report(ticket_id, work_order_id, "in_development", note="长" * 2001),
        "version too long": report(ticket_id, work_order_id, "delivered", version="v" * 65),
        "another vendor's source": good | {"id": uuid4().hex, "source": "/vendors/vendor-b"},
        "another vendor's actor": good | {"id": uuid4().hex, "actor": {**good["actor"], "org_id": "vendor-b"}},
        "delivered without a version": report(ticket_id, work_order_id, "delivered"),
    }
    send(stack, ticket_id, *bad.values())
    send_raw(stack, ticket_id, b"this is not json")
    send(stack, ticket_id, good)  # last: once it is applied, everything before it has been read

    eventually(lambda: work_order(api, work_order_id)["status"] == "accepted", what="the valid report applied")
    listed = {r["message_id"]: r for r in refusals(api, "vendor1", ticket_id)}
    expected = {
        "time without a zone": ("schema_invalid", "time"),
        "note too long": ("schema_invalid", "data.note"),
        "version too long": ("schema_invalid", "data.version"),
        "another vendor's source": ("vendor_mismatch", "source"),
        "another vendor's actor": ("vendor_mismatch", "actor.org_id"),
        "delivered without a version": ("version_required", "data.version"),
    }
    for name, (code, field) in expected.items():
        refusal = listed.pop(bad[name]["id"], None)
        assert refusal is not None, f"{name}: not listed"
        assert (refusal["code"], refusal["detail"][0]["field"]) == (code, field), (name, refusal)
        assert refusal["vendor_id"] == "vendor-a" and refusal["subject"] == ticket_id and refusal["reason"]
    [not_json] = listed.values()
    assert (not_json["code"], not_json["message_id"], not_json["topic"]) == (
        "schema_invalid",
        None,
        progress_topic(stack),
    )

    order = work_order(api, work_order_id)
    assert [h["action"] for h in order["history"]] == ["adopted", "dispatched", "accepted"], "nothing refused moved it"
    assert refusals(api, "vendor2", ticket_id) == [], "another vendor does not see them"
    assert len(refusals(api, "itdiv", ticket_id)) == len(bad) + 1, "the IT division sees every vendor's"
    assert api.get("dispatch", "/api/vendor-refusals", as_user="submitter").status_code == 403
    newest = api.get("dispatch", "/api/vendor-refusals", as_user="vendor1", params={"limit": 1}).json()
    assert len(newest) == 1


def test_the_history_names_the_vendor_of_the_topic_not_the_user_the_report_claims(api: Api, stack: Stack) -> None:
    ticket_id, work_order_id = dispatched(api, stack)
    claimed = {"user_id": "u-itdiv", "name": "郑洁", "org_id": "vendor-a", "roles": ["vendor"]}
    send(stack, ticket_id, report(ticket_id, work_order_id, "in_testing") | {"actor": claimed})

    order = eventually(
        lambda: (seen := work_order(api, work_order_id))["status"] == "in_testing" and seen, what="the report applied"
    )
    assert order["history"][-1]["actor"] == {"user_id": "vendor-a", "name": "北疆软件有限公司（示例）"}
    assert refusals(api, "vendor1", ticket_id) == []
