"""Who holds a ticket now, as roles at organisations, from the events the portal already reads: told of a
comment on the ticket though none of them may have acted on it yet (services/portal/comments.py). Pure.

Only desks that may read the ticket in the portal are named (a vendor reads its work orders in dispatch,
not the ticket here), and an event at least as new as the one that set the desk replaces it.
"""

from collections.abc import Callable
from typing import Any

from shared.auth import BUSINESS_DIVISION, DUTY_OPERATOR, IT_DIVISION, REVIEWER
from shared.events import Envelope
from shared.orgtree import bureau_id

IT_DIVISION_ORG = "itd"
IT = {"org_id": IT_DIVISION_ORG, "role": IT_DIVISION}
SUPPORT = [IT, {"org_id": IT_DIVISION_ORG, "role": DUTY_OPERATOR}]


def _problem_desk(data: dict[str, Any]) -> list[dict[str, str]]:
    """A problem case's next step (shared/events/problem_flow.py: owner roles)."""
    match data.get("owner_role"):
        case "it_division":
            return [IT]
        case "it_or_support":
            return SUPPORT
        case "reviewer" if data.get("owner_division"):
            return [{"org_id": bureau_id(data["owner_division"]), "role": REVIEWER}]
        case "business_division" if data.get("owner_org_id"):
            return [{"org_id": data["owner_org_id"], "role": BUSINESS_DIVISION}]
    return []  # the reporter (a watcher anyway), or nobody: closed


DESKS: dict[str, Callable[[dict[str, Any]], list[dict[str, str]]]] = {
    "ProblemReported": lambda d: SUPPORT,  # 第九条: the support desk takes every report first
    "ReviewTaskOpened": lambda d: [{"org_id": d["bureau_org_id"], "role": REVIEWER}],  # 第六条一
    "RequirementReturned": lambda d: [],  # with the submitter, who watches it
    "RequirementRejected": lambda d: [],
    "RequirementReviewCompleted": lambda d: [IT],  # 第六条二: 梳理细化
    "RequirementRefined": lambda d: [{"org_id": d["business_division_id"], "role": BUSINESS_DIVISION}],  # 第六条三
    "RequirementConfirmed": lambda d: [IT] if d.get("adopted") else [],  # 第六条四～五: published, dispatched
    "RequirementMerged": lambda d: [],
    "RequirementSplit": lambda d: [],
    "RequirementReleased": lambda d: [],
}


def desk_after(envelope: Envelope) -> list[dict[str, str]] | None:
    """The desk this event leaves the ticket with, or None when it does not move the ticket between desks."""
    if envelope.type in DESKS:
        return DESKS[envelope.type](envelope.data)
    if "owner_role" in envelope.data:
        return _problem_desk(envelope.data)
    return None
