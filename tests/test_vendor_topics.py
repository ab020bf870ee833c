"""Topics are the project's own, and dispatch serves vendors by deployment (docs/decisions/0015).

The broker creates no topic (auto.create.topics.enable=false): a produce to a misspelt topic fails. A vendor
the region adds to the org directory while everything runs gets its two topics from dispatch, and every
consumer subscribed by pattern (dispatch's of the progress, the portal's audit) reads them without a
restart. A dispatch deployment for some vendors reads their progress topics alone.
"""

import asyncio
import re
from collections.abc import Iterator

import httpx
import pytest
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.coordinator.protocol import ConsumerProtocolMemberAssignment, ConsumerProtocolMemberMetadata
from aiokafka.errors import UnknownTopicOrPartitionError

from infra.launcher import ServiceProcess, Stack
from services.dispatch.subscribers import PROGRESS_GROUP
from services.dispatch.tests.support import adopt, dispatch
from shared.bus import make_broker
from shared.topics import Topics
from tests.support import Api, eventually
from tests.test_vendor_client import VendorClient

pytestmark = pytest.mark.e2e

VENDOR_C = {"id": "vendor-c", "name": "天山数码科技有限公司（示例）", "kind": "vendor", "division_code": "150000"}


def topic_names(stack: Stack) -> set[str]:
    async def listed() -> set[str]:
        admin = AIOKafkaAdminClient(bootstrap_servers=stack.kafka_bootstrap)
        await admin.start()
        try:
            return set(await admin.list_topics())
        finally:
            await admin.close()

    return asyncio.run(listed())


def test_a_produce_to_a_topic_that_does_not_exist_fails_instead_of_creating_it(
    stack: Stack, services: dict[str, ServiceProcess]
) -> None:
    misspelt = f"{stack.topic_prefix}.requirments"

    async def publish() -> None:
        # The producer every service publishes with (acks=all, idempotence, FastStream creating no topic).
        broker = make_broker(stack.kafka_bootstrap, client_id="test-misspelt")
        await broker.start()
        try:
            await broker.publish({"type": "RequirementSubmitted"}, topic=misspelt, key=b"REQ-202612-MISSPELT")
        finally:
            await broker.stop()

    with pytest.raises(UnknownTopicOrPartitionError):
        asyncio.run(publish())
    assert misspelt not in topic_names(stack), "the broker created the misspelt topic"
    assert f"{stack.topic_prefix}.requirements" in topic_names(stack), "the services' own topics exist"


def running_pids(services: dict[str, ServiceProcess]) -> dict[str, int]:
    assert all(p.process is not None and p.process.poll() is None for p in services.values()), "a service exited"
    return {name: p.process.pid for name, p in services.items() if p.process is not None}


def test_a_vendor_added_at_run_time_gets_a_work_order_and_reports_progress_with_nothing_restarted(
    api: Api, stack: Stack, services: dict[str, ServiceProcess]
) -> None:
    before = running_pids(services)
    topics = Topics(stack.topic_prefix)
    assert not set(topics.of_vendor("vendor-c")) & topic_names(stack), "vendor-c is new to this stack"

    added = api.post("portal", "/api/orgs", as_user="admin", json=VENDOR_C)
    assert added.status_code == 201, added.text
    # Dispatch hears of the vendor from the directory topic and creates its two topics.
    eventually(
        lambda: set(topics.of_vendor("vendor-c")) <= topic_names(stack), what="vendor-c's topics created by dispatch"
    )

    ticket_id = adopt(stack, api)

    def dispatched() -> dict | None:
        response = dispatch(api, stack, ticket_id, vendor_id="vendor-c")
        assert response.status_code in (201, 422), response.text
        return response.json() if response.status_code == 201 else None

    work_order = eventually(dispatched, what="a work order dispatched to vendor-c")
    assert work_order["vendor_id"] == "vendor-c"

    client = VendorClient(stack.kafka_bootstrap, stack.topic_prefix, "vendor-c")
    order = asyncio.run(client.take_work_order(ticket_id))
    work_order_id = order["data"]["work_order_id"]
    asyncio.run(client.send([client.report(order, "accepted"), client.report(order, "in_development")]))

    seen = eventually(
        lambda: (
            (w := api.get("dispatch", f"/api/work-orders/{work_order_id}", as_user="itdiv").json())["status"]
            == "in_development"
            and w
        ),
        timeout=60,
        what="vendor-c's progress on its work order",
    )
    assert [h["action"] for h in seen["history"]][-2:] == ["accepted", "in_development"]

    # The portal's audit reads vendor-c's progress topic too (by pattern), under vendor-c's name.
    def audited() -> list[dict]:
        entries = api.get("portal", "/api/audit", as_user="auditor", params={"subject": ticket_id}).json()
        return [e for e in entries if e["action"] == "VendorProgressReported"]

    reports = eventually(lambda: len(r := audited()) == 2 and r, timeout=60, what="vendor-c's reports audited")
    assert {e["actor"]["org_id"] for e in reports} == {"vendor-c"}
    assert running_pids(services) == before, "a service restarted"


