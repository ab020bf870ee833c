"""Unit tests of the working calendar: 第五条 (submission window) and 第十一条四 (consulting SLA).

Every claim about 2026 below was checked against chinese_calendar 1.11.0 before being written down
(e.g. National Day 2026: 1–7 October off, 8 October a workday, Sunday 20 September and Saturday
10 October adjusted workdays; New Year 2026: 1–2 January off, Sunday 4 January an adjusted workday).
"""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from shared.workcalendar import DayOverride, SubmissionWindow, WorkCalendar

SHANGHAI = ZoneInfo("Asia/Shanghai")
HOUR = 3600.0


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=SHANGHAI)


def d(year: int, month: int, day: int) -> dt.date:
    return dt.date(year, month, day)


# Working days -----------------------------------------------------------------------------------


def test_national_day_2026_follows_the_official_calendar():
    calendar = WorkCalendar()
    assert [calendar.is_workday(d(2026, 10, day)) for day in range(1, 9)] == [False] * 7 + [True]
    assert calendar.is_workday(d(2026, 9, 30))
    assert not calendar.is_assumed(d(2026, 10, 1))


def test_adjusted_weekend_workdays_2026_are_workdays():
    calendar = WorkCalendar()
    assert d(2026, 9, 20).weekday() == 6 and calendar.is_workday(d(2026, 9, 20))
    assert d(2026, 10, 10).weekday() == 5 and calendar.is_workday(d(2026, 10, 10))
    assert d(2026, 1, 4).weekday() == 6 and calendar.is_workday(d(2026, 1, 4))
    assert not calendar.is_workday(d(2026, 10, 11))  # the Sunday after stays a rest day


def test_2027_keeps_the_statutory_holidays_and_assumes_monday_to_friday_for_the_rest_and_says_so():
    """The State Council's 2027 arrangement is not known yet, but the statutory holidays are fixed by law:
    New Year's Day (Friday 1 January 2027) is off, the Monday after is a working day, both assumed."""
    calendar = WorkCalendar()
    assert not calendar.is_workday(d(2027, 1, 1))
    assert not calendar.is_workday(d(2027, 1, 2))
    assert calendar.is_workday(d(2027, 1, 4))
    assert not calendar.is_workday(d(2027, 2, 8))  # 春节 (the fourth statutory day), a Monday
    assert not calendar.is_workday(d(2027, 10, 1))  # 国庆
    assert calendar.is_assumed(d(2027, 1, 1)) and calendar.is_assumed(d(2027, 1, 4))
    assert calendar.assumed_years(d(2026, 12, 1), d(2027, 1, 31)) == [2027]
    assert calendar.assumed_days(d(2026, 12, 30), d(2027, 1, 2)) == [d(2027, 1, 1), d(2027, 1, 2)]


def test_warnings_name_the_assumed_year_in_chinese_and_english():
    calendar = WorkCalendar()
    [warning] = calendar.warnings_for(d(2026, 12, 1), d(2027, 1, 31))
    assert "2027 年国务院节假日安排未录入" in warning and "调休以录入的官方安排为准" in warning
    assert "2027-01-01 至 2027-01-31 中 31 天" in warning
    assert "The official 2027 public-holiday arrangement has not been entered" in warning
    assert calendar.warnings_for(d(2026, 1, 1), d(2026, 12, 31)) == []


def test_overrides_win_over_the_official_calendar_and_the_fallback():
    calendar = WorkCalendar(
        [
            DayOverride(d(2027, 1, 1), is_workday=False, note="元旦"),
            DayOverride(d(2027, 1, 9), is_workday=True, note="调休上班"),
            DayOverride(d(2026, 10, 9), is_workday=False, note="临时停止办公"),
        ]
    )
    assert not calendar.is_workday(d(2027, 1, 1))
    assert calendar.is_workday(d(2027, 1, 9))  # a Saturday
    assert not calendar.is_workday(d(2026, 10, 9))
    assert not calendar.is_assumed(d(2027, 1, 1))
    assert calendar.is_assumed(d(2027, 1, 4))


