"""Portal rules, pure: who a user is once signed in, and how events read on a ticket's timeline."""

from dataclasses import dataclass
from typing import Any

from shared.auth import Principal
from shared.errors import DomainError
from shared.events import Envelope

TIMELINE_TEXT = {
    "RequirementSubmitted": "提交需求",
    "ReviewTaskOpened": "进入审核",
    "NotificationDelivered": "发送通知",
}


class SignInFailed(DomainError):
    status_code = 401


@dataclass(frozen=True)
class UserAccount:
    id: str
    username: str
    name: str
    org: dict[str, Any]
    org_path: list[str]
    roles: list[str]
    password_hash: str
    vendor_id: str | None = None

    def principal(self) -> Principal:
        return Principal(
            user_id=self.id,
            username=self.username,
            name=self.name,
            org_id=self.org["id"],
            org_name=self.org["name"],
            org_kind=self.org["kind"],
            division_code=self.org["division_code"],
            org_path=self.org_path,
            roles=self.roles,
            vendor_id=self.vendor_id,
        )


def timeline_entry(envelope: Envelope) -> dict[str, Any]:
    """One line of a ticket's history, as the portal shows it: what happened, who did it, when."""
    data = envelope.data
    detail = {
        "RequirementSubmitted": lambda: f"{data['org_name']} {data['submitter_name']} 提交：{data['title']}",
        "ReviewTaskOpened": lambda: f"待 {data['division_code']} 财政部门审核（{data['level']}）",
        "NotificationDelivered": lambda: f"通知 {data['recipient']}：{data['title']}",
    }.get(envelope.type, lambda: envelope.type)()
    return {
        "_id": envelope.id,
        "ticket_id": envelope.subject,
        "type": envelope.type,
        "label": TIMELINE_TEXT.get(envelope.type, envelope.type),
        "detail": detail,
        "at": envelope.time,
        "actor": envelope.actor.model_dump(),
        "source": envelope.source,
        "correlation_id": envelope.correlationid,
    }
