"""The delivery queue, the worker and the real channels against the local fakes of WeCom and WeChat over
real HTTP, with the real database (a scratch PostgreSQL database of the test cluster, emptied for each
test). A manual clock, shared by the worker and the fakes, stands in for minutes of waiting: the test
moves it to the next delivery that is due."""

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime

import httpx
import pytest

from services.notify.bootstrap import build_channels, build_notify
from services.notify.handlers import Notify, when_procedure_event_notify
from services.notify.scheme_defaults import default_rules
from services.notify.settings import NotifySettings
from services.notify.worker import DeliveryWorker
from shared.db import Database
from shared.events import SYSTEM, Envelope, RequirementRejected, ReviewTaskOpened, WorkOrderOverdue
from shared.outbox import OutboxWriter
from shared.topics import Topics
from tests.fakes import FakeServer, FakeWeChat, FakeWeCom, ManualClock

START = datetime(2026, 12, 1, 2, tzinfo=UTC)  # 10:00 in Beijing, outside anyone's quiet hours
APPID, SECRET = "wx-fiscaldesk-test", "s3cret"


@dataclass
class Harness:
    notify: Notify
    worker: DeliveryWorker
    clock: ManualClock

    async def drive(self, done: Callable[[], bool], limit: int = 2000) -> None:
        """Let the worker send what is due, then move the clock to the next due delivery, until `done`."""
        for _ in range(limit):
            await self.worker.drain()
            if done():
                return
            due = await self.notify.queue.next_due()
            if due is None:
                return
            self.clock.advance_to(due)
        raise AssertionError("deliveries still due after the step limit")

    async def states(self, channel: str) -> dict[str, int]:
        counts: dict[str, int] = {}
        for doc in await self.notify.queue.find(channel=channel, limit=10_000):
            counts[doc["state"]] = counts.get(doc["state"], 0) + 1
        return counts


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=5) as client:
        yield client


async def harness(db: Database, http: httpx.AsyncClient, fake: FakeServer, clock: ManualClock, **overrides) -> Harness:
    settings = NotifySettings(
        wecom_base_url=fake.url, wechat_base_url=fake.url, wechat_appid=APPID, wechat_secret=SECRET,
        **{"delivery_concurrency": 4, **overrides},
    )  # fmt: skip
    notify = build_notify(db)
    notify.now = clock.now
    await notify.schemes.seed(default_rules(), clock.now())
    channels = build_channels(settings, notify, db, http, clock.now)
    outbox = OutboxWriter(Topics("it"), source="/tests")
    return Harness(notify, DeliveryWorker(notify.queue, channels, outbox, "it.dead-letter", settings, clock.now), clock)


def wrap(event) -> Envelope:
    return Envelope.wrap(event, source="/tests", actor=SYSTEM)


def overdue(n: int) -> Envelope:
    return wrap(
        WorkOrderOverdue(
            work_order_id=f"WO-{n}", ticket_id=f"REQ-{n}", vendor_id="vendor-a", planned_delivery=date(2026, 11, 30)
        )
    )


def rejected(n: int, submitter: str = "u-zhang", reason: str = "不具有通用性") -> Envelope:
    return wrap(
        RequirementRejected(
            ticket_id=f"REQ-{n}", task_id="t", level="county", division_code="150102", reason=reason,
            submitter_id=submitter, org_path=["150000", "150100", "150102", "bu-150102-01"],
        )
    )  # fmt: skip


def robot(robot_id: str, key: str, **fields) -> dict:
    return {
        "_id": robot_id,
        "name": robot_id,
        "key": key,
        "org_ids": [],
        "division_prefix": None,
        "enabled": True,
        **fields,
    }


async def test_a_hundred_events_for_one_robot_all_arrive_never_more_than_20_a_minute_none_lost_to_45009(
    notify_db: Database, http: httpx.AsyncClient
) -> None:
    clock = ManualClock(START)
    wecom = FakeWeCom(clock=clock.now)
    with FakeServer(wecom=wecom) as fake:
        h = await harness(notify_db, http, fake, clock)
        await h.notify.robots.add(robot("itd", "k-itd", org_ids=["itd"]))
        wecom.fail_next("k-itd", 45009, times=3)  # someone else posting with the same robot pushed it over
        for n in range(100):
            await when_procedure_event_notify(overdue(n), notify=h.notify)
        await h.drive(lambda: len(wecom.sent("k-itd")) == 100)

    messages = wecom.sent("k-itd")
    assert len(messages) == 100 and len({m["content"] for m in messages}) == 100
    assert wecom.max_in_any_window("k-itd") == 20
    assert wecom.rate_limited == 0, "our own limit kept the robot under 20 a minute"
    assert [code for _, code in wecom.answers].count(45009) == 3
    assert await h.states("wecom") == {"sent": 100} and await h.states("inbox") == {"sent": 100}
    assert (clock.now() - START).total_seconds() >= 4 * 60, "100 messages at 20 a minute take over four minutes"


