"""Notify's use cases: reactions to the procedure's events, and what users and administrators ask for."""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from services.notify.adapters import AnnouncementRepository, DeliveryQueue, NotificationRepository
from services.notify.announcements import ANNOUNCED, announcement_for
from services.notify.channels.base import Delivery
from services.notify.channels.inbox import InboxChannel
from services.notify.config_store import PreferenceStore, RobotStore, SchemeStore
from services.notify.domain import ALL_GROUPS, Channels, Message, Recipient, addressed_to, messages_for, plan_deliveries
from services.notify.scheme import INBOX, Rule, rule_errors
from services.notify.scheme_defaults import IT_DIVISION_ORG
from services.notify.seed import seed
from shared.auth import SYSADMIN, Principal
from shared.db import Database
from shared.errors import InvalidInput, NotFound
from shared.events import SYSTEM, Envelope, NotificationDelivered, utcnow
from shared.logs import get_logger
from shared.outbox import Outbox

log = get_logger(__name__)


@dataclass
class Notify:
    """The stores the use cases work on, and the channels this process can deliver through."""

    queue: DeliveryQueue
    inbox: NotificationRepository
    announcements: AnnouncementRepository
    schemes: SchemeStore
    robots: RobotStore
    preferences: PreferenceStore
    enabled: frozenset[str] = frozenset({INBOX})
    wake: Callable[[], None] = field(default=lambda: None)
    # Real time: rate limits, leases and quiet hours are about the real world, not the business clock.
    now: Callable[[], datetime] = utcnow
    # Where administrative changes are recorded with their events (services/notify/administration.py).
    db: Database | None = None
    outbox: Outbox | None = None


async def when_procedure_event_notify(envelope: Envelope, *, notify: Notify) -> None:
    """Queue a delivery per (recipient, channel) under the active scheme; each once, however often it arrives."""
    now = notify.now()
    version, rules = await notify.schemes.active_rules()
    if version == 0:
        # The very first event may come before the start hook seeded version 1: seed it now (idempotent).
        await seed(notify.schemes, notify.robots)
        version, rules = await notify.schemes.active_rules()
    messages = messages_for(envelope, rules)
    if messages:
        users = [m.recipient.user_id for m in messages if m.recipient.user_id]
        orgs = sorted({m.recipient.org_id for m in messages if m.recipient.org_id and m.recipient != ALL_GROUPS})
        robots = await notify.robots.routing(orgs, every_group=any(m.recipient == ALL_GROUPS for m in messages))
        channels = Channels(notify.enabled, robots, await notify.preferences.for_users(users), version)
        planned = plan_deliveries(messages, channels, now)
        at_once = _sent_at_once(planned, now) if notify.outbox is not None else []
        await notify.queue.add_all(planned)
        if at_once:
            await _deliver_to_inboxes(at_once, envelope, notify)
        if any(doc["state"] == "pending" for doc in planned):
            notify.wake()
        if envelope.subject and is_a_step(envelope.type):
            await notify.inbox.ticket_moved_on(envelope.subject, envelope.data.get("title"), now)
    if announcement := announcement_for(envelope, now):
        await notify.announcements.add(announcement)


def _sent_at_once(planned: list[dict], now: datetime) -> list[dict]:
    """The in-app deliveries among `planned`, marked sent: the inbox is a table of this service's own
    database, so there is no platform to wait for, retry or rate-limit, and nothing a worker adds."""
    at_once = [doc for doc in planned if doc["channel"] == INBOX and doc["state"] == "pending"]
    for doc in at_once:
        doc.update(state="sent", attempts=1, next_attempt_at=None, sent_at=now)
    return at_once


async def _deliver_to_inboxes(deliveries: list[dict], envelope: Envelope, notify: Notify) -> None:
    """Write the in-app notifications, and their NotificationDelivered events, in the transaction that
    handles the event (the consumer's inbox transaction): the notification is there exactly when the event
    counts as handled, one Kafka hop after the step, instead of after a worker's claim and outcome (three
    more transactions). Redelivery adds nothing: the inbox drops the event, and a notification's id is its
    delivery's. Other channels still go through the delivery queue's workers."""
    assert notify.db is not None and notify.outbox is not None
    channel = InboxChannel(notify.inbox)
    for doc in deliveries:
        await channel.send(Delivery.from_doc(doc))
    events = [
        NotificationDelivered(
            notification_id=doc["_id"],
            ticket_id=doc.get("ticket_id") or "",
            channel=INBOX,
            recipient=doc["recipient"],
            title=doc["title"],
        )
        for doc in deliveries
    ]
    async with notify.db.transaction() as conn:
        correlation_id = deliveries[0].get("correlation_id")
        await notify.outbox.add(conn, events, actor=SYSTEM, correlation_id=correlation_id, causation=envelope)