def group_members(stack: Stack, group: str) -> list[tuple[set[str], set[tuple[str, int]]]]:
    """(subscribed topics, assigned partitions) of each member of a consumer group, as the broker has them."""

    async def described() -> list[tuple[set[str], set[tuple[str, int]]]]:
        admin = AIOKafkaAdminClient(bootstrap_servers=stack.kafka_bootstrap)
        await admin.start()
        try:
            [response] = await admin.describe_consumer_groups([group])
        finally:
            await admin.close()
        [(_, _, state, _, _, members, *_)] = response.groups
        if state != "Stable":
            return []
        result = []
        for _, _, _, metadata, assignment, *_ in members:
            subscribed = set(ConsumerProtocolMemberMetadata.decode(metadata).subscription)
            assigned = ConsumerProtocolMemberAssignment.decode(assignment).partitions()
            result.append((subscribed, {(tp.topic, tp.partition) for tp in assigned}))
        return result

    return asyncio.run(described())


@pytest.fixture
def vendor_a_dispatch(stack: Stack, services: dict[str, ServiceProcess]) -> Iterator[ServiceProcess]:
    """A second dispatch deployment beside the session's (which serves every vendor), for vendor-a alone."""
    process = ServiceProcess("dispatch", stack, instance=1, env={"FD_DISPATCH_VENDORS": "vendor-a"})
    process.start()
    try:
        process.wait_ready()
        yield process
    finally:
        process.stop()


def consumed_progress(process: ServiceProcess) -> float:
    """How many vendor reports this process handled in the progress group (its Prometheus counter)."""
    text = httpx.get(f"{process.url}/metrics", timeout=5).text
    line = re.compile(rf'fiscaldesk_events_consumed_total\{{[^}}]*group="{PROGRESS_GROUP}"[^}}]*\}} (\S+)')
    return sum(float(value) for value in line.findall(text))


def test_a_dispatch_deployment_for_vendor_a_reads_vendor_a_progress_and_never_vendor_b(
    api: Api, stack: Stack, vendor_a_dispatch: ServiceProcess
) -> None:
    topics = Topics(stack.topic_prefix)
    own, other = topics.vendor_progress("vendor-a"), topics.vendor_progress("vendor-b")

    def settled() -> list[tuple[set[str], set[tuple[str, int]]]] | None:
        members = group_members(stack, PROGRESS_GROUP)
        return members if any(subscribed == {own} and assigned for subscribed, assigned in members) else None

    members = eventually(settled, timeout=60, what="the vendor-a deployment in the progress group, with partitions")
    for subscribed, assigned in members:
        assert {topic for topic, _ in assigned} <= subscribed, "a member got partitions of a topic it did not ask for"
        if subscribed == {own}:
            assert {topic for topic, _ in assigned} == {own}
    assert {p for _, assigned in members for topic, p in assigned if topic == other} == {0, 1, 2}, (
        "vendor-b's partitions all go to the deployment serving every vendor"
    )

    # vendor-b's reports move vendor-b's work order (the other deployment took them), none reached this one.
    ticket_id = adopt(stack, api)
    assert dispatch(api, stack, ticket_id, vendor_id="vendor-b").status_code == 201
    client = VendorClient(stack.kafka_bootstrap, stack.topic_prefix, "vendor-b")
    order = asyncio.run(client.take_work_order(ticket_id))
    consumed_before = consumed_progress(vendor_a_dispatch)
    asyncio.run(client.send([client.report(order, "accepted")]))
    work_order_id = order["data"]["work_order_id"]
    eventually(
        lambda: (
            api.get("dispatch", f"/api/work-orders/{work_order_id}", as_user="itdiv").json()["status"] == "accepted"
        ),
        what="vendor-b's report handled",
    )
    assert consumed_progress(vendor_a_dispatch) == consumed_before, "the vendor-a deployment read vendor-b's report"
