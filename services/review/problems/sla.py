"""SLA clocks of the problem procedure (第十一条): pure maths on the official working calendar, no I/O.

Two clocks per case, both counted in working time of `shared.workcalendar.WorkCalendar` (working days of
the State Council calendar with adjusted workdays 调休 and the region's corrections; work hours 9:00–12:00
and 13:30–17:30 Asia/Shanghai, so one working day is 7 working hours):

- **first response** (响应): from the report to the first answer or refinement step by staff;
- **resolution** (办结): from the report to the close.

Both are paused while the case waits for the reporter (asked for information, or the reporter's own
confirmation or verification is due): the reporter's delay is not the staff's.

| category       | urgency | first response  | resolution           | source                                |
|----------------|---------|-----------------|----------------------|---------------------------------------|
| consulting     | any     | 2 working hours | the same working day | 第十一条四 2小时内回应, 当日办结       |
| bug            | urgent  | 1 working hour  | 1 working day (7 h)  | 第十一条一 急事急办、特事特办          |
| bug            | normal  | 4 working hours | 5 working days       | the region's service level            |
| configuration  | any     | 4 working hours | 3 working days       | the region's service level            |
| data_repair    | any     | 8 working hours | 10 working days      | the region's service level (2 reviews) |

"The same working day" is `WorkCalendar.end_of_working_day(reported)`: the end of the last work period of
the day of the report, or of the next working day for a report after hours or on a holiday. Decision: a
report with less than the response allowance (2 working hours) left in its day belongs to the next working
day as well, so that the same-day deadline never falls before the 2-hour one (a call at 17:00 is due by the
end of the next working day, not at 17:30). The same-day resolution allowance is the working time from the
report to that deadline; the same-day response figure compares the first response with it.

A clock is breached when its working time exceeds the allowance (2 h 15 min against 2 h is a breach;
exactly 2 h is not); a warning comes at 75% of it.
"""

from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Literal

from shared.workcalendar import WorkCalendar

HOUR = 3600.0
WARNING_SHARE = 0.75
ClockName = Literal["response", "resolution"]
ClockState = Literal["on_track", "warning", "paused", "breached", "met"]
STATE_LABELS = {
    "on_track": "正常",
    "warning": "即将超时",
    "paused": "暂停（等待用户）",
    "breached": "已超时",
    "met": "按时",
}
OpenInterval = tuple[datetime, datetime | None]


@dataclass(frozen=True)
class SlaPolicy:
    key: str
    response_seconds: float
    resolution_days: float = 0.0  # working days; unused when the resolution is due the same working day
    same_day_resolution: bool = False


POLICIES: dict[tuple[str, bool], SlaPolicy] = {
    ("consulting", False): SlaPolicy("consulting", 2 * HOUR, same_day_resolution=True),
    ("consulting", True): SlaPolicy("consulting", 2 * HOUR, same_day_resolution=True),
    ("bug", True): SlaPolicy("bug_urgent", 1 * HOUR, 1),
    ("bug", False): SlaPolicy("bug", 4 * HOUR, 5),
    ("configuration", False): SlaPolicy("configuration", 4 * HOUR, 3),
    ("configuration", True): SlaPolicy("configuration", 4 * HOUR, 3),
    ("data_repair", False): SlaPolicy("data_repair", 8 * HOUR, 10),
    ("data_repair", True): SlaPolicy("data_repair", 8 * HOUR, 10),
}


def policy_for(category: str, urgent: bool) -> SlaPolicy:
    return POLICIES[(category, urgent)]


def working_day_seconds(calendar: WorkCalendar) -> float:
    """One working day of the calendar's work hours (7 h by default)."""
    return sum(
        (datetime.combine(date.min, end) - datetime.combine(date.min, start)).total_seconds()
        for start, end in calendar.work_hours
    )


@dataclass(frozen=True)
class ClockFacts:
    """What the case knows: when it was reported, paused (end None while waiting), answered, closed."""

    opened_at: datetime
    pauses: tuple[OpenInterval, ...] = ()
    first_response_at: datetime | None = None
    closed_at: datetime | None = None

    @property
    def paused(self) -> bool:
        return bool(self.pauses) and self.pauses[-1][1] is None


@dataclass(frozen=True)
class SlaRecord:
    """A case's clocks as stored (one flat subdocument); `advance` keeps it up to date."""

    policy: str
    response_allowed: float
    resolution_allowed: float
    same_day_due_at: datetime
    response_elapsed: float = 0.0
    resolution_elapsed: float = 0.0
    response_state: ClockState = "on_track"
    resolution_state: ClockState = "on_track"
    response_due_at: datetime | None = None
    resolution_due_at: datetime | None = None
    response_warned: bool = False
    response_breached: bool = False
    resolution_warned: bool = False
    resolution_breached: bool = False
    responded_same_day: bool | None = None  # 当日响应 (第十一条四)
    resolved_same_day: bool | None = None  # 当日办结, consulting only
    working_seconds_to_response: float | None = None
    working_seconds_to_resolution: float | None = None
    next_check_at: datetime | None = None
    state: ClockState = "on_track"


@dataclass(frozen=True)
class Alert:
    """A warning or a breach to announce; the caller turns it into an event."""

    kind: Literal["warning", "breached"]
    clock: ClockName
    allowed_seconds: float
    elapsed_seconds: float
    due_at: datetime | None