def is_a_step(event_type: str) -> bool:
    """A step of the procedure was taken (the tasks asked for before it are done); a reminder that a time
    limit passed is not one, nor is a comment."""
    return not event_type.endswith(("Overdue", "SlaBreached", "Reminder", "Commented"))


async def wants_event(envelope: Envelope, *, notify: Notify) -> bool:
    """Only events the active scheme has rules for (or that are announced) are handled; the others are
    acknowledged without an inbox read and write. Notify reads every ticket topic so that a rule added
    for any event type needs no deployment, but today's scheme names few of the events that pass."""
    if envelope.type in ANNOUNCED:
        return True
    version, rules = await notify.schemes.active_rules()
    return version == 0 or bool(rules.get(envelope.type))


async def when_robot_rejected_disable_and_alert(robot_id: str, reason: str, *, notify: Notify) -> None:
    """93000: the robot's webhook is gone. Stop using it, and tell the system administrators (once)."""
    if not await notify.robots.disable(robot_id, reason, notify.now()):
        return
    robot = await notify.robots.get(robot_id) or {"name": robot_id, "disabled_count": 1}
    log.warning("wecom robot disabled", robot_id=robot_id, reason=reason)
    texts = {
        "zh-CN": {
            "title": f"企业微信群机器人已停用：{robot['name']}",
            "body": f"机器人 {robot_id} 的 Webhook 地址已失效（{reason}），其消息不再发送。"
            "请在群内重新添加机器人后更新密钥并启用。",
        },
        "en": {
            "title": f"WeCom robot disabled: {robot['name']}",
            "body": f"The webhook of robot {robot_id} is no longer valid ({reason}). Re-add it and update its key.",
        },
    }
    alert = Message(
        f"robot-{robot_id}-disabled-{robot.get('disabled_count', 1)}", "RobotDisabled", f"robot:{robot_id}",
        Recipient(org_id=IT_DIVISION_ORG, role=SYSADMIN), "system", (INBOX,), True, texts,
    )  # fmt: skip
    await notify.queue.add_all(plan_deliveries([alert], Channels(frozenset({INBOX}), [], {}, 0), notify.now()))
    notify.wake()


async def when_wechat_user_unreachable(recipient: str, openid: str, reason: str, *, notify: Notify) -> None:
    """43004/43101 are permanent for that user: WeChat is not planned for them until they bind again."""
    if recipient.startswith("user:"):
        await notify.preferences.mark_unreachable(recipient.removeprefix("user:"), openid, reason)


async def mark_read(notification_id: str, *, reader: Principal, notify: Notify) -> None:
    if not await notify.inbox.mark_read(notification_id, addressed_to(reader), reader.user_id):
        raise NotFound("notification_not_found", "通知不存在 (no such notification)")


async def delivery_state(notification_id: str, *, reader: Principal, notify: Notify) -> dict:
    """A notification of the reader's with the state of its delivery on every channel."""
    notification = await notify.inbox.get(notification_id, addressed_to(reader), reader.user_id)
    if notification is None:
        raise NotFound("notification_not_found", "通知不存在 (no such notification)")
    # Notifications from before the delivery queue have no message key: derive it from the id.
    message_key = notification.get("message_key") or notification_id.rsplit(":", 1)[0]
    deliveries = await notify.queue.of_message(message_key)
    return {"notification": notification, "deliveries": deliveries}


async def change_scheme(
    event_type: str, rules: list[Rule], *, base_version: int, note: str, by: Principal, notify: Notify
) -> dict:
    """A new version of the scheme with this event type's rules replaced; the old versions stay."""
    if errors := rule_errors(event_type, rules):
        message = "; ".join(f"{e['field']}: {e['message']}" for e in errors)
        raise InvalidInput("invalid_scheme_rule", f"通知方案不合规 (invalid rule): {message}", field=errors[0]["field"])
    doc = await notify.schemes.save(base_version, event_type, rules, by.user_id, note, notify.now())
    log.info("notification scheme changed", version=doc["_id"], event_type=event_type, by=by.user_id)
    return doc
