"""Notify's stores against a scratch PostgreSQL database, with two pools standing for two instances:
the delivery queue as a work queue (claims never shared, a dead worker's claim taken over after its lease,
one delivery per event, recipient and channel), the inbox's per-user reading, the robot throttle."""

import asyncio
from datetime import UTC, datetime, timedelta

from services.notify.adapters import DeliveryQueue, NotificationRepository
from services.notify.domain import Channels, Message, Recipient, plan_deliveries
from services.notify.throttle import RobotThrottle
from shared.db import Database

NOW = datetime(2026, 12, 1, 2, tzinfo=UTC)
TEXTS = {lang: {"title": "标题", "body": "正文"} for lang in ("zh-CN", "en")}


def planned(events: int, users: int = 1) -> list[dict]:
    messages = [
        Message(f"ev{e}", "RequirementRejected", f"REQ-{e}", Recipient(user_id=f"u{u}"), "decision", ("inbox",),
                False, TEXTS)
        for e in range(events) for u in range(users)
    ]  # fmt: skip
    return plan_deliveries(messages, Channels(frozenset({"inbox"}), [], {}, 1), NOW)


async def claim_all(queue: DeliveryQueue, worker: str, now: datetime) -> list[str]:
    claimed = []
    while (delivery := await queue.claim(now, 30, worker)) is not None:
        claimed.append(delivery["_id"])
    return claimed


async def test_two_instances_claiming_at_once_never_take_the_same_delivery(
    notify_db: Database, second_instance: Database
) -> None:
    first, second = DeliveryQueue(notify_db), DeliveryQueue(second_instance)
    assert await first.add_all(planned(300)) == 300
    # Eight claimers in each instance, all at once, until nothing is left.
    claims = await asyncio.gather(
        *(claim_all(first, f"a{n}", NOW) for n in range(8)), *(claim_all(second, f"b{n}", NOW) for n in range(8))
    )
    taken = [delivery_id for claimed in claims for delivery_id in claimed]
    assert len(taken) == 300 and len(set(taken)) == 300, "every delivery claimed once, none twice"
    assert sum(1 for claimed in claims[:8] for _ in claimed) > 0 and sum(1 for c in claims[8:] for _ in c) > 0
    assert await first.claim(NOW, 30, "late") is None, "all of them are leased now"
    assert await notify_db.fetchval("SELECT count(*) FROM deliveries WHERE claims <> 1") == 0


async def test_a_claim_held_by_a_killed_worker_is_taken_over_after_its_lease_and_its_late_outcome_is_refused(
    notify_db: Database, second_instance: Database
) -> None:
    dead, alive = DeliveryQueue(notify_db), DeliveryQueue(second_instance)
    await dead.add_all(planned(1))
    held = await dead.claim(NOW, 30, "worker-killed")
    assert held is not None and held["state"] == "sending"
    assert await alive.claim(NOW + timedelta(seconds=29), 30, "worker-alive") is None, "the lease still holds"
    assert await alive.next_due() == NOW + timedelta(seconds=30)

    taken = await alive.claim(NOW + timedelta(seconds=31), 30, "worker-alive")
    assert taken is not None and taken["_id"] == held["_id"] and taken["claims"] == 2
    delivered = [{"id": "evt-1", "topic": "it.notify-events", "key": "REQ-0", "envelope": {"type": "X"}}]
    # The first worker was only slow, not dead: its outcome comes too late and changes nothing.
    assert not await dead.finish(held, state="sent", now=NOW, attempted=True, outbox=delivered)
    assert await alive.finish(taken, state="sent", now=NOW, attempted=True, outbox=delivered, sent_at=NOW)
    [row] = await alive.find(limit=10)
    assert row["state"] == "sent" and row["attempts"] == 1 and row["sent_at"] == NOW
    assert await notify_db.fetchval("SELECT count(*) FROM outbox") == 1, "one event for one delivery"
    assert await alive.claim(NOW + timedelta(days=1), 30, "worker-alive") is None, "a sent delivery is done"