def test_a_year_fully_entered_as_overrides_raises_no_warning():
    year = [DayOverride(day, day.weekday() < 5, "2027 年安排") for day in _dates(d(2027, 1, 1), d(2027, 12, 31))]
    assert WorkCalendar(year).warnings_for(d(2027, 1, 1), d(2027, 12, 31)) == []


def test_rejects_duplicate_overrides_and_bad_work_hours():
    with pytest.raises(ValueError, match="more than one override"):
        WorkCalendar([DayOverride(d(2027, 1, 1), False, "元旦"), DayOverride(d(2027, 1, 1), True, "x")])
    with pytest.raises(ValueError, match="work_hours"):
        WorkCalendar(work_hours=((dt.time(13, 0), dt.time(17, 0)), (dt.time(9, 0), dt.time(12, 0))))
    with pytest.raises(ValueError, match="work_hours"):
        WorkCalendar(work_hours=())


# Submission window (第五条) ------------------------------------------------------------------------


def test_window_of_a_month_starting_on_a_weekend():
    window = SubmissionWindow(WorkCalendar())
    assert d(2026, 8, 1).weekday() == 5
    assert window.window_days(2026, 8) == [d(2026, 8, 3), d(2026, 8, 4), d(2026, 8, 5)]


def test_a_holiday_pushes_the_window():
    window = SubmissionWindow(WorkCalendar())
    assert window.window_days(2026, 10) == [d(2026, 10, 8), d(2026, 10, 9), d(2026, 10, 10)]  # 10th: Saturday
    assert window.window_days(2026, 5) == [d(2026, 5, 6), d(2026, 5, 7), d(2026, 5, 8)]
    assert window.window_days(2026, 1) == [d(2026, 1, 4), d(2026, 1, 5), d(2026, 1, 6)]  # 4th: Sunday


def test_the_january_2027_window_opens_on_the_4th_without_any_correction_and_warns():
    """第五条: the first 3 working days; New Year's Day (statutory) is not one of them, whatever the
    State Council's arrangement will be, and the days are marked assumed until it is entered."""
    calendar = WorkCalendar()
    window = SubmissionWindow(calendar)
    days = window.window_days(2027, 1)
    assert days == [d(2027, 1, 4), d(2027, 1, 5), d(2027, 1, 6)]
    assert not window.is_open(at(2027, 1, 1, 10))
    assert calendar.warnings_for(days[0], days[-1])


def test_an_override_moves_the_2027_window():
    window = SubmissionWindow(WorkCalendar([DayOverride(d(2027, 1, 4), False, "假设的调休休息日")]))
    assert window.window_days(2027, 1) == [d(2027, 1, 5), d(2027, 1, 6), d(2027, 1, 7)]
    assert not window.is_open(at(2027, 1, 4, 10))
    assert window.is_open(at(2027, 1, 7, 23, 59))


def test_window_is_open_all_day_in_shanghai_time():
    window = SubmissionWindow(WorkCalendar())
    assert window.is_open(at(2026, 10, 8, 0, 0))
    assert window.is_open(dt.datetime(2026, 10, 10, 23, 59, 59, tzinfo=SHANGHAI))
    assert not window.is_open(at(2026, 10, 11, 0, 0))
    assert not window.is_open(at(2026, 10, 7, 23, 59))
    # 2026-10-07 16:30 UTC is 2026-10-08 00:30 in Shanghai
    assert window.is_open(dt.datetime(2026, 10, 7, 16, 30, tzinfo=dt.UTC))
    with pytest.raises(ValueError, match="timezone-aware"):
        window.is_open(dt.datetime(2026, 10, 8, 10, 0))


def test_an_extra_window_opened_by_the_region():
    window = SubmissionWindow(WorkCalendar())
    extra = [(at(2026, 10, 20, 9), at(2026, 10, 21, 0))]
    assert window.is_open(at(2026, 10, 20, 15), extra)
    assert not window.is_open(at(2026, 10, 21, 0), extra)
    assert not window.is_open(at(2026, 10, 20, 15))


