"""Notify end to end: the real notify process, Kafka and PostgreSQL, talking over HTTP to the local fakes of
the WeCom robot webhook and the WeChat official account API (tests/fakes), never to mocks of our code.

For this module notify is restarted with FD_WECOM_BASE_URL and FD_WECHAT_BASE_URL pointing at the fakes
(and a short lease, so a killed worker's deliveries come back within seconds); it is restarted with the
stack's own settings afterwards, so the modules after this one see the usual notify."""

import asyncio
import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from uuid import uuid4

import pytest
from aiokafka import AIOKafkaProducer

from infra.launcher import ServiceProcess, Stack
from shared.events import SYSTEM, Envelope, RequirementRejected, ReviewTaskOpened, WorkOrderOverdue
from tests.fakes import FakeServer, FakeWeChat, FakeWeCom
from tests.support import Api, eventually

pytestmark = pytest.mark.e2e
APPID, SECRET = "wx-fiscaldesk-e2e", "e2e-s3cret"
PATH = ["150000", "150100", "150102", "bu-150102-01"]


def restart(process: ServiceProcess) -> None:
    process.stop()
    process.start()
    process.wait_ready()


@pytest.fixture(scope="module")
def fakes(services: dict[str, ServiceProcess]) -> Iterator[FakeServer]:
    with FakeServer(wecom=FakeWeCom(), wechat=FakeWeChat(APPID, SECRET)) as server:
        settings = {
            "FD_WECOM_BASE_URL": server.url,
            "FD_WECHAT_BASE_URL": server.url,
            "FD_WECHAT_APPID": APPID,
            "FD_WECHAT_SECRET": SECRET,
            "FD_DELIVERY_LEASE_SECONDS": "5",
            "FD_DELIVERY_HTTP_TIMEOUT_SECONDS": "3",
            "FD_DELIVERY_POLL_SECONDS": "0.2",
        }
        with pytest.MonkeyPatch.context() as env:
            for name, value in settings.items():
                env.setenv(name, value)  # Stack.service_env passes the environment on to the process
            restart(services["notify"])
            yield server
        restart(services["notify"])


def produce(stack: Stack, *envelopes: Envelope) -> None:
    """Publish events as the services that own them would (one ticket's events stay in order)."""

    async def send() -> None:
        producer = AIOKafkaProducer(bootstrap_servers=stack.kafka_bootstrap, acks="all")
        await producer.start()
        try:
            for envelope in envelopes:
                topic = review_topic(stack, envelope)
                await producer.send_and_wait(
                    topic, json.dumps(envelope.model_dump(mode="json")).encode(), key=envelope.subject.encode()
                )
        finally:
            await producer.stop()

    asyncio.run(send())


def review_topic(stack: Stack, envelope: Envelope) -> str:
    topics = {"ReviewTaskOpened": "review-tasks.county", "RequirementRejected": "review-events"}
    return f"{stack.topic_prefix}.{topics.get(envelope.type, 'dispatch-events')}"


def review_task(ticket_id: str, bureau: str, task: str = "t1") -> Envelope:
    event = ReviewTaskOpened(
        task_id=task, ticket_id=ticket_id, title=f"导出 {ticket_id}", level="county", division_code="150102",
        bureau_org_id=bureau, org_path=PATH,
    )  # fmt: skip
    return Envelope.wrap(event, source="/tests", actor=SYSTEM)


def add_robot(api: Api, key: str, org_id: str) -> None:
    robot = {"id": key, "name": f"测试群 {key}", "key": key, "org_ids": [org_id]}
    assert api.post("notify", "/api/notify/robots", as_user="admin", json=robot).status_code == 201


def wecom_deliveries(api: Api, ticket_prefix: str) -> list[dict]:
    rows = api.get("notify", "/api/deliveries", as_user="admin", params={"channel": "wecom", "limit": 500}).json()
    return [row for row in rows if row["ticket_id"].startswith(ticket_prefix)]


def test_the_same_event_consumed_twice_produces_one_message(api: Api, stack: Stack, fakes: FakeServer) -> None:
    key, bureau, ticket = f"k-dup-{uuid4().hex[:6]}", f"fb-dup-{uuid4().hex[:6]}", f"DUP-{uuid4().hex[:6]}"
    add_robot(api, key, bureau)
    event, marker = review_task(ticket, bureau, "t1"), review_task(ticket, bureau, "t2")
    produce(stack, event, event, marker)  # the same envelope twice, then a later event of the same ticket

    eventually(lambda: len(fakes.wecom.sent(key)) >= 2, timeout=60, what="the robot's messages")
    # The marker arrived after both copies on the same partition: every copy has been consumed by now.
    # (A delivery is marked sent just after the robot answered, so its state is polled for.)
    eventually(
        lambda: len([d for d in wecom_deliveries(api, ticket) if d["state"] == "sent"]) == 2,
        what="both deliveries marked sent",
    )
    assert len(fakes.wecom.sent(key)) == 2