async def test_a_retry_comes_back_when_due_and_a_failed_delivery_only_when_an_administrator_requeues_it(
    notify_db: Database,
) -> None:
    queue = DeliveryQueue(notify_db)
    await queue.add_all(planned(1))
    claimed = await queue.claim(NOW, 30, "w")
    later = NOW + timedelta(seconds=8)
    assert await queue.finish(claimed, state="pending", now=NOW, attempted=True, next_attempt_at=later, last_error="-1")
    assert await queue.claim(NOW + timedelta(seconds=7), 30, "w") is None
    again = await queue.claim(later, 30, "w")
    assert again["attempts"] == 1 and again["last_error"] == "-1"
    assert await queue.finish(again, state="failed", now=later, attempted=True, reason="gave up")
    assert await queue.claim(later + timedelta(days=1), 30, "w") is None
    assert await queue.requeue("nowhere", later) is None
    requeued = await queue.requeue(again["_id"], later)
    assert requeued["state"] == "pending" and requeued["attempts"] == 0 and requeued["reason"] is None
    assert (await queue.claim(later, 30, "w"))["_id"] == again["_id"]


async def test_the_deliveries_of_an_event_planned_twice_at_once_are_added_once(
    notify_db: Database, second_instance: Database
) -> None:
    deliveries = planned(20, users=3)
    added = await asyncio.gather(
        DeliveryQueue(notify_db).add_all(deliveries), DeliveryQueue(second_instance).add_all(deliveries)
    )
    assert sum(added) == 60
    assert await DeliveryQueue(notify_db).add_all(deliveries) == 0
    assert await notify_db.fetchval("SELECT count(*) FROM deliveries") == 60


async def notification(inbox: NotificationRepository, n: int, recipient: str, at: datetime) -> None:
    await inbox.add(
        {"id": f"ev{n}:{recipient}:inbox", "message_key": f"ev{n}:{recipient}", "ticket_id": f"REQ-{n}",
         "recipient": recipient, "created_at": at, "title": f"第 {n} 条", "body": "", "channel": "inbox"}
    )  # fmt: skip


async def test_a_notification_to_a_role_is_read_by_each_of_its_users_on_their_own(notify_db: Database) -> None:
    inbox = NotificationRepository(notify_db)
    role = "role:fb-150102:reviewer"
    zhang, li = ["user:u-zhang", role], ["user:u-li", role]
    for n in range(5):
        await notification(inbox, n, role, NOW + timedelta(minutes=n))
    await notification(inbox, 9, "user:u-zhang", NOW + timedelta(hours=1))
    await notification(inbox, 9, "user:u-zhang", NOW + timedelta(hours=1))  # a second send adds nothing

    assert [n["title"] for n in await inbox.inbox(zhang, "u-zhang", unread_only=False, limit=3)] == [
        "第 9 条", "第 4 条", "第 3 条",
    ]  # fmt: skip
    assert await inbox.unread_count(zhang, "u-zhang") == 6 and await inbox.unread_count(li, "u-li") == 5
    assert await inbox.mark_read(f"ev4:{role}:inbox", zhang, "u-zhang")
    assert await inbox.mark_read(f"ev4:{role}:inbox", zhang, "u-zhang"), "reading again is no error"
    assert not await inbox.mark_read("ev9:user:u-zhang:inbox", li, "u-li"), "not addressed to li"
    assert await inbox.unread_count(zhang, "u-zhang") == 5 and await inbox.unread_count(li, "u-li") == 5
    unread = await inbox.inbox(zhang, "u-zhang", unread_only=True, limit=10)
    assert [n["_id"] for n in unread if n["read"]] == [] and len(unread) == 5
    assert (await inbox.get(f"ev4:{role}:inbox", zhang, "u-zhang"))["read"] is True
    assert (await inbox.get(f"ev4:{role}:inbox", li, "u-li"))["read"] is False
    assert await inbox.get("ev9:user:u-zhang:inbox", li, "u-li") is None