def test_next_opening_and_current_or_next_window():
    window = SubmissionWindow(WorkCalendar())
    assert window.next_opening(at(2026, 10, 3, 12)) == d(2026, 10, 8)  # not yet started this month
    assert window.next_opening(at(2026, 10, 8, 12)) == d(2026, 11, 2)  # open now: the next one
    assert window.next_opening(at(2026, 12, 20)) == d(2027, 1, 4)  # assumed: 1 January is a statutory holiday
    assert window.current_or_next_window(at(2026, 10, 3)) == [d(2026, 10, 8), d(2026, 10, 9), d(2026, 10, 10)]
    assert window.current_or_next_window(at(2026, 10, 10, 18)) == [d(2026, 10, 8), d(2026, 10, 9), d(2026, 10, 10)]
    assert window.current_or_next_window(at(2026, 10, 11)) == [d(2026, 11, 2), d(2026, 11, 3), d(2026, 11, 4)]


# Working time (第十一条四) -------------------------------------------------------------------------


def test_working_seconds_within_a_morning_and_across_lunch():
    calendar = WorkCalendar()
    assert calendar.working_seconds_between(at(2026, 3, 10, 9), at(2026, 3, 10, 11)) == 2 * HOUR
    assert calendar.working_seconds_between(at(2026, 3, 10, 11), at(2026, 3, 10, 14)) == 1.5 * HOUR
    assert calendar.working_seconds_between(at(2026, 3, 10, 8), at(2026, 3, 10, 19)) == 7 * HOUR
    assert calendar.working_seconds_between(at(2026, 3, 10, 14), at(2026, 3, 10, 11)) == 0.0


def test_working_seconds_across_a_weekend():
    calendar = WorkCalendar()  # Friday 6 March 2026 16:30 to Monday 9 March 10:00
    assert calendar.working_seconds_between(at(2026, 3, 6, 16, 30), at(2026, 3, 9, 10)) == 2 * HOUR


def test_working_seconds_across_a_public_holiday():
    calendar = WorkCalendar()  # Tomb-sweeping Day, Monday 6 April 2026, is off
    assert calendar.working_seconds_between(at(2026, 4, 3, 17), at(2026, 4, 7, 10)) == 1.5 * HOUR
    # National Day: Wednesday 30 September 16:30 to Thursday 8 October 10:00
    assert calendar.working_seconds_between(at(2026, 9, 30, 16, 30), at(2026, 10, 8, 10)) == 2 * HOUR


def test_working_seconds_across_an_adjusted_working_saturday():
    calendar = WorkCalendar()  # Saturday 10 October 2026 is a full working day, Sunday 11 is not
    assert calendar.working_seconds_between(at(2026, 10, 9, 17), at(2026, 10, 12, 9, 30)) == 8 * HOUR


def test_paused_intervals_are_not_counted_and_count_once():
    calendar = WorkCalendar()
    start, end = at(2026, 3, 10, 9), at(2026, 3, 10, 17, 30)
    pauses = [(at(2026, 3, 10, 10), at(2026, 3, 10, 11)), (at(2026, 3, 10, 12, 30), at(2026, 3, 10, 14))]
    assert calendar.working_seconds_between(start, end, pauses) == 7 * HOUR - 1 * HOUR - 0.5 * HOUR
    overlapping = [(at(2026, 3, 10, 10), at(2026, 3, 10, 11)), (at(2026, 3, 10, 10, 30), at(2026, 3, 10, 11, 30))]
    assert calendar.working_seconds_between(start, end, overlapping) == 7 * HOUR - 1.5 * HOUR
    overnight = [(at(2026, 3, 10, 17), at(2026, 3, 11, 9, 30))]
    assert calendar.working_seconds_between(at(2026, 3, 10, 16), at(2026, 3, 11, 10), overnight) == 1.5 * HOUR


def test_consulting_answer_after_2_h_15_min_of_working_time_is_a_2_hour_breach():
    calendar = WorkCalendar()
    over_lunch = calendar.working_seconds_between(at(2026, 3, 10, 11), at(2026, 3, 10, 14, 45))
    overnight = calendar.working_seconds_between(at(2026, 3, 10, 16, 30), at(2026, 3, 11, 10, 15))
    assert over_lunch == overnight == 2.25 * HOUR
    assert over_lunch > 2 * HOUR and overnight > 2 * HOUR
    # within the limit although 3 h 45 min passed on the wall clock
    assert calendar.working_seconds_between(at(2026, 3, 10, 11), at(2026, 3, 10, 14, 30)) <= 2 * HOUR


