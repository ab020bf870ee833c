"""A vendor's Kafka client written only from docs/integration/ (README.md, schemas/), in plain aiokafka.

It imports nothing of fiscaldesk: it knows the topic names, the envelope and the rules from the published
contract alone. The test around it uses the running stack (the `api` and `stack` fixtures): the IT division
dispatches a work order, the client takes it from vendor-a's topic and reports the four stages on the
progress topic, then the requester sees the verification request, passes it, and the IT division releases.

The adopted requirement is a RequirementConfirmed envelope produced straight to the review-events topic,
standing in for the review service (whose confirmation endpoints are being built concurrently).
"""

import asyncio
import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import uuid4
from zoneinfo import ZoneInfo

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from tests.support import Api, eventually

pytestmark = pytest.mark.e2e

CONTRACT = Path(__file__).resolve().parent.parent / "docs" / "integration"
STAGES = ["accepted", "in_development", "in_testing", "delivered"]


class VendorClient:
    """Reads its own work-orders topic, writes progress envelopes keyed by ticket id (README: Kafka)."""

    def __init__(self, bootstrap: str, prefix: str, vendor_id: str) -> None:
        self.bootstrap = bootstrap
        self.vendor_id = vendor_id
        self.work_orders_topic = f"{prefix}.work-orders.{vendor_id}"
        self.progress_topic = f"{prefix}.vendor-progress.{vendor_id}"
        self.handled: set[str] = set()  # ids already processed: delivery is at least once

    @staticmethod
    def conforms(message: dict[str, Any]) -> bool:
        """The required attributes, fixed values and data fields of schemas/<type>.json."""
        path = CONTRACT / "schemas" / f"{message.get('type')}.json"
        if not path.exists():
            return False  # a message this client does not know: not for it
        schema = json.loads(path.read_text(encoding="utf-8"))
        fixed = {k: v["const"] for k, v in schema["properties"].items() if "const" in v}
        data_required = schema["$defs"][message["type"]]["required"]
        return (
            all(name in message for name in schema["required"])
            and all(message[k] == v for k, v in fixed.items())
            and all(name in message["data"] for name in data_required)
        )

    async def take_work_order(self, ticket_id: str, timeout: float = 60) -> dict[str, Any]:
        consumer = AIOKafkaConsumer(
            self.work_orders_topic,
            bootstrap_servers=self.bootstrap,
            group_id=f"{self.vendor_id}-work-orders-{uuid4().hex[:6]}",
            auto_offset_reset="earliest",
            enable_auto_commit=False,
        )
        await consumer.start()
        try:
            deadline = asyncio.get_running_loop().time() + timeout
            while asyncio.get_running_loop().time() < deadline:
                for records in (await consumer.getmany(timeout_ms=500)).values():
                    for record in records:
                        message = json.loads(record.value)
                        if message["id"] in self.handled or not self.conforms(message):
                            continue
                        self.handled.add(message["id"])
                        if message["type"] == "WorkOrderDispatched" and message["data"]["ticket_id"] == ticket_id:
                            assert record.key.decode() == message["subject"] == ticket_id
                            await consumer.commit()  # only after handling it
                            return message
                await consumer.commit()
            raise AssertionError(f"no work order for {ticket_id} on {self.work_orders_topic}")
        finally:
            await asyncio.sleep(0)
            await consumer.stop()

    def report(self, order: dict[str, Any], stage: str, version: str | None = None, note: str = "") -> dict[str, Any]:
        data = order["data"]
        return {
            "specversion": "1.0",
            "id": uuid4().hex,
            "type": "VendorProgressReported",
            "source": f"/vendors/{self.vendor_id}",
            "subject": data["ticket_id"],
            "time": datetime.now(UTC).isoformat(),
            "datacontenttype": "application/json",
            "dataschema": "fiscaldesk:VendorProgressReported:v1",
            "correlationid": order["correlationid"],
            "causationid": order["id"],
            "actor": {"user_id": f"{self.vendor_id}-integration", "name": "工单接口", "org_id": self.vendor_id},
            "data": {
                "work_order_id": data["work_order_id"],
                "ticket_id": data["ticket_id"],
                "vendor_id": self.vendor_id,
                "stage": stage,
                "version": version,
                "note": note,
            },
        }

    async def send(self, reports: list[dict[str, Any]]) -> None:
        producer = AIOKafkaProducer(bootstrap_servers=self.bootstrap, acks="all", enable_idempotence=True)
        await producer.start()
        try:
            for report in reports:
                assert self.conforms(report)
                value = json.dumps(report, ensure_ascii=False).encode()
                await producer.send_and_wait(self.progress_topic, value, key=report["subject"].encode())
        finally:
            await producer.stop()


def adopted_requirement(stack, ticket_id: str) -> None:
    """What the review service announces when the business division adopts a requirement (第六条三)."""
    envelope = {
        "specversion": "1.0",
        "id": uuid4().hex,
        "type": "RequirementConfirmed",
        "source": "/tests",
        "subject": ticket_id,
        "time": datetime.now(UTC).isoformat(),
        "dataschema": "fiscaldesk:RequirementConfirmed:v1",
        "correlationid": uuid4().hex,
        "actor": {"user_id": "u-bizdiv", "name": "冯涛", "org_id": "bd-budget", "roles": ["business_division"]},
        "data": {
            "ticket_id": ticket_id,
            "adopted": True,
            "business_division_id": "bd-budget",
            "title": "国库支付查询增加按项目筛选",
            "description": "在国库支付查询中增加按预算项目筛选的条件。",
            "category": "optimisation",
            "urgency": "normal",
            "submitter_id": "u-submitter",
            "org_path": ["150000", "150100", "150102", "bu-150102-01"],
        },
    }

    async def produce() -> None:
        producer = AIOKafkaProducer(bootstrap_servers=stack.kafka_bootstrap, acks="all")
        await producer.start()
        try:
            value = json.dumps(envelope, ensure_ascii=False).encode()
            await producer.send_and_wait(f"{stack.topic_prefix}.review-events", value, key=ticket_id.encode())
        finally:
            await producer.stop()

    asyncio.run(produce())


