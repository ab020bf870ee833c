"""Who is told what (pure rules, no I/O): the notification scheme of the procedure's steps.

A notification is addressed to a user, or to a role at an organisation ("the reviewers of the 新城区
finance bureau"), so nobody's inbox depends on the user directory being copied here. Its id is derived
from (event, recipient, channel): the same event handled twice yields the same notification, once.
Releases and publications also become system announcements (通知公告, 第六条四、八).
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from shared.auth import BUSINESS_DIVISION, IT_DIVISION, REVIEWER, VENDOR, Principal
from shared.events import Envelope, Event, NotificationDelivered

INBOX_CHANNEL = "inbox"
LEVEL_NAMES = {"county": "旗县区", "city": "盟市", "region": "自治区"}
IT_DIVISION_ORG = "itd"


@dataclass(frozen=True)
class Recipient:
    user_id: str | None = None
    org_id: str | None = None
    role: str | None = None

    @property
    def key(self) -> str:
        return f"user:{self.user_id}" if self.user_id else f"role:{self.org_id}:{self.role}"


@dataclass(frozen=True)
class Message:
    recipient: Recipient
    title: str
    body: str


@dataclass
class Notification:
    id: str
    ticket_id: str
    recipient: Recipient
    channel: str
    title: str
    body: str
    created_at: datetime
    urgent: bool = False
    events: list[Event] = field(default_factory=list)


@dataclass(frozen=True)
class Announcement:
    """通知公告: visible to every signed-in user of the region."""

    id: str
    kind: str
    title: str
    body: str
    links: dict[str, str]
    published_at: datetime
    pinned: bool = True


def _user(user_id: str) -> Recipient:
    return Recipient(user_id=user_id)


def _role(org_id: str, role: str) -> Recipient:
    return Recipient(org_id=org_id, role=role)


Scheme = Callable[[dict[str, Any], str], list[Message]]

# For each event type: who is told, and what they read (zh-CN).
SCHEME: dict[str, Scheme] = {
    "ReviewTaskOpened": lambda d, t: [
        Message(
            _role(d["bureau_org_id"], REVIEWER),
            f"待审核需求：{d['title']}",
            f"需求 {t} 已提交至{LEVEL_NAMES[d['level']]}财政部门，请及时审核（第六条一）。",
        )
    ],
    "RequirementRejected": lambda d, t: [
        Message(
            _user(d["submitter_id"]), f"需求 {t} 被驳回", f"{LEVEL_NAMES[d['level']]}财政部门驳回理由：{d['reason']}"
        )
    ],
    "RequirementReturned": lambda d, t: [
        Message(_user(d["submitter_id"]), f"需求 {t} 退回修改", f"请按意见修改后重新提交：{d['reason']}")
    ],
    "RequirementReviewCompleted": lambda d, t: [
        Message(
            _role(IT_DIVISION_ORG, IT_DIVISION), f"待梳理细化：{d['title']}", f"需求 {t} 已逐级审核通过（第六条二）。"
        )
    ],
    "RequirementRefined": lambda d, t: [
        Message(
            _role(d["business_division_id"], BUSINESS_DIVISION),
            f"待确认需求：{d['title']}",
            f"需求 {t} 已梳理细化，请确认是否予以实现（第六条三）。",
        )
    ],
    "RequirementConfirmed": lambda d, t: [
        Message(
            _user(d["submitter_id"]),
            f"需求 {t} {'已采纳' if d['adopted'] else '不予采纳'}",
            (f"预计升级时间：{d.get('expected_upgrade') or '待定'}" if d["adopted"] else f"原因：{d['reason']}"),
        )
    ],
    "WorkOrderDispatched": lambda d, t: [
        Message(
            _role(d["vendor_id"], VENDOR),
            f"新工单 {d['work_order_id']}（{d['priority']}）：{d['title']}",
            f"计划交付日期：{d['planned_delivery']}（第六条五）。",
        )
    ],
    "WorkOrderReopened": lambda d, t: [
        Message(_role(d["vendor_id"], VENDOR), f"工单 {d['work_order_id']} 验证未通过", f"原因：{d['reason']}")
    ],
    "WorkOrderOverdue": lambda d, t: [
        Message(
            _role(IT_DIVISION_ORG, IT_DIVISION),
            f"工单 {d['work_order_id']} 已逾期",
            f"计划交付日期 {d['planned_delivery']} 已过，开发公司尚未交付。",
        )
    ],
    "VerificationRequested": lambda d, t: [
        Message(
            _user(d["submitter_id"]),
            f"请验证需求 {t}",
            f"开发公司已交付版本 {d['version']}，请进行业务验证（第六条七）。",
        )
    ],
    "VerificationFailed": lambda d, t: [
        Message(_role(IT_DIVISION_ORG, IT_DIVISION), f"需求 {t} 验证未通过", f"原因：{d['reason']}")
    ],
}


def notifications_for(envelope: Envelope, now: datetime) -> list[Notification]:
    """The notifications one event produces under the scheme (none for events nobody is told of)."""
    scheme = SCHEME.get(envelope.type)
    if scheme is None:
        return []
    urgent = envelope.data.get("urgent", False) or envelope.data.get("urgency") == "urgent"
    notifications = []
    for message in scheme(envelope.data, envelope.subject):
        notification_id = f"{envelope.id}:{message.recipient.key}:{INBOX_CHANNEL}"
        notification = Notification(
            notification_id,
            envelope.subject,
            message.recipient,
            INBOX_CHANNEL,
            message.title,
            message.body,
            now,
            urgent,
        )
        notification.events.append(
            NotificationDelivered(
                notification_id=notification_id,
                ticket_id=envelope.subject,
                channel=INBOX_CHANNEL,
                recipient=message.recipient.key,
                title=message.title,
            )
        )
        notifications.append(notification)
    return notifications


def announcement_for(envelope: Envelope, now: datetime) -> Announcement | None:
    """第六条八: releases are announced in advance; 第六条四: the monthly publication is announced."""
    data = envelope.data
    if envelope.type == "ReleaseAnnounced":
        links = {k: data[k] for k in ("manual_url", "video_url", "report_guide_url") if data.get(k)}
        body = f"计划于 {data['release_date']} 升级至 {data['version']}。\n{data['notes']}"
        return Announcement(f"ANN-{envelope.id}", "release", f"系统升级通知：{data['title']}", body, links, now)
    if envelope.type == "PublicationPublished":
        adopted = sum(1 for item in data["items"] if item["adopted"])
        body = f"{data['month']} 需求公示：共 {len(data['items'])} 项，采纳 {adopted} 项。详见需求征集模块公示栏。"
        return Announcement(f"ANN-{envelope.id}", "publication", f"{data['month']} 需求公示", body, {}, now)
    return None


def addressed_to(principal: Principal) -> list[str]:
    """The recipient keys whose notifications this user reads."""
    return [f"user:{principal.user_id}", *(f"role:{principal.org_id}:{role}" for role in principal.roles)]
