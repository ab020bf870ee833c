"""SLA clocks on the official calendar (第十一条四): a controllable clock across a weekend, the 2026 National
Day holiday and its adjusted working Saturday, pauses while waiting for the user, warnings and breaches."""

from datetime import date, datetime, timedelta

import chinese_calendar
import pytest

from services.review.problems import clocks
from services.review.problems.domain import AskUser, ProblemCase, ReproduceProblem, Step, take_step
from services.review.problems.tests.factories import BEIJING, COMMANDS, business_question, opened, step
from services.review.tests.factories import COUNTY, ITDIV, SUBMITTER_USER
from shared.events import ProblemSlaBreached, ProblemSlaWarning
from shared.workcalendar import DayOverride, WorkCalendar

CALENDAR = WorkCalendar()


def at(day: str, hhmm: str, seconds: int = 0) -> datetime:
    return datetime.fromisoformat(f"{day}T{hhmm}").replace(tzinfo=BEIJING) + timedelta(seconds=seconds)


def act(case: ProblemCase, what, now: datetime, calendar: WorkCalendar = CALENDAR) -> None:
    """What a handler does: read the clocks, take the step, read them again."""
    clocks.settle(case, calendar, now)
    step(case, what, now=now)
    clocks.settle(case, calendar, now)


def alerts(case: ProblemCase) -> list[tuple[str, str]]:
    kinds = {ProblemSlaWarning: "warning", ProblemSlaBreached: "breached"}
    return [(kinds[type(e)], e.clock) for e in case.events if type(e) in kinds]


def test_the_calendar_knows_the_2026_national_day_holiday_and_its_adjusted_saturday() -> None:
    assert all(not chinese_calendar.is_workday(date(2026, 10, day)) for day in range(1, 8))
    assert chinese_calendar.is_workday(date(2026, 10, 10)) and date(2026, 10, 10).weekday() == 5
    assert not chinese_calendar.is_workday(date(2026, 10, 11))
    assert date(2026, 11, 13).weekday() == 4 and chinese_calendar.is_workday(date(2026, 11, 13))


def test_a_consulting_ticket_first_answered_after_2_h_15_min_of_working_time_is_a_2_hour_breach() -> None:
    # Friday 16:30 → the adjusted working Saturday 10:15: 1 h on Friday + 1 h 15 min on Saturday.
    case = opened("consulting", at=at("2026-10-09", "16:30"))
    act(case, Step.ANSWER, at("2026-10-10", "10:15"))
    assert case.sla.working_seconds_to_response == 2 * 3600 + 15 * 60
    # Friday 16:30 left less than 2 working hours: the report's working day is the adjusted Saturday.
    assert (case.sla.response_state, case.sla.responded_same_day) == ("breached", True)
    [breach] = [e for e in case.events if isinstance(e, ProblemSlaBreached)]
    assert (breach.clock, breach.allowed_seconds, breach.elapsed_seconds) == ("response", 7200, 8100)
    assert breach.escalate_to.role == "leadership"  # the IT division's level above: the department's leaders


def test_exactly_2_working_hours_across_the_national_day_holiday_is_in_time() -> None:
    # Wednesday 30 Sep 16:00 → Thursday 8 Oct 09:30: 1 h 30 min + 30 min; 1–7 October do not count.
    case = opened("consulting", at=at("2026-09-30", "16:00"))
    assert case.sla.response_due_at == at("2026-10-08", "09:30")
    act(case, Step.ANSWER, at("2026-10-08", "09:30"))
    assert (case.sla.response_state, case.sla.working_seconds_to_response) == ("met", 7200)
    assert ("breached", "response") not in alerts(case)


