"""A case's SLA clocks kept up to date (pure: the calendar and "now" come from the caller).

`settle` reads the clocks of services/review/problems/sla.py at `now`, stores them on the case and turns
warnings and breaches into events. A breach names the level above the owner (`escalation_for`): a county
bureau's late answer goes to its league/city bureau, a league/city bureau's to the region, and the
region's own divisions' to the department's leadership.
"""

from datetime import datetime

from services.review.problems import sla
from services.review.problems.domain import ProblemCase, owner_of
from services.review.problems.domain.case import division_name
from shared.events import ProblemSlaBreached, ProblemSlaWarning, SlaEscalation
from shared.orgtree import REGION_CODE, bureau_id, divisions
from shared.workcalendar import WorkCalendar

LEADERSHIP = SlaEscalation(
    level="region",
    division_code=REGION_CODE,
    org_id=bureau_id(REGION_CODE),
    role="leadership",
    label="自治区财政厅分管领导",
)


def start_clocks(category: str, urgent: bool, opened_at: datetime, calendar: WorkCalendar) -> sla.SlaRecord:
    return sla.start(sla.policy_for(category, urgent), opened_at, calendar)


def facts_of(case: ProblemCase) -> sla.ClockFacts:
    return sla.ClockFacts(
        opened_at=case.opened_at,
        pauses=tuple((pause.start, pause.end) for pause in case.pauses),
        first_response_at=case.first_response_at,
        closed_at=case.closed_at,
    )


def settle(case: ProblemCase, calendar: WorkCalendar, now: datetime) -> int:
    """Bring the clocks up to `now`; returns how many warnings and breaches were announced."""
    case.sla, alerts = sla.advance(case.sla, facts_of(case), calendar, now)
    for alert in alerts:
        reading = {
            "clock": alert.clock,
            "allowed_seconds": alert.allowed_seconds,
            "elapsed_seconds": round(alert.elapsed_seconds, 1),
            "due_at": alert.due_at,
        }
        if alert.kind == "warning":
            case.emit(ProblemSlaWarning, **reading)
        else:
            case.emit(ProblemSlaBreached, **reading, escalate_to=escalation_for(case))
    return len(alerts)


def escalation_for(case: ProblemCase) -> SlaEscalation:
    """The level above whoever holds the case now."""
    owner = owner_of(case)
    division = divisions().get(owner.division_code or "")
    if owner.role != "reviewer" or division is None or division.parent is None:
        return LEADERSHIP
    parent = division.parent
    level = "region" if parent == REGION_CODE else "city"
    label = "自治区财政厅" if parent == REGION_CODE else f"{division_name(parent)}财政局"
    return SlaEscalation(level=level, division_code=parent, org_id=bureau_id(parent), role="reviewer", label=label)