async def test_the_same_event_handled_twice_sends_one_message(notify_db: Database, http: httpx.AsyncClient) -> None:
    clock = ManualClock(START)
    wecom = FakeWeCom(clock=clock.now)
    with FakeServer(wecom=wecom) as fake:
        h = await harness(notify_db, http, fake, clock)
        await h.notify.robots.add(robot("itd", "k-itd", org_ids=["itd"]))
        event = overdue(1)
        await when_procedure_event_notify(event, notify=h.notify)
        await h.drive(lambda: len(wecom.sent("k-itd")) == 1)
        await when_procedure_event_notify(event, notify=h.notify)
        await h.drive(lambda: False)
    assert len(wecom.sent("k-itd")) == 1
    assert await h.states("wecom") == {"sent": 1}


async def test_an_access_token_expiring_mid_run_is_refreshed_once_and_every_message_arrives(
    notify_db: Database, http: httpx.AsyncClient
) -> None:
    clock = ManualClock(START)
    wechat = FakeWeChat(APPID, SECRET, clock=clock.now)
    with FakeServer(wechat=wechat) as fake:
        h = await harness(notify_db, http, fake, clock)
        await h.notify.preferences.save("u-zhang", {"wechat_openid": "o-zhang"}, clock.now())
        for n in range(3):
            await when_procedure_event_notify(rejected(n), notify=h.notify)
        await h.drive(lambda: len(wechat.sent_to("o-zhang")) == 3)
        wechat.expire_token()
        for n in range(3, 11):
            await when_procedure_event_notify(rejected(n), notify=h.notify)
        await h.drive(lambda: len(wechat.sent_to("o-zhang")) == 11)

    assert len(wechat.sent_to("o-zhang")) == 11
    assert wechat.tokens_issued == 2, "one token at the start, one refresh after it expired"
    assert 42001 in wechat.answers
    assert await h.states("wechat") == {"sent": 11}


async def test_a_user_who_unfollowed_or_refuses_is_a_permanent_failure_and_is_not_tried_again(
    notify_db: Database, http: httpx.AsyncClient
) -> None:
    clock = ManualClock(START)
    wechat = FakeWeChat(APPID, SECRET, clock=clock.now)
    wechat.unsubscribed.add("o-gone")
    wechat.refusing.add("o-no")
    with FakeServer(wechat=wechat) as fake:
        h = await harness(notify_db, http, fake, clock)
        await h.notify.preferences.save("u-gone", {"wechat_openid": "o-gone"}, clock.now())
        await h.notify.preferences.save("u-no", {"wechat_openid": "o-no"}, clock.now())
        await when_procedure_event_notify(rejected(1, "u-gone"), notify=h.notify)
        await when_procedure_event_notify(rejected(2, "u-no"), notify=h.notify)
        await h.drive(lambda: False)
        await when_procedure_event_notify(rejected(3, "u-gone"), notify=h.notify)
        await h.drive(lambda: False)

    reasons = {d["ticket_id"]: d.get("reason") for d in await h.notify.queue.find(channel="wechat", limit=10)}
    assert reasons == {
        "REQ-1": "43004 require subscribe",
        "REQ-2": "43101 user refuse to accept the msg",
        "REQ-3": "no_wechat_binding",
    }
    assert wechat.answers.count(43004) == 1 and wechat.answers.count(43101) == 1


async def test_long_texts_are_cut_to_the_template_field_limits_and_still_arrive(
    notify_db: Database, http: httpx.AsyncClient
) -> None:
    clock = ManualClock(START)
    wechat = FakeWeChat(APPID, SECRET, clock=clock.now)
    with FakeServer(wechat=wechat) as fake:
        h = await harness(notify_db, http, fake, clock)
        await h.notify.preferences.save("u-zhang", {"wechat_openid": "o-zhang"}, clock.now())
        await when_procedure_event_notify(rejected(1, reason="理由" * 300), notify=h.notify)
        await h.drive(lambda: bool(wechat.sent_to("o-zhang")))
    [message] = wechat.sent_to("o-zhang")
    assert len(message["data"]["thing4"]["value"]) == 20 and message["data"]["character_string2"]["value"] == "REQ-1"
    assert 47003 not in wechat.answers


