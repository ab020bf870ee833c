"""Helpers of dispatch's end-to-end tests: an adopted requirement without the review service, Kafka reads,
and the HTTP calls of each role."""

import asyncio
import json
from datetime import UTC, date, datetime, timedelta
from uuid import uuid4
from zoneinfo import ZoneInfo

import httpx
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from infra.launcher import Stack
from shared.events import Actor, Envelope, RequirementConfirmed
from tests.support import Api, eventually

SUBMITTER_PATH = ["150000", "150100", "150102", "bu-150102-01"]
BIZDIV = Actor(user_id="u-bizdiv", name="冯涛", org_id="bd-budget", roles=["business_division"])


def today(stack: Stack) -> date:
    """The services' business date in Beijing (the test stack's clock starts at `clock_start`, shared/clock.py).

    A test session lasts minutes, so the date at the clock's start is the date throughout.
    """
    now = datetime.fromisoformat(stack.clock_start) if stack.clock_start else datetime.now(UTC)
    return now.astimezone(ZoneInfo("Asia/Shanghai")).date()


def confirmed_envelope(ticket_id: str, *, urgency: str = "normal", expected_upgrade: date | None = None) -> Envelope:
    event = RequirementConfirmed(
        ticket_id=ticket_id,
        adopted=True,
        reason="全区通用，予以采纳",
        business_division_id="bd-budget",
        expected_upgrade=expected_upgrade,
        title=f"指标查询增加导出功能 {ticket_id[-4:]}",
        description="在指标查询界面增加按条件导出 Excel 的功能，便于核对年度指标。",
        category="optimisation",
        urgency=urgency,
        submitter_id="u-submitter",
        org_path=SUBMITTER_PATH,
    )
    return Envelope.wrap(event, source="/tests", actor=BIZDIV)


async def produce(bootstrap: str, topic: str, key: str, value: dict) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True)
    await producer.start()
    try:
        await producer.send_and_wait(topic, json.dumps(value, ensure_ascii=False).encode(), key=key.encode())
    finally:
        await producer.stop()


def adopt(stack: Stack, api: Api, *, urgency: str = "normal", times: int = 1) -> str:
    """An adopted requirement, as review's RequirementConfirmed would announce it, produced straight to the
    review-events topic (the review service's confirmation endpoints are being built concurrently); waits
    until it is in the IT division's dispatch queue."""
    ticket_id = f"REQ-{today(stack):%Y%m}-{uuid4().hex[:8].upper()}"
    for _ in range(times):
        envelope = confirmed_envelope(ticket_id, urgency=urgency, expected_upgrade=today(stack) + timedelta(days=90))
        topic = f"{stack.topic_prefix}.review-events"
        asyncio.run(produce(stack.kafka_bootstrap, topic, ticket_id, envelope.model_dump(mode="json")))
    eventually(lambda: queued(api, ticket_id), what=f"{ticket_id} in the dispatch queue")
    return ticket_id


def queued(api: Api, ticket_id: str) -> list[dict]:
    queue = api.get("dispatch", "/api/dispatch-queue", as_user="itdiv", params={"limit": 500}).json()
    return [item for item in queue if item["ticket_id"] == ticket_id]


def dispatch(api: Api, stack: Stack, ticket_id: str, /, **overrides) -> httpx.Response:
    body = dispatch_body(stack, ticket_id) | overrides
    return api.post("dispatch", "/api/work-orders", as_user="itdiv", json=body)


def dispatch_body(stack: Stack, ticket_id: str) -> dict:
    return {
        "ticket_id": ticket_id,
        "vendor_id": "vendor-a",
        "priority": "P2",
        "effort_days": 10,
        "planned_start": today(stack).isoformat(),
        "planned_delivery": (today(stack) + timedelta(days=30)).isoformat(),
    }


def report(api: Api, work_order_id: str, stage: str, *, as_user: str = "vendor1", **body) -> httpx.Response:
    path = f"/api/work-orders/{work_order_id}/progress"
    return api.post("dispatch", path, as_user=as_user, json={"stage": stage, **body})


def verify(api: Api, ticket_id: str, outcome: str, reason: str, *, as_user: str = "submitter") -> httpx.Response:
    body = {"outcome": outcome, "reason": reason}
    return api.post("dispatch", f"/api/verifications/{ticket_id}", as_user=as_user, json=body)


def work_order(api: Api, work_order_id: str, *, as_user: str = "itdiv") -> dict:
    response = api.get("dispatch", f"/api/work-orders/{work_order_id}", as_user=as_user)
    assert response.status_code == 200, response.text
    return response.json()


def delivered(api: Api, stack: Stack, version: str = "v1.0.0") -> tuple[str, str]:
    """A requirement dispatched to vendor-a and delivered over HTTP: (ticket id, work order id)."""
    ticket_id = adopt(stack, api)
    work_order_id = dispatch(api, stack, ticket_id).json()["id"]
    assert report(api, work_order_id, "delivered", version=version).json()["changed"] is True
    return ticket_id, work_order_id


def messages_on(stack: Stack, topic: str) -> list[dict]:
    """Every message on `topic` right now, with its key, read from the beginning without a group."""

    async def read() -> list[dict]:
        admin = AIOKafkaAdminClient(bootstrap_servers=stack.kafka_bootstrap)
        await admin.start()
        try:
            [description] = await admin.describe_topics([topic])
        finally:
            await admin.close()
        partitions = [TopicPartition(topic, p["partition"]) for p in description["partitions"]]
        consumer = AIOKafkaConsumer(bootstrap_servers=stack.kafka_bootstrap, enable_auto_commit=False)
        await consumer.start()
        try:
            consumer.assign(partitions)
            await consumer.seek_to_beginning(*partitions)
            ends = await consumer.end_offsets(partitions)
            found = []
            while [tp for tp, end in ends.items() if await consumer.position(tp) < end]:
                for records in (await consumer.getmany(timeout_ms=1000)).values():
                    found += [_message(record) for record in records]
            return found
        finally:
            await asyncio.sleep(0)  # aiokafka 0.14 raises CancelledError when stopped in the same tick
            await consumer.stop()

    return asyncio.run(read())


def _message(record) -> dict:
    return {"key": record.key.decode(), **Envelope.model_validate_json(record.value).model_dump(mode="json")}


def message_of(stack: Stack, topic: str, type_: str, **data) -> list[dict]:
    return [
        m
        for m in messages_on(stack, topic)
        if m["type"] == type_ and all(m["data"].get(k) == v for k, v in data.items())
    ]
