"""Who is told what (pure rules, no I/O).

A notification is addressed to a user, or to a role at an organisation ("the reviewers of the 新城区
finance bureau"), so nobody's inbox depends on the user directory being copied here. Its id is derived
from (event, recipient, channel): the same event handled twice yields the same notification, once.
"""

from dataclasses import dataclass, field
from datetime import datetime

from shared.auth import REVIEWER, Principal
from shared.events import Event, NotificationDelivered, ReviewTaskOpened

INBOX_CHANNEL = "inbox"
LEVEL_NAMES = {"county": "旗县区", "city": "盟市", "region": "自治区"}


@dataclass(frozen=True)
class Recipient:
    user_id: str | None = None
    org_id: str | None = None
    role: str | None = None

    @property
    def key(self) -> str:
        return f"user:{self.user_id}" if self.user_id else f"role:{self.org_id}:{self.role}"


@dataclass
class Notification:
    id: str
    ticket_id: str
    recipient: Recipient
    channel: str
    title: str
    body: str
    created_at: datetime
    events: list[Event] = field(default_factory=list)


def notification_id(event_id: str, recipient: Recipient, channel: str) -> str:
    return f"{event_id}:{recipient.key}:{channel}"


def notify_reviewers_of_task(event_id: str, opened: ReviewTaskOpened, now: datetime) -> Notification:
    """第六条一: the bureau at the task's level is told it has a requirement to review."""
    recipient = Recipient(org_id=opened.bureau_org_id, role=REVIEWER)
    notification = Notification(
        id=notification_id(event_id, recipient, INBOX_CHANNEL),
        ticket_id=opened.ticket_id,
        recipient=recipient,
        channel=INBOX_CHANNEL,
        title=f"待审核需求：{opened.title}",
        body=f"需求 {opened.ticket_id} 已提交至{LEVEL_NAMES[opened.level]}财政部门，请及时审核（第六条一）。",
        created_at=now,
    )
    notification.events.append(
        NotificationDelivered(
            notification_id=notification.id,
            ticket_id=opened.ticket_id,
            channel=INBOX_CHANNEL,
            recipient=recipient.key,
            title=notification.title,
        )
    )
    return notification


def addressed_to(principal: Principal) -> list[str]:
    """The recipient keys whose notifications this user reads."""
    return [f"user:{principal.user_id}", *(f"role:{principal.org_id}:{role}" for role in principal.roles)]
