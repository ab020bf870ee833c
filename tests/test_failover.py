"""Nothing lost, nothing repeated, with two instances of every service: one of them SIGKILLed mid-flow
(its twin takes over its partitions and its claims), and the whole pipeline caught up soon after a run of
kills of services and of the broker."""

import time
from collections.abc import Iterator

import pytest

from infra.launcher import SERVICES, ServiceProcess, Stack
from tests.support import Api, SpreadApi, eventually, reject_left_in_queue, requirement

pytestmark = pytest.mark.e2e

KEYWORD = "故障转移"  # in the title of every requirement this module submits


@pytest.fixture(scope="module", autouse=True)
def leave_the_county_queue_as_found(spread: SpreadApi) -> Iterator[None]:
    yield
    reject_left_in_queue(spread, "county", KEYWORD)


def submit(api: Api, title: str) -> str:
    response = api.post("intake", "/api/requirements", as_user="submitter", json=requirement(title=title))
    assert response.status_code == 201, response.text
    return response.json()["id"]


def review_case(api: Api, ticket_id: str) -> dict | None:
    response = api.get("review", f"/api/review-cases/{ticket_id}", as_user="county")
    return response.json() if response.status_code == 200 else None


def inbox_deliveries(api: Api, ticket_id: str) -> list[dict]:
    """The ticket's in-app notifications sent (one per event and recipient), from notify's delivery records:
    looked up by ticket, so a long session's full inbox does not hide them."""
    params = {"ticket_id": ticket_id, "channel": "inbox", "state": "sent"}
    return api.get("notify", "/api/deliveries", as_user="auditor", params=params).json()


def timeline(api: Api, ticket_id: str) -> list[str]:
    response = api.get("portal", f"/api/tickets/{ticket_id}/timeline", as_user="submitter")
    return [e["type"] for e in response.json()["entries"]] if response.status_code == 200 else []


def caught_up(api: Api, ticket_id: str) -> bool:
    """The ticket went through every service: review opened its case, notify told the county's reviewers,
    the portal's timeline shows all three steps."""
    return (
        bool(review_case(api, ticket_id))
        and bool(inbox_deliveries(api, ticket_id))
        and (len(timeline(api, ticket_id)) >= 3)
    )


def stages(api: Api, ticket_ids: list[str]) -> dict[str, int]:
    """How many of `ticket_ids` have reached each service (for the failure message)."""
    return {
        "review case": sum(bool(review_case(api, t)) for t in ticket_ids),
        "reviewers notified": sum(bool(inbox_deliveries(api, t)) for t in ticket_ids),
        "portal timeline": sum(len(timeline(api, t)) >= 3 for t in ticket_ids),
    }


def assert_each_step_once(api: Api, ticket_ids: list[str]) -> None:
    for ticket_id in ticket_ids:
        case = review_case(api, ticket_id)
        assert case is not None and len(case["tasks"]) == 1, f"{ticket_id}: one case with one task"
        assert len(inbox_deliveries(api, ticket_id)) == 1, f"{ticket_id}: one notification"
        assert timeline(api, ticket_id) == ["RequirementSubmitted", "ReviewTaskOpened", "NotificationDelivered"]
        audit = api.get("portal", "/api/audit", as_user="auditor", params={"subject": ticket_id}).json()
        ids = [e.get("event_id") or e["_id"] for e in audit]
        assert len(ids) == len(set(ids)), f"{ticket_id}: an audit entry twice"
        actions = [e["action"] for e in audit]
        assert actions.count("RequirementSubmitted") == 1, f"{ticket_id}: {actions}"


@pytest.mark.parametrize("service", SERVICES)
def test_one_instance_killed_mid_flow_its_twin_goes_on_and_nothing_is_lost_or_done_twice(
    spread: SpreadApi,
    twins: dict[str, ServiceProcess],
    service: str,
) -> None:
    victim = twins[service]
    ticket_ids = [submit(spread, f"{service} 故障转移 {n}") for n in range(4)]
    victim.kill()  # SIGKILL: no shutdown hook; its claims, offsets and unsent outbox rows stay as they were
    ticket_ids += [submit(spread, f"{service} 故障转移 {n}") for n in range(4, 8)]
    victim.start()
    victim.wait_ready()

    for ticket_id in ticket_ids:
        eventually(lambda t=ticket_id: caught_up(spread, t), timeout=60, what=f"{ticket_id} through every service")
    assert_each_step_once(spread, ticket_ids)


def test_after_kills_of_services_and_of_the_broker_the_pipeline_catches_up_within_60_s(
    spread: SpreadApi,
    twins: dict[str, ServiceProcess],
    stack: Stack,
) -> None:
    if stack.external:
        pytest.fail("this test controls the broker process; run it with the local stack")
    ticket_ids: list[str] = []
    for round_, service in enumerate(("review", "notify", "portal")):
        ticket_ids += [submit(spread, f"故障转移 恢复 {round_}-{n}") for n in range(10)]
        twins[service].kill()
        ticket_ids += [submit(spread, f"故障转移 恢复 {round_}-{n}") for n in range(10, 20)]
        twins[service].start()
    stack.kill_kafka()
    ticket_ids += [
        submit(spread, f"故障转移 恢复 broker {n}") for n in range(20)
    ]  # intake accepts: the outbox holds them
    stack.start_infra()
    for process in twins.values():
        process.wait_ready()
    last_restart = time.monotonic()

    pending = list(ticket_ids)
    while pending:
        assert time.monotonic() - last_restart < 60, (
            f"{len(pending)} tickets not through 60 s after the last restart; where they are: {stages(spread, pending)}"
        )
        pending = [t for t in pending if not caught_up(spread, t)]
        if pending:
            time.sleep(0.5)
    assert_each_step_once(spread, ticket_ids)
