"""Two instances of every service at once (decision 0011: the state is in PostgreSQL, not in a process).

A second instance of each service is started beside the session's first on the same databases and consumer
groups (the `twins` fixture); every call below goes to one instance or the other in turn, as a load
balancer would send it."""

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from infra.launcher import ServiceProcess, Stack
from services.dispatch.tests.support import dispatch, report, verify
from tests.support import Api, SpreadApi, eventually, reject_left_in_queue, requirement

pytestmark = pytest.mark.e2e

KEYWORD = "双实例"  # in the title of every requirement this module submits


@pytest.fixture(scope="module", autouse=True)
def leave_the_county_queue_as_found(spread: SpreadApi) -> Iterator[None]:
    yield
    reject_left_in_queue(spread, "county", KEYWORD)


def submit(api: Api, title: str, user: str = "submitter") -> str:
    response = api.post("intake", "/api/requirements", as_user=user, json=requirement(title=title))
    assert response.status_code == 201, response.text
    return response.json()["id"]


def in_queue(api: Api, reviewer: str, ticket_id: str) -> bool:
    return any(t["_id"] == ticket_id for t in api.get("review", "/api/review-tasks", as_user=reviewer).json())


def forward(api: Api, reviewer: str, ticket_id: str) -> None:
    eventually(lambda: in_queue(api, reviewer, ticket_id), what=f"{ticket_id} in {reviewer}'s queue")
    response = api.post("review", f"/api/review-tasks/{ticket_id}/forward", as_user=reviewer, json={})
    assert response.status_code == 200, response.text


def inbox(api: Api, user: str, ticket_id: str) -> list[dict]:
    items = api.get("notify", "/api/notifications", as_user=user, params={"limit": 200}).json()
    return [n for n in items if n["ticket_id"] == ticket_id]


def timeline_types(api: Api, ticket_id: str) -> list[str]:
    response = api.get("portal", f"/api/tickets/{ticket_id}/timeline", as_user="submitter")
    return [e["type"] for e in response.json()["entries"]] if response.status_code == 200 else []


def test_walking_skeleton_through_two_instances_of_every_service(spread: SpreadApi) -> None:
    ticket_ids = [submit(spread, f"双实例 {n}") for n in range(6)]

    for ticket_id in ticket_ids:
        # Each instance answers the same: the queue, the inbox and the timeline are read from the database.
        eventually(lambda t=ticket_id: in_queue(spread, "county", t), what=f"{ticket_id} in the county queue")
        eventually(lambda t=ticket_id: in_queue(spread, "county", t), what=f"{ticket_id} on the other instance")
        [notification] = eventually(lambda t=ticket_id: inbox(spread, "county", t), what="the reviewer's notification")
        assert "待审核需求" in notification["title"]
        eventually(
            lambda t=ticket_id: (
                timeline_types(spread, t) == ["RequirementSubmitted", "ReviewTaskOpened", "NotificationDelivered"]
            ),
            what=f"the timeline of {ticket_id}",
        )
    for ticket_id in ticket_ids:
        assert len(inbox(spread, "county", ticket_id)) == 1, "one notification, however many instances consume"


def test_full_requirement_path_through_two_instances_of_every_service(spread: SpreadApi, stack: Stack) -> None:
    ticket_id = submit(spread, "双实例：预算指标导出")
    for reviewer in ("county", "city", "region"):
        forward(spread, reviewer, ticket_id)

    refine = {"business_division_id": "bd-budget", "module": "预算编制", "notes": "已与预算处沟通"}
    eventually(
        lambda: ticket_id in {c["_id"] for c in spread.get("review", "/api/refinement-queue", as_user="itdiv").json()},
        what="the refinement queue",
    )
    refined = spread.post("review", f"/api/refinement/{ticket_id}", as_user="itdiv", json=refine)
    assert refined.json()["status"] == "awaiting_confirmation", refined.text
    adopt = {"decision": "adopt", "expected_upgrade": "2027-03-31"}
    assert spread.post("review", f"/api/confirmation/{ticket_id}", as_user="bizdiv", json=adopt).status_code == 200

    eventually(
        lambda: any(
            item["ticket_id"] == ticket_id
            for item in spread.get("dispatch", "/api/dispatch-queue", as_user="itdiv", params={"limit": 500}).json()
        ),
        what="the adopted requirement in the dispatch queue",
    )
    dispatched = dispatch(spread, stack, ticket_id)
    assert dispatched.status_code == 201, dispatched.text
    work_order_id = dispatched.json()["id"]
    for stage in ("accepted", "in_development", "in_testing"):
        assert report(spread, work_order_id, stage).json()["changed"] is True
    assert report(spread, work_order_id, "delivered", version="v2027.01.1").json()["changed"] is True
    eventually(
        lambda: any(
            v["ticket_id"] == ticket_id
            for v in spread.get("dispatch", "/api/verifications", as_user="submitter").json()
        ),
        what="the verification asked of the submitter",
    )
    verified = verify(spread, ticket_id, "passed", "导出功能已验证可用")
    assert verified.status_code == 200, verified.text

    types = eventually(
        lambda: (t := timeline_types(spread, ticket_id)) and "VerificationPassed" in t and t,
        timeout=60,
        what="the whole path on the timeline",
    )
    # Each step once, however many instances consumed the events: three levels opened a task each.
    once = ("RequirementSubmitted", "RequirementReviewCompleted", "WorkOrderDispatched", "VerificationPassed")
    assert {name: types.count(name) for name in once if name in types} == dict.fromkeys(once, 1), types
    assert types.count("ReviewTaskOpened") == 3, types


def test_two_reviewers_acting_at_once_on_two_instances_one_wins_the_other_gets_409(
    spread: SpreadApi, twins: dict[str, ServiceProcess]
) -> None:
    for round_ in range(5):
        ticket_id = submit(spread, f"双实例 并发审核 {round_}")
        eventually(lambda t=ticket_id: in_queue(spread, "county", t), what="the county queue")
        calls = [
            (twins["review"], "forward", {"opinion": "建议实现"}),
            (twins["review-2"], "reject", {"reason": "与现有功能重复，请使用指标查询的导出按钮。"}),
        ]

        with ThreadPoolExecutor(2) as pool:
            answers = list(pool.map(lambda call, t=ticket_id: act(spread, t, *call), calls))

        assert sorted(a.status_code for a in answers) == [200, 409], [a.text for a in answers]
        winner = next(action for (_, action, _), a in zip(calls, answers, strict=True) if a.status_code == 200)
        case = spread.get("review", f"/api/review-cases/{ticket_id}", as_user="county").json()
        decided = [
            entry for entry in case["history"] if entry.get("action") in ("forward", "reject", "forwarded", "rejected")
        ]
        assert len(decided) == 1, f"exactly the winner's decision is recorded ({winner}): {case['history']}"


def act(spread: SpreadApi, ticket_id: str, instance: ServiceProcess, action: str, body: dict) -> httpx.Response:
    url = spread.on(instance, f"/api/review-tasks/{ticket_id}/{action}")
    return httpx.post(url, headers=spread.headers("county"), json=body, timeout=10)