async def test_an_invalid_webhook_disables_the_robot_and_alerts_the_system_administrators_once(
    notify_db: Database, http: httpx.AsyncClient
) -> None:
    clock = ManualClock(START)
    wecom = FakeWeCom(clock=clock.now)
    wecom.invalid_keys.add("k-removed")
    with FakeServer(wecom=wecom) as fake:
        # One send at a time: the second delivery must start after the first one's 93000 disabled the robot.
        h = await harness(notify_db, http, fake, clock, delivery_concurrency=1)
        await h.notify.robots.add(robot("city-150100", "k-removed", division_prefix="1501"))
        for n in range(2):
            task = ReviewTaskOpened(
                task_id=f"t{n}", ticket_id=f"REQ-{n}", title="导出", level="county", division_code="150102",
                bureau_org_id="fb-150102", org_path=["150000", "150100", "150102", "bu-150102-01"],
            )  # fmt: skip
            await when_procedure_event_notify(wrap(task), notify=h.notify)
        await h.drive(lambda: False)
        later = task.model_copy(update={"task_id": "t9", "ticket_id": "REQ-9"})
        await when_procedure_event_notify(wrap(later), notify=h.notify)
        await h.drive(lambda: False)

    assert (await h.notify.robots.get("city-150100"))["enabled"] is False
    reasons = sorted(d.get("reason", "") for d in await h.notify.queue.find(channel="wecom", limit=10))
    assert reasons == ["93000 invalid webhook url, hint: [fake]", "no_robot_for_group", "robot_disabled"]
    alerts = await h.notify.inbox.inbox(["role:itd:sysadmin"], "u-admin", unread_only=True, limit=10)
    assert [a["title"] for a in alerts] == ["企业微信群机器人已停用：city-150100"]


async def test_a_busy_platform_is_retried_with_backoff_and_a_delivery_out_of_attempts_is_dead_lettered(
    notify_db: Database, http: httpx.AsyncClient
) -> None:
    clock = ManualClock(START)
    wecom = FakeWeCom(clock=clock.now)
    with FakeServer(wecom=wecom) as fake:
        h = await harness(notify_db, http, fake, clock, delivery_max_attempts=4)
        await h.notify.robots.add(robot("itd", "k-itd", org_ids=["itd"]))
        wecom.fail_next("k-itd", -1, times=2)
        await when_procedure_event_notify(overdue(1), notify=h.notify)
        await h.drive(lambda: len(wecom.sent("k-itd")) == 1)
        retried_at = clock.now()
        wecom.fail_next("k-itd", -1, times=4)
        await when_procedure_event_notify(overdue(2), notify=h.notify)
        await h.drive(lambda: False)

    assert (retried_at - START).total_seconds() >= 1 + 2, "two backoffs: at least half of 2 s, then of 4 s"
    [sent] = await h.notify.queue.find(channel="wecom", ticket_id="REQ-1", limit=1)
    assert sent["state"] == "sent" and sent["attempts"] == 3
    [failed] = await h.notify.queue.find(channel="wecom", ticket_id="REQ-2", limit=1)
    assert failed["state"] == "failed" and failed["reason"].startswith("gave up after 4 attempts: -1")
    # The dead letter was written in the same transaction as the failed state, to the outbox table.
    [letter] = await notify_db.fetch("SELECT key, envelope FROM outbox WHERE topic = 'it.dead-letter'")
    assert letter["envelope"]["group"] == "notify-delivery" and letter["key"] == "REQ-2"
    assert failed["_id"] in letter["envelope"]["body"]


async def test_two_instances_workers_on_one_queue_never_send_the_same_delivery_twice(
    notify_db: Database, second_instance: Database, http: httpx.AsyncClient
) -> None:
    clock = ManualClock(START)
    wechat = FakeWeChat(APPID, SECRET, clock=clock.now)
    with FakeServer(wechat=wechat) as fake:
        first = await harness(notify_db, http, fake, clock)
        second = await harness(second_instance, http, fake, clock)
        await first.notify.preferences.save("u-zhang", {"wechat_openid": "o-zhang"}, clock.now())
        for n in range(30):
            await when_procedure_event_notify(rejected(n), notify=first.notify)
        await asyncio.gather(first.worker.drain(), second.worker.drain())
    assert wechat.answers.count(0) == 30 and len(wechat.answers) == 30, "thirty sends for thirty deliveries"
    assert await first.states("wechat") == {"sent": 30}
