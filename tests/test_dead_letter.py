"""A message that keeps failing goes to the dead-letter topic with its error, and can be replayed."""

import asyncio
import json

import pytest
from aiokafka import AIOKafkaProducer

from infra.launcher import Stack
from shared.deadletter import read_all, replay
from shared.events import Actor, Envelope
from tests.support import Api, eventually, requirement

pytestmark = pytest.mark.e2e


def produce(stack: Stack, topic: str, key: str, body: dict) -> None:
    async def send() -> None:
        producer = AIOKafkaProducer(bootstrap_servers=stack.kafka_bootstrap, acks="all")
        await producer.start()
        try:
            await producer.send_and_wait(topic, json.dumps(body).encode(), key=key.encode())
        finally:
            await producer.stop()

    asyncio.run(send())


def dead_letters(stack: Stack, key: str) -> list[dict]:
    records = asyncio.run(read_all(stack.kafka_bootstrap, f"{stack.topic_prefix}.dead-letter"))
    return [r for r in records if r["key"] == key]


def test_poison_message_is_dead_lettered_with_its_error_and_the_flow_goes_on(api: Api, stack: Stack) -> None:
    # An envelope whose data breaks its own schema: no retry can make it succeed.
    poison = Envelope(
        type="RequirementSubmitted",
        source="/tests",
        subject="REQ-POISON-1",
        dataschema="fiscaldesk:RequirementSubmitted:v1",
        correlationid="poison",
        actor=Actor(user_id="u-test"),
        data={"ticket_id": "REQ-POISON-1", "title": 42},
    )
    produce(stack, f"{stack.topic_prefix}.requirements", "REQ-POISON-1", poison.model_dump(mode="json"))

    records = eventually(lambda: dead_letters(stack, "REQ-POISON-1"), timeout=60, what="the dead-letter record")
    groups = {r["group"] for r in records}
    assert "review" in groups
    review = next(r for r in records if r["group"] == "review")
    assert "validation error" in review["error"].lower() and review["attempts"] == 3
    assert json.loads(review["body"])["id"] == poison.id

    # The consumer moved on: the next submission is reviewed as usual.
    ticket_id = api.post("intake", "/api/requirements", as_user="submitter", json=requirement()).json()["id"]
    eventually(
        lambda: any(t["_id"] == ticket_id for t in api.get("review", "/api/review-tasks", as_user="county").json()),
        what="the next requirement's review task",
    )

    # Replaying sends the original message again; it fails again and is dead-lettered again.
    before = len(dead_letters(stack, "REQ-POISON-1"))
    assert asyncio.run(replay(stack.kafka_bootstrap, [review])) == 1
    eventually(lambda: len(dead_letters(stack, "REQ-POISON-1")) > before, timeout=60, what="the replayed failure")