def test_add_working_time_gives_the_deadline():
    calendar = WorkCalendar()
    assert calendar.add_working_time(at(2026, 3, 10, 11), 2 * HOUR) == at(2026, 3, 10, 14, 30)
    assert calendar.add_working_time(at(2026, 3, 10, 10), 2 * HOUR) == at(2026, 3, 10, 12)
    assert calendar.add_working_time(at(2026, 3, 6, 16, 30), 2 * HOUR) == at(2026, 3, 9, 10)
    assert calendar.add_working_time(at(2026, 9, 30, 16, 30), 2 * HOUR) == at(2026, 10, 8, 10)
    assert calendar.add_working_time(at(2026, 10, 9, 17), 2 * HOUR) == at(2026, 10, 10, 10, 30)
    assert calendar.add_working_time(at(2026, 3, 7, 12), 0) == at(2026, 3, 7, 12)
    utc_start = dt.datetime(2026, 3, 10, 3, 0, tzinfo=dt.UTC)  # 11:00 in Shanghai
    assert calendar.add_working_time(utc_start, 2 * HOUR) == at(2026, 3, 10, 14, 30)
    with pytest.raises(ValueError, match="negative"):
        calendar.add_working_time(at(2026, 3, 10, 11), -1)


def test_what_is_left_of_a_same_day_allowance_still_ends_at_the_close_of_that_day():
    # A case opened at 10:13:40.096753 is due at 17:30; read at 10:14:47.857189, allowed − used (two sums of
    # floats) is a hair more than the 7 h 15 min left: once that carried over to 09:00 the next morning.
    calendar = WorkCalendar()
    opened = dt.datetime(2026, 12, 1, 10, 13, 40, 96753, tzinfo=SHANGHAI)
    now = dt.datetime(2026, 12, 1, 10, 14, 47, 857189, tzinfo=SHANGHAI)
    close = at(2026, 12, 1, 17, 30)
    allowed = calendar.working_seconds_between(opened, close)
    used = calendar.working_seconds_between(opened, now)
    assert allowed - used > calendar.working_seconds_between(now, close), "the float sums differ"
    assert calendar.add_working_time(now, allowed - used) == close


@pytest.mark.parametrize("seconds", [1.0, 2 * HOUR, 3 * HOUR, 7 * HOUR, 40 * HOUR])
def test_add_working_time_and_working_seconds_agree(seconds):
    calendar = WorkCalendar()
    start = at(2026, 9, 29, 15, 10)
    assert calendar.working_seconds_between(start, calendar.add_working_time(start, seconds)) == seconds


def test_end_of_working_day_for_same_day_response_and_resolution():
    calendar = WorkCalendar()
    assert calendar.end_of_working_day(at(2026, 3, 10, 7)) == at(2026, 3, 10, 17, 30)
    assert calendar.end_of_working_day(at(2026, 3, 10, 12, 30)) == at(2026, 3, 10, 17, 30)
    assert calendar.end_of_working_day(at(2026, 3, 10, 17, 30)) == at(2026, 3, 11, 17, 30)
    assert calendar.end_of_working_day(at(2026, 3, 7, 10)) == at(2026, 3, 9, 17, 30)  # Saturday
    assert calendar.end_of_working_day(at(2026, 9, 30, 18)) == at(2026, 10, 8, 17, 30)  # before National Day
    assert calendar.end_of_working_day(at(2026, 10, 10, 9)) == at(2026, 10, 10, 17, 30)  # adjusted Saturday


def test_work_hours_are_configurable():
    calendar = WorkCalendar(work_hours=((dt.time(8, 30), dt.time(12, 0)), (dt.time(14, 30), dt.time(18, 0))))
    assert calendar.working_seconds_between(at(2026, 3, 10, 8), at(2026, 3, 10, 15)) == 4 * HOUR
    assert calendar.end_of_working_day(at(2026, 3, 10, 17, 45)) == at(2026, 3, 10, 18)


def _dates(first: dt.date, last: dt.date) -> list[dt.date]:
    return [first + dt.timedelta(days=n) for n in range((last - first).days + 1)]