def test_an_announcement_is_visible_only_to_its_audience_and_only_inside_its_window(api: Api) -> None:
    now = datetime.now(UTC)
    title = f"呼和浩特审核人员培训通知 {uuid4().hex[:6]}"
    body = {
        "title": title,
        "body": "12月5日线上培训。",
        "audience": {"division_prefixes": ["1501"], "roles": ["reviewer"]},
        "visible_from": (now + timedelta(seconds=6)).isoformat(),
        "visible_until": (now + timedelta(seconds=16)).isoformat(),
        "pinned": True,
    }
    assert api.post("notify", "/api/announcements", as_user="county", json=body).status_code == 403
    assert api.post("notify", "/api/announcements", as_user="admin", json=body).status_code == 201

    def sees(user: str) -> bool:
        return any(a["title"] == title for a in api.get("notify", "/api/announcements", as_user=user).json())

    assert not sees("county"), "not before its window opens"
    eventually(lambda: sees("county"), timeout=20, what="the announcement inside its window")
    assert sees("city"), "呼和浩特市's reviewers are in the audience too"
    assert not sees("county2"), "包头市 is outside the audience"
    assert not sees("submitter"), "a unit's submitter in 呼和浩特 is not a reviewer"
    eventually(lambda: not sees("county"), timeout=20, what="the window to close")
    every = api.get("notify", "/api/announcements", as_user="admin", params={"every": "true"}).json()
    assert any(a["title"] == title for a in every), "administrators still find it"


def test_notify_killed_with_sigkill_during_a_burst_delivers_every_notification_exactly_once(
    api: Api, stack: Stack, services: dict[str, ServiceProcess], fakes: FakeServer
) -> None:
    key, bureau, prefix = f"k-burst-{uuid4().hex[:6]}", f"fb-burst-{uuid4().hex[:6]}", f"BURST-{uuid4().hex[:6]}"
    add_robot(api, key, bureau)
    fakes.wecom.hold(key)  # the robot takes messages only when the test admits them
    produce(stack, *(review_task(f"{prefix}-{n:02d}", bureau) for n in range(10)))
    eventually(lambda: fakes.wecom.holding >= 1, timeout=60, what="sends waiting at the robot")
    fakes.wecom.admit(key, 4)
    eventually(
        lambda: len([d for d in wecom_deliveries(api, prefix) if d["state"] == "sent"]) == 4,
        timeout=30,
        what="four messages taken and recorded as sent",
    )
    eventually(lambda: fakes.wecom.holding >= 1, timeout=30, what="the next sends in flight")

    services["notify"].kill()  # SIGKILL mid-burst: sends in flight, deliveries claimed, others pending
    # The robot sees the dead sender's connections close: those messages were never posted.
    eventually(lambda: fakes.wecom.holding == 0, timeout=30, what="the fake to notice the dead sender")
    fakes.wecom.release()
    services["notify"].start()
    services["notify"].wait_ready()

    eventually(lambda: len(fakes.wecom.sent(key)) >= 10, timeout=120, what="every message after the restart")
    eventually(
        lambda: len([d for d in wecom_deliveries(api, prefix) if d["state"] == "sent"]) == 10,
        timeout=60,
        what="every delivery recorded as sent",
    )
    contents = [m["content"] for m in fakes.wecom.sent(key)]
    assert len(contents) == 10 and all(sum(f"{prefix}-{n:02d}" in c for c in contents) == 1 for n in range(10))
    assert fakes.wecom.dropped >= 1, "the kill really caught sends in flight"