async def test_a_task_is_no_longer_unread_once_its_ticket_moved_on_and_mark_all_read_reads_the_rest(
    notify_db: Database,
) -> None:
    inbox = NotificationRepository(notify_db)
    role, wang = "role:fb-150102:reviewer", ["user:u-wang", "role:fb-150102:reviewer"]
    await inbox.ticket_moved_on("REQ-T1", "单位资产卡片批量导入", NOW)
    await inbox.add(
        {"id": f"evT1:{role}:inbox", "message_key": f"evT1:{role}", "ticket_id": "REQ-T1", "recipient": role,
         "created_at": NOW, "title": "待审核需求", "body": "", "channel": "inbox", "category": "review"}
    )  # fmt: skip
    await inbox.add(
        {"id": f"evT2:{role}:inbox", "message_key": f"evT2:{role}", "ticket_id": "REQ-T2", "recipient": role,
         "created_at": NOW, "title": "需求被驳回", "body": "", "channel": "inbox", "category": "decision"}
    )  # fmt: skip
    [task] = [n for n in await inbox.inbox(wang, "u-wang", unread_only=False, limit=5) if n["ticket_id"] == "REQ-T1"]
    assert task["ticket_title"] == "单位资产卡片批量导入" and not task["done"] and not task["read"]
    assert await inbox.unread_count(wang, "u-wang") == 2

    # The county forwarded it (a later step, without the title): the review task is done, not unread.
    await inbox.ticket_moved_on("REQ-T1", None, NOW + timedelta(minutes=5))
    [task] = [n for n in await inbox.inbox(wang, "u-wang", unread_only=False, limit=5) if n["ticket_id"] == "REQ-T1"]
    assert task["done"] and task["ticket_title"] == "单位资产卡片批量导入"
    assert [n["ticket_id"] for n in await inbox.inbox(wang, "u-wang", unread_only=True, limit=5)] == ["REQ-T2"]
    assert await inbox.unread_count(wang, "u-wang") == 1

    # 全部已读 reads everything until now for this user only; what comes after is unread again.
    await inbox.mark_all_read("u-wang", NOW + timedelta(minutes=10))
    assert await inbox.unread_count(wang, "u-wang") == 0
    assert await inbox.unread_count(["user:u-zhao", role], "u-zhao") == 1
    await notification(inbox, 77, role, NOW + timedelta(minutes=11))
    assert await inbox.unread_count(wang, "u-wang") == 1

    # Opening a ticket reads its notifications for the reader.
    assert await inbox.mark_ticket_read("REQ-77", wang, "u-wang") == 1
    assert await inbox.unread_count(wang, "u-wang") == 0
    assert await inbox.mark_ticket_read("REQ-77", wang, "u-wang") == 0, "reading again adds nothing"


async def test_two_instances_sending_through_one_robot_at_once_spend_at_most_its_20_tokens_a_window(
    notify_db: Database, second_instance: Database
) -> None:
    clock = [NOW]
    first = RobotThrottle(notify_db, lambda: clock[0], 20, 61)
    second = RobotThrottle(second_instance, lambda: clock[0], 20, 61)
    waits = await asyncio.gather(*(throttle.take("itd") for _ in range(15) for throttle in (first, second)))
    assert sum(1 for wait in waits if wait == 0) == 20
    assert all(60 < wait <= 61 for wait in waits if wait > 0), "the rest wait for the first token to come back"
    clock[0] = NOW + timedelta(seconds=61)
    later = await asyncio.gather(*(throttle.take("itd") for _ in range(12) for throttle in (first, second)))
    assert sum(1 for wait in later if wait == 0) == 20, "a window later the 20 tokens are back, no more"
    assert await second.take("other-robot") == 0, "each robot has its own window"