def dispatched_to_vendor_a(api: Api, stack) -> tuple[str, date]:
    """An adopted requirement the IT division dispatched to vendor-a; answers its id and the stack's today
    (the business clock, conftest's clock_start, decides what "today" is for the planned and release dates)."""
    now = datetime.fromisoformat(stack.clock_start) if stack.clock_start else datetime.now(UTC)
    today = now.astimezone(ZoneInfo("Asia/Shanghai")).date()
    ticket_id = f"REQ-{today:%Y%m}-{uuid4().hex[:8].upper()}"
    adopted_requirement(stack, ticket_id)
    eventually(
        lambda: any(
            item["ticket_id"] == ticket_id
            for item in api.get("dispatch", "/api/dispatch-queue", as_user="itdiv", params={"limit": 500}).json()
        ),
        what="the adopted requirement in the dispatch queue",
    )
    plan = {"planned_start": today.isoformat(), "planned_delivery": (today + timedelta(days=45)).isoformat()}
    body = {"ticket_id": ticket_id, "vendor_id": "vendor-a", "priority": "P3", "effort_days": 8, **plan}
    dispatched = api.post("dispatch", "/api/work-orders", as_user="itdiv", json=body)
    assert dispatched.status_code == 201, dispatched.text
    return ticket_id, today


def test_vendor_client_written_from_the_contract_takes_a_work_order_and_reports_to_delivery(api: Api, stack) -> None:
    ticket_id, today = dispatched_to_vendor_a(api, stack)

    client = VendorClient(stack.kafka_bootstrap, stack.topic_prefix, "vendor-a")
    order = asyncio.run(client.take_work_order(ticket_id))
    assert (order["data"]["priority"], order["data"]["effort_days"]) == ("P3", 8)
    work_order_id = order["data"]["work_order_id"]
    reports = [client.report(order, stage, "v2027.02.1" if stage == "delivered" else None) for stage in STAGES]
    # At least once: every report is sent twice, with its id; each stage still happens once.
    asyncio.run(client.send([report for report in reports for _ in range(2)]))

    [pending] = eventually(
        lambda: [
            v
            for v in api.get("dispatch", "/api/verifications", as_user="submitter").json()
            if v["ticket_id"] == ticket_id
        ],
        what="the verification request for the submitter",
    )
    assert (pending["work_order_id"], pending["version"]) == (work_order_id, "v2027.02.1")
    seen = api.get("dispatch", f"/api/work-orders/{work_order_id}", as_user="vendor1").json()
    assert seen["status"] == "delivered"
    assert [h["action"] for h in seen["history"]][-4:] == STAGES

    passed = api.post(
        "dispatch",
        f"/api/verifications/{ticket_id}",
        as_user="submitter",
        json={"outcome": "passed", "reason": "按项目筛选功能正常"},
    )
    assert passed.status_code == 200, passed.text
    release = {
        "version": f"v2027.02.1-{ticket_id[-8:]}",
        "release_date": (today + timedelta(days=1)).isoformat(),
        "title": "2027年2月升级",
        "notes": "国库支付查询增加按项目筛选。",
        "ticket_ids": [ticket_id],
        "manual_url": "https://docs.fiscal.test/manual/2027-02.pdf",
        "video_url": "https://video.fiscal.test/2027-02",
        "report_guide_url": "https://docs.fiscal.test/report-guide/2027-02.pdf",
    }
    created = api.post("dispatch", "/api/releases", as_user="itdiv", json=release)
    assert created.status_code == 201, created.text
    listed = api.get("dispatch", "/api/releases", as_user="vendor1").json()
    assert ticket_id in next(r for r in listed if r["id"] == created.json()["id"])["ticket_ids"]


def test_a_vendor_cannot_report_progress_on_another_vendors_work_order(api: Api, stack) -> None:
    """Each vendor writes only its own progress topic (ACLs in the compose stack); a report there naming
    another vendor's work order is refused, listed for the vendor who sent it (README: refused reports), and
    the work order does not move."""
    ticket_id, _ = dispatched_to_vendor_a(api, stack)
    order = asyncio.run(VendorClient(stack.kafka_bootstrap, stack.topic_prefix, "vendor-a").take_work_order(ticket_id))

    intruder = VendorClient(stack.kafka_bootstrap, stack.topic_prefix, "vendor-b")
    forged = intruder.report(order, "delivered", "v9.9.9")
    forged["data"]["vendor_id"] = "vendor-a"  # claims to be the owner, on its own topic
    asyncio.run(intruder.send([forged]))

    def refused_for(user: str) -> list[dict[str, Any]]:
        listed = api.get("dispatch", "/api/vendor-refusals", as_user=user, params={"limit": 500}).json()
        return [r for r in listed if r["message_id"] == forged["id"]]

    [refused] = eventually(
        lambda: refused_for("vendor2"), timeout=60, what="the forged report among vendor-b's refusals"
    )
    assert (refused["code"], refused["detail"][0]["field"]) == ("vendor_mismatch", "data.vendor_id")
    assert refused["topic"].endswith("vendor-progress.vendor-b") and refused["key"] == ticket_id
    assert refused_for("vendor1") == [], "vendor-a does not see vendor-b's refusals"
    seen = api.get("dispatch", f"/api/work-orders/{order['data']['work_order_id']}", as_user="vendor1").json()
    assert seen["status"] == "dispatched"