def test_a_weekend_does_not_count_and_the_warning_comes_at_75_percent_then_the_breach_once() -> None:
    case = opened("consulting", at=at("2026-11-13", "17:00"))  # Friday 17:00
    assert case.sla.response_due_at == at("2026-11-16", "10:30")  # Monday
    clocks.settle(case, CALENDAR, at("2026-11-15", "12:00"))  # Sunday: 30 min used
    assert (case.sla.response_elapsed, alerts(case)) == (1800, [])
    clocks.settle(case, CALENDAR, at("2026-11-16", "09:59"))
    assert alerts(case) == [] and case.sla.next_check_at == at("2026-11-16", "10:00")
    clocks.settle(case, CALENDAR, at("2026-11-16", "10:00"))
    assert alerts(case) == [("warning", "response")] and case.sla.state == "warning"
    assert case.sla.next_check_at == at("2026-11-16", "10:30", seconds=1)
    clocks.settle(case, CALENDAR, at("2026-11-16", "10:30"))
    assert alerts(case) == [("warning", "response")]  # exactly 2 h is not yet a breach
    clocks.settle(case, CALENDAR, at("2026-11-16", "10:30", seconds=1))
    clocks.settle(case, CALENDAR, at("2026-11-16", "11:00"))
    assert alerts(case) == [("warning", "response"), ("breached", "response")]
    assert case.sla.state == "breached"


def test_clocks_of_bugs_follow_urgency_over_weekends_holidays_and_the_adjusted_saturday() -> None:
    urgent = opened("bug", at=at("2026-11-13", "15:00"), urgent=True)
    assert (urgent.sla.policy, urgent.sla.response_due_at) == ("bug_urgent", at("2026-11-13", "16:00"))
    assert urgent.sla.resolution_due_at == at("2026-11-16", "15:00")  # 1 working day = 7 working hours
    normal = opened("bug", at=at("2026-09-30", "10:00"))
    assert normal.sla.response_due_at == at("2026-09-30", "15:30")
    # 5 working days = 35 h: 6 h on 30 Sep, 8, 9, 10 (Saturday) and 12 Oct, 1 h on 13 Oct.
    assert normal.sla.resolution_due_at == at("2026-10-13", "10:00")


@pytest.mark.parametrize(
    ("category", "urgent", "response_hours", "resolution_hours"),
    [("consulting", False, 2, None), ("bug", True, 1, 7), ("bug", False, 4, 35), ("configuration", False, 4, 21),
     ("data_repair", False, 8, 70)],
)  # fmt: skip
def test_the_policy_table(category: str, urgent: bool, response_hours: int, resolution_hours: int | None) -> None:
    case = opened(category, at=at("2026-12-01", "09:00"), urgent=urgent)
    assert case.sla.response_allowed == response_hours * 3600
    # A consulting ticket reported at 09:00 is due the same day: the whole 7-hour working day.
    assert case.sla.resolution_allowed == (resolution_hours or 7) * 3600


def test_the_clocks_pause_while_the_case_waits_for_the_user() -> None:
    case = opened("bug", at=at("2026-12-01", "10:00"))  # Tuesday
    act(case, Step.REFINE, at("2026-12-01", "10:30"))
    not_reproduced = ReproduceProblem(reproduced=False, question="请提供报错截图")
    act(case, (Step.REPRODUCE, not_reproduced), at("2026-12-01", "11:00"))
    clocks.settle(case, CALENDAR, at("2026-12-02", "16:00"))
    assert (case.sla.resolution_state, case.sla.resolution_due_at, case.sla.resolution_elapsed) == (
        "paused",
        None,
        3600,
    )
    act(case, Step.REPLY, at("2026-12-03", "10:00"))
    clocks.settle(case, CALENDAR, at("2026-12-03", "11:00"))
    assert (case.sla.response_state, case.sla.working_seconds_to_response) == ("met", 1800)
    assert case.sla.resolution_elapsed == 2 * 3600  # Tuesday 10–11 and Thursday 10–11, not Wednesday