def start(policy: SlaPolicy, opened_at: datetime, calendar: WorkCalendar) -> SlaRecord:
    """The clocks of a case reported at `opened_at`, with their first due instants."""
    same_day = end_of_report_day(calendar, opened_at, policy.response_seconds)
    if policy.same_day_resolution:
        resolution = calendar.working_seconds_between(opened_at, same_day)
    else:
        resolution = policy.resolution_days * working_day_seconds(calendar)
    record = SlaRecord(policy.key, policy.response_seconds, resolution, same_day)
    return advance(record, ClockFacts(opened_at), calendar, opened_at)[0]


def end_of_report_day(calendar: WorkCalendar, opened_at: datetime, minimum: float) -> datetime:
    """当日 for a report at `opened_at`: its working day's end, or the next one's when less than `minimum`
    working seconds are left (see the module docstring)."""
    end = calendar.end_of_working_day(opened_at)
    if calendar.working_seconds_between(opened_at, end) < minimum:
        end = calendar.end_of_working_day(end)
    return end


def elapsed(calendar: WorkCalendar, facts: ClockFacts, until: datetime) -> float:
    """Working seconds from the report to `until`, without the pauses (an open pause ends at `until`)."""
    pauses = [(start, min(end or until, until)) for start, end in facts.pauses if start < until]
    return calendar.working_seconds_between(facts.opened_at, until, pauses)


def advance(
    record: SlaRecord, facts: ClockFacts, calendar: WorkCalendar, now: datetime
) -> tuple[SlaRecord, list[Alert]]:
    """The clocks read at `now`, and the warnings and breaches not announced before (each once only)."""
    alerts: list[Alert] = []
    response_stop = facts.first_response_at or facts.closed_at
    for clock, stop in (("response", response_stop), ("resolution", facts.closed_at)):
        record, alert = _advance_clock(record, clock, stop, facts, calendar, now)
        alerts.extend(alert)
    record = replace(
        record,
        responded_same_day=_same_day(facts.first_response_at or facts.closed_at, record.same_day_due_at, now),
        resolved_same_day=(
            None
            if record.policy != "consulting" or record.resolution_state not in ("met", "breached")
            else record.resolution_state == "met"
        ),
    )
    return replace(
        record, state=_overall(record, facts), next_check_at=_next_check(record, facts, calendar, now)
    ), alerts


def _advance_clock(
    record: SlaRecord, clock: ClockName, stop: datetime | None, facts: ClockFacts, calendar: WorkCalendar, now: datetime
) -> tuple[SlaRecord, list[Alert]]:
    allowed = getattr(record, f"{clock}_allowed")
    used = elapsed(calendar, facts, stop or now)
    due = getattr(record, f"{clock}_due_at")
    running = stop is None and not facts.paused
    if running and used <= allowed and not (used == allowed and due is not None):
        # The instant the allowance runs out. Once it has (after the close of the due day, say, with no
        # working time since), the due stays where it was: not the next morning's opening.
        due = calendar.add_working_time(now, allowed - used)
    elif stop is None and facts.paused and used <= allowed:
        due = None  # unknown until the reporter answers
    warned, breached = getattr(record, f"{clock}_warned"), getattr(record, f"{clock}_breached")
    alerts = []
    if used > allowed and not breached:
        alerts.append(Alert("breached", clock, allowed, used, due))
        warned = breached = True
    elif running and used >= WARNING_SHARE * allowed and not warned:
        alerts.append(Alert("warning", clock, allowed, used, due))
        warned = True
    if stop is not None:
        state: ClockState = "met" if used <= allowed else "breached"
    elif used > allowed:
        state = "breached"
    elif facts.paused:
        state = "paused"
    else:
        state = "warning" if used >= WARNING_SHARE * allowed else "on_track"
    changes = {
        f"{clock}_elapsed": used,
        f"{clock}_state": state,
        f"{clock}_due_at": due,
        f"{clock}_warned": warned,
        f"{clock}_breached": breached,
        f"working_seconds_to_{clock}": used if stop is not None else None,
    }
    return replace(record, **changes), alerts


def _same_day(stopped_at: datetime | None, due: datetime, now: datetime) -> bool | None:
    """当日响应: answered by the end of the working day of the report; undecided until then."""
    if stopped_at is not None:
        return stopped_at <= due
    return False if now > due else None


def _overall(record: SlaRecord, facts: ClockFacts) -> ClockState:
    states = {record.response_state, record.resolution_state}
    if facts.closed_at is not None:
        return "breached" if "breached" in states else "met"
    for state in ("breached", "warning", "paused"):
        if state in states:
            return state  # type: ignore[return-value]
    return "on_track"


def _next_check(record: SlaRecord, facts: ClockFacts, calendar: WorkCalendar, now: datetime) -> datetime | None:
    """The next instant a periodic check has something to announce or decide; None when nothing is pending."""
    if facts.closed_at is not None:
        return None
    instants = []
    if record.responded_same_day is None:
        instants.append(record.same_day_due_at + timedelta(seconds=1))
    if not facts.paused:
        stops = {"response": facts.first_response_at, "resolution": None}
        for clock, stop in stops.items():
            if stop is not None or getattr(record, f"{clock}_breached"):
                continue
            allowed, used = getattr(record, f"{clock}_allowed"), getattr(record, f"{clock}_elapsed")
            thresholds = [allowed + 1] if getattr(record, f"{clock}_warned") else [WARNING_SHARE * allowed, allowed + 1]
            ahead = [threshold - used for threshold in thresholds if threshold > used]
            instants.append(calendar.add_working_time(now, min(ahead)) if ahead else now)
    return min(instants) if instants else None
