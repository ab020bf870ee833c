"""Review deployed by finance level (decision 0016), against the real stack: the session's all-level review is
stopped for this module and review runs as two county instances, one league/city and one region deployment,
each its own process with FD_REVIEW_LEVEL, behind a portal whose gateway routes each reviewer to the
deployment of their bureau (FD_REVIEW_DEPLOYMENTS). Every call below goes through that gateway."""

import json
from collections.abc import Iterator
from uuid import uuid4

import httpx
import pytest

from infra.launcher import SERVICES, ServiceProcess, Stack, free_port
from services.portal.seed import DEMO_PASSWORD
from tests.support import Api, eventually, requirement

pytestmark = pytest.mark.e2e

KEYWORD = "分级部署"  # in the title of every requirement this module submits
BAOTOU_REVIEWER_PASSWORD = "Baotou-Review-2026"


def review_process(stack: Stack, level: str, instance: int = 0) -> ServiceProcess:
    label = f"review-{level}" + (f"-{instance + 1}" if instance else "")
    env = {"FD_REVIEW_LEVEL": level, "FD_REVIEW_AREA": ""}
    return ServiceProcess("review", stack, instance, env=env, port_override=free_port(), label_override=label)


class GatewayApi(Api):
    """The signed-in client, every call through the portal's gateway, as the web UI makes them."""

    def __init__(self, portal: ServiceProcess) -> None:
        super().__init__({"portal": portal})
        self.portal = portal
        self.passwords: dict[str, str] = {}

    def url(self, service: str, path: str) -> str:
        return f"{self.portal.url}{path}" if service == "portal" else f"{self.portal.url}/gw/{service}{path}"

    def token(self, username: str) -> str:
        if username not in self._tokens:
            body = {"username": username, "password": self.passwords.get(username, DEMO_PASSWORD)}
            response = httpx.post(self.url("portal", "/api/auth/login"), json=body, timeout=10)
            response.raise_for_status()
            self._tokens[username] = response.json()["access_token"]
        return self._tokens[username]


@pytest.fixture(scope="module")
def levels(stack: Stack, services: dict[str, ServiceProcess]) -> Iterator[dict[str, ServiceProcess]]:
    deployments = {
        "county": review_process(stack, "county"),
        "county-2": review_process(stack, "county", 1),
        "city": review_process(stack, "city"),
        "region": review_process(stack, "region"),
    }
    routes = {
        "county": [deployments["county"].url, deployments["county-2"].url],
        "city": [deployments["city"].url],
        "region": [deployments["region"].url],
    }
    urls = {name: services[name].url for name in SERVICES} | {"review": deployments["region"].url}
    gateway = ServiceProcess(
        "portal",
        stack,
        env={
            "FD_SERVICE_URLS": json.dumps(urls),
            "FD_REVIEW_DEPLOYMENTS": ";".join(f"{level}={','.join(bases)}" for level, bases in routes.items()),
        },
        port_override=free_port(),
        label_override="portal-levels",
    )
    started = [*deployments.values(), gateway]
    services["review"].stop()  # no all-level review while this module runs: only the level deployments
    try:
        for process in started:
            process.start()
        for process in started:
            process.wait_ready()
        yield {**deployments, "gateway": gateway}
    finally:
        for process in started:
            process.stop()
        services["review"].start()
        services["review"].wait_ready()


@pytest.fixture(scope="module")
def gw(levels: dict[str, ServiceProcess]) -> GatewayApi:
    api = GatewayApi(levels["gateway"])
    api.passwords["baotou"] = baotou_reviewer(api)
    return api


