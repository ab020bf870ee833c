"""How events read on a ticket's timeline (the read model every role sees)."""

from typing import Any

from shared.events import Envelope

LABELS = {
    "RequirementSubmitted": "提交需求",
    "ReviewTaskOpened": "进入审核",
    "NotificationDelivered": "发送通知",
}


def describe(envelope: Envelope) -> str:
    data = envelope.data
    match envelope.type:
        case "RequirementSubmitted":
            return f"{data['org_name']} {data['submitter_name']} 提交：{data['title']}"
        case "ReviewTaskOpened":
            return f"待 {data['division_code']} 财政部门审核（{data['level']}）"
        case "NotificationDelivered":
            return f"通知 {data['recipient']}：{data['title']}"
    return envelope.type


def timeline_entry(envelope: Envelope) -> dict[str, Any]:
    """One line of a ticket's history: what happened, who did it, when."""
    return {
        "_id": envelope.id,
        "ticket_id": envelope.subject,
        "type": envelope.type,
        "label": LABELS.get(envelope.type, envelope.type),
        "detail": describe(envelope),
        "at": envelope.time,
        "actor": envelope.actor.model_dump(),
        "source": envelope.source,
        "correlation_id": envelope.correlationid,
    }