def test_same_day_resolution_counts_working_time_without_the_users_turn() -> None:
    case = opened("consulting", at=at("2026-10-09", "10:00"))  # due the same day: Friday 17:30
    act(case, Step.ANSWER, at("2026-10-09", "10:30"))
    act(case, Step.ACCEPT, at("2026-10-10", "09:30"))  # accepted on the adjusted Saturday
    assert (case.sla.responded_same_day, case.sla.resolved_same_day, case.sla.state) == (True, True, "met")
    late = opened("consulting", at=at("2026-10-09", "10:00"))
    act(late, Step.ANSWER, at("2026-10-10", "09:30"))
    act(late, Step.ACCEPT, at("2026-10-10", "09:45"))
    assert (late.sla.responded_same_day, late.sla.resolved_same_day, late.sla.state) == (False, False, "breached")


def test_a_ticket_recorded_after_hours_is_due_the_next_working_day() -> None:
    case = opened("consulting", at=at("2026-10-09", "18:00"))  # Friday evening: next is the adjusted Saturday
    assert (case.sla.same_day_due_at, case.sla.response_due_at) == (
        at("2026-10-10", "17:30"),
        at("2026-10-10", "11:00"),
    )


def test_the_regions_calendar_correction_moves_the_clocks() -> None:
    # chinese_calendar 1.11 does not know 2027: New Year's Day (statutory) is off, the weekend after assumed off;
    # the region enters a 调休 working Saturday and the clock counts it.
    corrected = WorkCalendar([DayOverride(date(2027, 1, 2), True, "调休上班")])
    assumed = opened("consulting", at=at("2026-12-31", "17:00"))
    case = opened("consulting", at=at("2026-12-31", "17:00"), calendar=corrected)
    assert assumed.sla.response_due_at == at("2027-01-04", "10:30")
    assert case.sla.response_due_at == at("2027-01-02", "10:30")


def test_a_late_answer_by_a_county_bureau_is_escalated_to_its_league_city_bureau() -> None:
    case = business_question(at=at("2026-12-01", "09:00"))
    clocks.settle(case, CALENDAR, at("2026-12-01", "13:31"))
    [breach] = [e for e in case.events if isinstance(e, ProblemSlaBreached)]
    assert (breach.owner_org_id, breach.escalate_to.org_id, breach.escalate_to.level) == (
        "fb-150102",
        "fb-150100",
        "city",
    )
    take_step(case, Step.ANSWER, COMMANDS[Step.ANSWER], by=COUNTY, now=at("2026-12-01", "13:40"))
    assert case.first_response_at == at("2026-12-01", "13:40")


def test_a_closed_case_needs_no_more_checks_and_a_waiting_one_only_its_same_day_figure() -> None:
    case = opened("consulting", at=at("2026-12-01", "09:00"))
    act(case, (Step.ASK_USER, AskUser("请说明具体菜单"), ITDIV), at("2026-12-01", "09:10"))
    assert case.sla.next_check_at is None  # answered the same day; the rest waits for the user
    act(case, (Step.REPLY, None, SUBMITTER_USER), at("2026-12-01", "09:20"))
    act(case, Step.ANSWER, at("2026-12-01", "09:30"))
    act(case, Step.ACCEPT, at("2026-12-01", "09:40"))  # 40 min, 20 of them the user's turn
    assert (case.sla.next_check_at, case.sla.state, case.sla.working_seconds_to_resolution) == (None, "met", 1200)


def test_after_the_close_of_its_day_a_same_day_question_is_still_due_that_day_not_the_next_morning() -> None:
    # Tuesday 1 December 2026 14:00: 当日办结 means 17:30; read again at 18:10 (no working time since 17:30).
    case = opened("consulting", at=at("2026-12-01", "14:00"))
    assert case.sla.resolution_due_at == at("2026-12-01", "17:30")
    clocks.settle(case, CALENDAR, at("2026-12-01", "18:10"))
    assert case.sla.resolution_due_at == at("2026-12-01", "17:30")
    assert case.sla.resolution_state != "breached", "the allowance is used up, not exceeded"
    clocks.settle(case, CALENDAR, at("2026-12-02", "09:05"))
    assert case.sla.resolution_state == "breached"
