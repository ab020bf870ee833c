"""What the dashboards need to know about a ticket, taken from the events the portal already reads for the
timelines: when each milestone of the procedure was first reached, and a few current facts (the review
level, the business division's decision, the work order's vendor and planned delivery).

Events of one ticket come from several topics, so they can arrive out of order or twice. A milestone keeps
the earliest time it was reached (stored with `$min`, so a redelivered or late event never moves it); a
current fact is taken only from an event at least as new as the one that set it (as the status is).
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from shared.events import Envelope

# event type → the milestone it marks (None: the event marks none this time)
MILESTONES: dict[str, Callable[[dict[str, Any]], str | None]] = {
    "RequirementSubmitted": lambda d: "submitted",  # 第五条: the (first) submission
    "ProblemReported": lambda d: "reported",  # 第十条: problems are reported at any time
    "RequirementReviewCompleted": lambda d: "review_completed",  # 第六条一: every level recommended it
    "RequirementRefined": lambda d: "refined",  # 第六条二: 梳理细化
    "RequirementConfirmed": lambda d: "confirmed",  # 第六条三: adopted or not
    "RequirementPublished": lambda d: "published",  # 第六条四: 公示
    "WorkOrderDispatched": lambda d: "dispatched",  # 第六条五: 派发工单
    "WorkOrderProgressed": lambda d: "delivered" if d.get("stage") == "delivered" else None,  # 第六条六
    "VerificationRequested": lambda d: "verification_requested",  # 第六条七
    "VerificationPassed": lambda d: "verified",
    "RequirementReleased": lambda d: "released",  # 第六条八
    "ProblemClosed": lambda d: "closed",  # 办结
}

# event type → (group, the current facts it sets); each group keeps the time of the event that set it last
CURRENT: dict[str, Callable[[dict[str, Any]], tuple[str, dict[str, Any]]]] = {
    "ReviewTaskOpened": lambda d: ("review", {"review_level": d["level"]}),  # 第三条: the level reviewing it now
    "RequirementConfirmed": lambda d: ("decision", {"adopted": bool(d["adopted"])}),
    "WorkOrderDispatched": lambda d: (
        "work_order",
        {
            "work_order_id": d["work_order_id"],
            "vendor_id": d["vendor_id"],
            "planned_delivery": str(d["planned_delivery"]),  # an ISO date in the business calendar
        },
    ),
}


@dataclass(frozen=True)
class TicketFacts:
    """The facts one event adds to a ticket's document."""

    at: datetime
    milestones: dict[str, datetime] = field(default_factory=dict)
    group: str | None = None
    current: dict[str, Any] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.milestones or self.current)


def facts_of(envelope: Envelope) -> TicketFacts:
    data = envelope.data
    milestone = MILESTONES[envelope.type](data) if envelope.type in MILESTONES else None
    group, current = CURRENT[envelope.type](data) if envelope.type in CURRENT else (None, {})
    return TicketFacts(
        at=envelope.time,
        milestones={milestone: envelope.time} if milestone else {},
        group=group,
        current=current,
    )
