"""An in-app notification is written while its event is handled, not by a worker afterwards: the county
reviewers' inbox has it when the event counts as handled, its delivery reads sent, NotificationDelivered
(caused by the event) is in the outbox, and the other channels still wait for the workers."""

from datetime import UTC, datetime

from services.notify.bootstrap import build_notify
from services.notify.handlers import when_procedure_event_notify
from services.notify.scheme import INBOX
from services.notify.scheme_defaults import default_rules
from shared.db import Database
from shared.events import SYSTEM, Envelope, ReviewTaskOpened
from shared.inbox import Inbox
from shared.outbox import Outbox, OutboxWriter
from shared.topics import Topics

NOW = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
BUREAU = "fb-150102"


def review_task() -> Envelope:
    event = ReviewTaskOpened(
        task_id="REQ-202612-00000001-county",
        ticket_id="REQ-202612-00000001",
        title="指标导出增加按项目汇总",
        level="county",
        division_code="150102",
        bureau_org_id=BUREAU,
        org_path=["150000", "150100", "150102", "bu-150102-01"],
    )
    return Envelope.wrap(event, source="/review", actor=SYSTEM, correlation_id="corr-1")


async def test_the_reviewers_inbox_has_the_notification_when_the_event_is_handled(notify_db: Database) -> None:
    notify = build_notify(notify_db, outbox=Outbox(OutboxWriter(Topics("fiscaldesk"), source="/notify")))
    notify.now = lambda: NOW
    notify.enabled = frozenset({INBOX, "wecom"})
    await notify.schemes.seed(default_rules(), NOW)
    robot = {"_id": "county-150102", "name": "新城区", "key": "k-1", "org_ids": [BUREAU], "division_prefix": None}
    await notify.robots.add({**robot, "enabled": True})
    woken: list[bool] = []
    notify.wake = lambda: woken.append(True)
    envelope = review_task()

    async def handle() -> None:
        await when_procedure_event_notify(envelope, notify=notify)

    assert await Inbox(notify_db).process("notify", envelope.id, envelope.type, handle)
    assert not await Inbox(notify_db).process("notify", envelope.id, envelope.type, handle)  # redelivered

    inbox = await notify.inbox.inbox([f"role:{BUREAU}:reviewer"], "u-county", unread_only=True, limit=10)
    assert [n["title"] for n in inbox] == ["待审核需求：指标导出增加按项目汇总"]
    states = {
        row["channel"]: (row["state"], row["attempts"], row["sent_at"])
        for row in await notify_db.fetch("SELECT channel, state, attempts, sent_at FROM deliveries")
    }
    assert states[INBOX] == ("sent", 1, NOW)
    assert states["wecom"] == ("pending", 0, None)
    claimed = await notify.queue.claim(NOW, 30, "worker-test")
    assert claimed is not None and claimed["channel"] == "wecom"  # the worker's only work: the group robot
    assert await notify.queue.claim(NOW, 30, "worker-test") is None
    delivered = await notify_db.fetch("SELECT envelope FROM outbox WHERE envelope->>'type' = 'NotificationDelivered'")
    assert len(delivered) == 1
    told = delivered[0]["envelope"]
    assert told["causationid"] == envelope.id and told["correlationid"] == "corr-1"
    assert told["data"]["recipient"] == f"role:{BUREAU}:reviewer" and told["data"]["channel"] == INBOX
    assert woken == [True], "the workers are woken once, for the robot's delivery"