def test_an_administrator_changes_the_scheme_and_each_notification_records_its_version(
    api: Api, stack: Stack, fakes: FakeServer
) -> None:
    active = api.get("notify", "/api/notification-scheme", as_user="admin").json()
    version, original = active["_id"], active["events"]["WorkOrderOverdue"]
    changed = [{**original[0], "templates": {"zh-CN": {"title": "【逾期】工单 {work_order_id}", "body": "请督办。"}}}]
    path = "/api/notification-scheme/events/WorkOrderOverdue"
    assert (
        api.put("notify", path, as_user="county", json={"base_version": version, "rules": changed}).status_code == 403
    )
    bad = [{**changed[0], "templates": {"zh-CN": {"title": "{no_such_field}"}}}]
    assert api.put("notify", path, as_user="admin", json={"base_version": version, "rules": bad}).status_code == 422
    saved = api.put("notify", path, as_user="itdiv", json={"base_version": version, "rules": changed, "note": "督办"})
    assert saved.status_code == 200 and saved.json()["_id"] == version + 1
    stale = api.put("notify", path, as_user="admin", json={"base_version": version, "rules": changed})
    assert stale.status_code == 409

    ticket = f"OVD-{uuid4().hex[:6]}"
    event = WorkOrderOverdue(
        work_order_id=f"WO-{ticket}", ticket_id=ticket, vendor_id="vendor-a", planned_delivery=date(2026, 11, 30)
    )
    produce(stack, Envelope.wrap(event, source="/tests", actor=SYSTEM))

    def inbox() -> list[dict]:
        items = api.get("notify", "/api/notifications", as_user="itdiv").json()
        return [n for n in items if n["ticket_id"] == ticket]

    [notification] = eventually(inbox, timeout=60, what="the IT division's notification")
    assert notification["title"] == f"【逾期】工单 WO-{ticket}" and notification["scheme_version"] == version + 1
    state = eventually(
        lambda: (
            (s := api.get("notify", f"/api/notifications/{notification['_id']}/deliveries", as_user="itdiv").json())
            and all(d["state"] == "sent" for d in s["deliveries"])
            and s
        ),
        timeout=60,
        what="the delivery on every channel",
    )
    assert {d["channel"]: d["scheme_version"] for d in state["deliveries"]} == {
        "inbox": version + 1,
        "wecom": version + 1,
    }
    history = api.get("notify", "/api/notification-scheme/versions", as_user="auditor").json()
    assert history[0]["_id"] == version + 1 and history[0]["created_by"] == "u-itdiv"
    restored = api.put("notify", path, as_user="admin", json={"base_version": version + 1, "rules": original})
    assert restored.status_code == 200 and restored.json()["_id"] == version + 2


def test_a_user_binds_wechat_in_their_own_preferences_and_receives_their_notifications_there(
    api: Api, stack: Stack, fakes: FakeServer
) -> None:
    openid = f"o-{uuid4().hex[:12]}"
    answer = api.put(
        "notify",
        "/api/notification-preferences/me",
        as_user="submitter",
        json={"wechat_openid": openid, "language": "en"},
    )
    assert answer.status_code == 200 and answer.json()["_id"] == "u-submitter"
    assert api.get("notify", "/api/notification-preferences/me", as_user="submitter").json()["wechat_openid"] == openid
    assert api.get("notify", "/api/deliveries", as_user="submitter").status_code == 403

    ticket = f"REJ-{uuid4().hex[:6]}"
    event = RequirementRejected(
        ticket_id=ticket, task_id="t", level="county", division_code="150102", reason="不具有通用性，建议本地解决",
        submitter_id="u-submitter", org_path=PATH,
    )  # fmt: skip
    produce(stack, Envelope.wrap(event, source="/tests", actor=SYSTEM))
    [message] = eventually(lambda: fakes.wechat.sent_to(openid), timeout=60, what="the WeChat template message")
    assert message["data"]["thing1"]["value"] == f"Requirement {ticket} rejected"[:19] + "…"
    assert message["data"]["character_string2"]["value"] == ticket
    api.put("notify", "/api/notification-preferences/me", as_user="submitter", json={"wechat_openid": None})


def test_no_robot_key_wechat_secret_or_access_token_reaches_the_logs(api: Api, stack: Stack, fakes: FakeServer) -> None:
    key, bureau, ticket = f"k-secret-{uuid4().hex}", f"fb-sec-{uuid4().hex[:6]}", f"SEC-{uuid4().hex[:6]}"
    add_robot(api, key, bureau)
    produce(stack, review_task(ticket, bureau, "t1"))
    eventually(lambda: fakes.wecom.sent(key), timeout=60, what="the robot's message")
    openid = f"o-{uuid4().hex[:12]}"
    api.put("notify", "/api/notification-preferences/me", as_user="submitter", json={"wechat_openid": openid})
    event = RequirementRejected(
        ticket_id=f"REJ-{uuid4().hex[:6]}", task_id="t", level="county", division_code="150102",
        reason="不具有通用性，建议本地解决", submitter_id="u-submitter", org_path=PATH,
    )  # fmt: skip
    produce(stack, Envelope.wrap(event, source="/tests", actor=SYSTEM))
    eventually(lambda: fakes.wechat.sent_to(openid), timeout=60, what="the WeChat template message")
    api.put("notify", "/api/notification-preferences/me", as_user="submitter", json={"wechat_openid": None})

    logs = "".join(path.read_text(errors="replace") for path in (stack.state_dir / "logs").glob("notify*.log"))
    for secret in (key, SECRET, fakes.wechat.current_token):
        assert secret and secret not in logs, f"a secret in notify's log: {secret[:6]}…"