def baotou_reviewer(api: GatewayApi) -> str:
    """A reviewer of 包头市's finance bureau (the league/city above 九原区, 150202, where submitter2's unit is),
    created by the region's administrator; returns the password it chose at its first sign-in."""
    username = f"baotou{uuid4().hex[:6]}"
    body = {"username": username, "name": "包头市审核员", "org_id": "fb-150200", "roles": ["reviewer"]}
    created = api.post("portal", "/api/users", as_user="admin", json=body)
    assert created.status_code == 201, created.text
    temporary = created.json()["temporary_password"]
    first = httpx.post(api.url("portal", "/api/auth/login"), json={"username": username, "password": temporary})
    change = {"current_password": temporary, "new_password": BAOTOU_REVIEWER_PASSWORD}
    headers = {"authorization": f"Bearer {first.json()['access_token']}"}
    changed = httpx.post(api.url("portal", "/api/me/password"), json=change, headers=headers)
    assert changed.status_code == 204, changed.text
    api.passwords[username] = BAOTOU_REVIEWER_PASSWORD
    return username


def submit(api: Api, user: str, title: str) -> str:
    response = api.post("intake", "/api/requirements", as_user=user, json=requirement(title=title))
    assert response.status_code == 201, response.text
    return response.json()["id"]


def queue(api: Api, reviewer: str) -> list[str]:
    response = api.get("review", "/api/review-tasks", as_user=reviewer, params={"keyword": KEYWORD, "limit": 500})
    assert response.status_code == 200, response.text
    ids = [task["_id"] for task in response.json()]
    assert len(ids) == len(set(ids)), f"a task twice in {reviewer}'s queue: {ids}"
    return ids


def act_on_all(api: Api, reviewer: str, ticket_ids: list[str], action: str = "forward") -> None:
    """Once every ticket is in the reviewer's queue, act on them in one batch (each on its own)."""
    wanted = set(ticket_ids)
    eventually(lambda: wanted <= set(queue(api, reviewer)), timeout=60, what=f"{len(wanted)} in {reviewer}'s queue")
    body = {"ticket_ids": ticket_ids, "action": action}
    if action == "reject":
        body["reason"] = "分级部署测试：审核结束后统一驳回 (left by a test)"
    response = api.post("review", "/api/review-tasks/batch", as_user=reviewer, json=body)
    assert response.status_code == 200 and response.json()["ok"] == len(ticket_ids), response.text


def timeline(api: Api, user: str, ticket_id: str) -> list[str]:
    response = api.get("portal", f"/api/tickets/{ticket_id}/timeline", as_user=user)
    return [entry["type"] for entry in response.json()["entries"]] if response.status_code == 200 else []


def assert_reviewed_once_at_each_level(api: Api, user: str, ticket_id: str, last: str) -> None:
    case = api.get("review", f"/api/review-cases/{ticket_id}", as_user="itdiv").json()
    assert [(task["level"], task["status"]) for task in case["tasks"]] == [
        ("county", "forwarded"),
        ("city", "forwarded"),
        ("region", last),
    ], f"{ticket_id}: one task per level, each closed once: {case['tasks']}"
    types = eventually(
        lambda: (t := timeline(api, user, ticket_id)) and t.count("ReviewTaskOpened") == 3 and t,
        what=f"the timeline of {ticket_id}",
    )
    assert types.count("RequirementSubmitted") == 1 and types.count("RequirementForwarded") >= 2, types


