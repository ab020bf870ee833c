"""Nothing lost, nothing repeated: a service or the broker killed mid-flow."""

import pytest

from infra.launcher import ServiceProcess, Stack
from tests.support import Api, eventually, requirement
from tests.test_walking_skeleton import notifications_for

pytestmark = pytest.mark.e2e


def review_tasks_for(api: Api, ticket_id: str) -> list[dict]:
    return [t for t in api.get("review", "/api/review-tasks", as_user="county").json() if t["_id"] == ticket_id]


def test_review_killed_right_after_submission_opens_task_once_and_notifies_once(
    api: Api, services: dict[str, ServiceProcess]
) -> None:
    review = services["review"]
    ticket_ids = [
        api.post("intake", "/api/requirements", as_user="submitter", json=requirement(title=f"重启测试 {n}")).json()[
            "id"
        ]
        for n in range(5)
    ]
    review.kill()  # SIGKILL: no shutdown hook, offsets and outbox left as they were
    review.start()
    review.wait_ready()

    for ticket_id in ticket_ids:
        eventually(
            lambda t=ticket_id: notifications_for(api, "county", t), timeout=60, what=f"notification of {ticket_id}"
        )
    for ticket_id in ticket_ids:
        assert len(review_tasks_for(api, ticket_id)) == 1
        assert len(review_tasks_for(api, ticket_id)[0]["tasks"]) == 1
        assert len(notifications_for(api, "county", ticket_id)) == 1


def test_broker_killed_mid_flow_loses_no_ticket_and_repeats_no_step(
    api: Api, stack: Stack, services: dict[str, ServiceProcess]
) -> None:
    if stack.external:
        pytest.fail("this test controls the broker process; run it with the local stack")
    stack.kill_kafka()
    # Intake keeps accepting: the requirement and its event are one database write (the outbox).
    ticket_id = api.post("intake", "/api/requirements", as_user="submitter", json=requirement()).json()["id"]
    stack.start_infra()

    eventually(lambda t=ticket_id: notifications_for(api, "county", t), timeout=120, what="notification after restart")
    assert len(review_tasks_for(api, ticket_id)) == 1
    assert len(notifications_for(api, "county", ticket_id)) == 1
    timeline = eventually(
        lambda: (
            (r := api.get("portal", f"/api/tickets/{ticket_id}/timeline", as_user="submitter")).status_code == 200
            and len(r.json()["entries"]) >= 3
            and r.json()
        ),
        what="the timeline",
    )
    assert len(timeline["entries"]) == 3