def test_a_batch_from_several_counties_goes_through_two_county_instances_one_city_one_region_and_a_county_instance_killed_mid_batch_loses_and_doubles_nothing(  # noqa: E501
    gw: GatewayApi, levels: dict[str, ServiceProcess]
) -> None:
    baotou = next(user for user in gw.passwords if user.startswith("baotou"))
    xincheng = [submit(gw, "submitter", f"{KEYWORD} 新城区 {n}") for n in range(5)]
    jiuyuan = [submit(gw, "submitter2", f"{KEYWORD} 九原区 {n}") for n in range(5)]
    act_on_all(gw, "county", xincheng[:3])

    levels["county"].kill()  # SIGKILL mid-batch: its partitions, offsets and outbox rows stay as they were
    xincheng += [submit(gw, "submitter", f"{KEYWORD} 新城区 {n}") for n in range(5, 8)]
    jiuyuan += [submit(gw, "submitter2", f"{KEYWORD} 九原区 {n}") for n in range(5, 8)]
    act_on_all(gw, "county", xincheng[3:])  # the gateway skips the dead instance, its twin took its partitions
    act_on_all(gw, "county2", jiuyuan)
    levels["county"].start()
    levels["county"].wait_ready()

    act_on_all(gw, "city", xincheng)
    act_on_all(gw, baotou, jiuyuan)
    # The region's queue holds each of the batch once; all but one end there, the last goes to the IT division.
    act_on_all(gw, "region", [*xincheng[1:], *jiuyuan], action="reject")
    act_on_all(gw, "region", xincheng[:1])
    refinement = gw.get("review", "/api/refinement-queue", as_user="itdiv", params={"limit": 500}).json()
    assert [case["_id"] for case in refinement].count(xincheng[0]) == 1, "in the IT division's queue, once"

    assert_reviewed_once_at_each_level(gw, "submitter", xincheng[0], "forwarded")
    for ticket_id in xincheng[1:]:
        assert_reviewed_once_at_each_level(gw, "submitter", ticket_id, "rejected")
    for ticket_id in jiuyuan:
        assert_reviewed_once_at_each_level(gw, "submitter2", ticket_id, "rejected")


def test_while_the_city_deployment_is_stopped_county_reviewers_keep_working_and_what_they_forward_waits_until_it_starts_again(  # noqa: E501
    gw: GatewayApi, levels: dict[str, ServiceProcess]
) -> None:
    levels["city"].stop()
    ticket_ids = [submit(gw, "submitter", f"{KEYWORD} 市级停机 {n}") for n in range(4)]
    act_on_all(gw, "county", ticket_ids)  # the county deployment works on

    stopped = gw.get("review", "/api/review-tasks", as_user="city")
    assert stopped.status_code == 503 and stopped.json()["error"] == "service_unavailable", stopped.text
    for ticket_id in ticket_ids:  # forwarded: the city's task is open, and waits in review-tasks.city
        case = gw.get("review", f"/api/review-cases/{ticket_id}", as_user="county").json()
        assert (case["status"], case["current_level"]) == ("in_review", "city"), case
    # Nothing else stops: the region's reviewers and the IT division are served by the region's deployment.
    assert gw.get("review", "/api/review-tasks", as_user="region").status_code == 200
    assert gw.get("review", "/api/refinement-queue", as_user="itdiv").status_code == 200

    levels["city"].start()
    levels["city"].wait_ready()
    act_on_all(gw, "city", ticket_ids)  # they reach the city's queue, and go on
    act_on_all(gw, "region", ticket_ids, action="reject")
    for ticket_id in ticket_ids:
        assert_reviewed_once_at_each_level(gw, "submitter", ticket_id, "rejected")


def test_a_reviewer_who_reaches_another_levels_deployment_gets_421_and_nothing_changes(
    gw: GatewayApi, levels: dict[str, ServiceProcess]
) -> None:
    ticket_id = submit(gw, "submitter", f"{KEYWORD} 错误部署")
    eventually(lambda: ticket_id in queue(gw, "county"), what="the ticket in the county queue")
    headers = gw.headers("county")
    direct = httpx.post(f"{levels['city'].url}/api/review-tasks/{ticket_id}/forward", headers=headers, json={})
    assert direct.status_code == 421 and direct.json()["error"] == "wrong_review_deployment", direct.text
    listed = httpx.get(f"{levels['region'].url}/api/review-tasks", headers=headers)
    assert listed.status_code == 421, listed.text
    case = gw.get("review", f"/api/review-cases/{ticket_id}", as_user="county").json()
    assert case["current_level"] == "county" and len(case["tasks"]) == 1, case
    act_on_all(gw, "county", [ticket_id], action="reject")
