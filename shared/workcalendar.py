"""The official working calendar: working days (工作日), the submission window and working time for SLA clocks.

Pure and I/O-free: every instant comes from the caller; nothing here reads the clock, a file or the network.

- Working days follow the State Council's arrangement as published by the `chinese_calendar` package,
  including adjusted workdays (调休), with an administrator's override table (`DayOverride`) on top.
- For a year the package does not know (1.11 stops at 2026), the statutory public holidays are still known:
  they are fixed by law (全国年节及纪念日放假办法: 元旦, 春节, 清明, 劳动节, 端午, 中秋, 国庆) before the State
  Council publishes the year's arrangement, and the `holidays` package computes them. Those days are off;
  the other days are assumed Monday to Friday, and the answer is marked as an assumption, so the UI warns
  administrators until the year's official arrangement (its 调休 days) is entered as overrides (see
  docs/decisions/0003-official-calendar.md).
- `SubmissionWindow`: requirements are collected in the first 3 working days of each month (第五条).
- Working time (9:00–12:00 and 13:30–17:30 Asia/Shanghai unless configured otherwise) for the consulting
  SLA: respond within 2 hours, 100% same-day response and resolution (第十一条四).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from types import MappingProxyType
from zoneinfo import ZoneInfo

import chinese_calendar
import holidays

Interval = tuple[dt.datetime, dt.datetime]

DEFAULT_WORK_HOURS: tuple[tuple[dt.time, dt.time], ...] = (
    (dt.time(9, 0), dt.time(12, 0)),
    (dt.time(13, 30), dt.time(17, 30)),
)


@dataclass(frozen=True, slots=True)
class DayOverride:
    """An administrator's correction of the official calendar, e.g. the State Council's 2027 arrangement."""

    date: dt.date
    is_workday: bool
    note: str


@lru_cache(maxsize=8192)
def _official_is_workday(day: dt.date) -> bool | None:
    """The published arrangement for `day`, or None when chinese_calendar does not know its year. Kept: the
    library's own check of every date was a quarter of intake's time per submission (the window's days)."""
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:
        return None


def _statutory_holiday(day: dt.date) -> bool:
    """A public holiday fixed by law, without the State Council's adjustments (no 调休, no bridging days)."""
    return day in _statutory_holidays(day.year)


@lru_cache(maxsize=64)
def _statutory_holidays(year: int) -> frozenset[dt.date]:
    return frozenset(holidays.China(years=year, observed=False))


def _require_aware(value: dt.datetime, name: str) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be a timezone-aware datetime, got {value!r}")


def _days(first: dt.date, last: dt.date) -> Iterable[dt.date]:
    day = first
    while day <= last:
        yield day
        day += dt.timedelta(days=1)


def _merged(intervals: Iterable[Interval]) -> list[Interval]:
    """Sorted, non-overlapping union of half-open intervals (in UTC), so overlapping pauses count once."""
    merged: list[Interval] = []
    for start, end in sorted((s, e) for s, e in intervals if s < e):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _overlap_seconds(a: Interval, b: Interval) -> float:
    return max(0.0, (min(a[1], b[1]) - max(a[0], b[0])).total_seconds())


MICROSECOND = 1e-6


class WorkCalendar:
    """Working days and working hours of the region, by the official Chinese calendar plus overrides."""

    def __init__(
        self,
        overrides: Iterable[DayOverride] = (),
        tz: str = "Asia/Shanghai",
        work_hours: Iterable[tuple[dt.time, dt.time]] = DEFAULT_WORK_HOURS,
    ) -> None:
        by_date: dict[dt.date, DayOverride] = {}
        for override in overrides:
            if override.date in by_date:
                raise ValueError(f"more than one override for {override.date.isoformat()}")
            by_date[override.date] = override
        periods = tuple(work_hours)
        if not periods:
            raise ValueError("work_hours must hold at least one period")
        for (start, end), following in zip(periods, (*periods[1:], None), strict=True):
            if not start < end or (following is not None and following[0] < end):
                raise ValueError(f"work_hours must be ordered, non-overlapping periods, got {periods!r}")
        self._overrides: Mapping[dt.date, DayOverride] = MappingProxyType(by_date)
        self.tz = ZoneInfo(tz)
        self.work_hours = periods

    # Working days ---------------------------------------------------------------------------------

    def is_workday(self, day: dt.date) -> bool:
        """Override first, then the official calendar (holidays and 调休), else the statutory holidays off and
        Monday–Friday (assumed)."""
        if day in self._overrides:
            return self._overrides[day].is_workday
        official = _official_is_workday(day)
        if official is not None:
            return official
        return day.weekday() < 5 and not _statutory_holiday(day)

    def is_assumed(self, day: dt.date) -> bool:
        """True when `is_workday(day)` is a Monday–Friday guess: no override and no published arrangement."""
        return day not in self._overrides and _official_is_workday(day) is None

    def assumed_days(self, first: dt.date, last: dt.date) -> list[dt.date]:
        """The days of `first`..`last` (inclusive) whose answer is an assumption."""
        return [day for day in _days(first, last) if self.is_assumed(day)]

    def assumed_years(self, first: dt.date, last: dt.date) -> list[int]:
        """The years with at least one assumed day in `first`..`last` (inclusive)."""
        return sorted({day.year for day in self.assumed_days(first, last)})

    def warnings_for(self, first: dt.date, last: dt.date) -> list[str]:
        """One message per year (Chinese / English) naming the days of `first`..`last` that were assumed."""
        messages = []
        for year in self.assumed_years(first, last):
            days = self.assumed_days(max(first, dt.date(year, 1, 1)), min(last, dt.date(year, 12, 31)))
            start, end = days[0].isoformat(), days[-1].isoformat()
            messages.append(
                f"{year} 年国务院节假日安排未录入，除法定节假日外按周一至周五推定"
                f"（{start} 至 {end} 中 {len(days)} 天），调休以录入的官方安排为准。"
                f" / The official {year} public-holiday arrangement has not been entered; apart from the statutory"
                f" holidays, Monday to Friday are assumed to be working days ({len(days)} days from {start} to"
                f" {end}) until the official adjustments are entered."
            )
        return messages

    def next_workday(self, day: dt.date) -> dt.date:
        """The first working day strictly after `day`."""
        day += dt.timedelta(days=1)
        while not self.is_workday(day):
            day += dt.timedelta(days=1)
        return day

    # Working time (第十一条四) -------------------------------------------------------------------

    def work_periods(self, day: dt.date) -> list[Interval]:
        """The work periods of `day` as aware datetimes in the calendar's time zone; empty on a non-workday."""
        if not self.is_workday(day):
            return []
        return [
            (dt.datetime.combine(day, start, tzinfo=self.tz), dt.datetime.combine(day, end, tzinfo=self.tz))
            for start, end in self.work_hours
        ]

    def _utc_periods(self, day: dt.date) -> list[Interval]:
        # Arithmetic in UTC: subtracting two datetimes of the same zone would ignore offset changes.
        return [(s.astimezone(dt.UTC), e.astimezone(dt.UTC)) for s, e in self.work_periods(day)]

    def working_seconds_between(self, start: dt.datetime, end: dt.datetime, pauses: Iterable[Interval] = ()) -> float:
        """Seconds of work hours on workdays in [start, end), minus paused intervals (waiting for the user)."""
        _require_aware(start, "start")
        _require_aware(end, "end")
        if end <= start:
            return 0.0
        span = (start.astimezone(dt.UTC), end.astimezone(dt.UTC))
        for pause_start, pause_end in pauses:
            _require_aware(pause_start, "pause start")
            _require_aware(pause_end, "pause end")
        paused = _merged((s.astimezone(dt.UTC), e.astimezone(dt.UTC)) for s, e in pauses)
        total = 0.0
        for day in _days(start.astimezone(self.tz).date(), end.astimezone(self.tz).date()):
            for period in self._utc_periods(day):
                clipped = (max(period[0], span[0]), min(period[1], span[1]))
                if clipped[0] < clipped[1]:
                    total += (clipped[1] - clipped[0]).total_seconds()
                    total -= sum(_overlap_seconds(clipped, pause) for pause in paused)
        return total

    def add_working_time(self, start: dt.datetime, seconds: float) -> dt.datetime:
        """The instant when `seconds` of working time after `start` have elapsed (a deadline), local time.

        A deadline that ends exactly at the end of a period stays there (10:00 + 2 h = 12:00, not 13:30), also
        when `seconds` is a difference of sums of floats a hair over the period's rest: instants are whole
        microseconds, so less than one of them over is rounding, not working time to carry to the next period.
        """
        _require_aware(start, "start")
        if seconds < 0:
            raise ValueError(f"seconds must not be negative, got {seconds}")
        cursor, remaining = start.astimezone(dt.UTC), float(seconds)
        if remaining == 0:
            return start.astimezone(self.tz)
        day = start.astimezone(self.tz).date()
        while True:
            for period_start, period_end in self._utc_periods(day):
                begin = max(period_start, cursor)
                available = (period_end - begin).total_seconds()
                if available <= 0:
                    continue
                if remaining <= available + MICROSECOND:
                    return (begin + dt.timedelta(seconds=min(remaining, available))).astimezone(self.tz)
                remaining -= available
            day += dt.timedelta(days=1)

    def end_of_working_day(self, at: dt.datetime) -> dt.datetime:
        """The deadline of a "same-day" response or resolution (当日响应、当日办结, 第十一条四) for `at`.

        Decision: on a workday before the end of its last work period, the end of that period (a ticket at
        07:00 or 12:30 is due the same day); after that, or on a non-workday, the end of the last work
        period of the next workday — a ticket recorded at 18:00 or on a holiday counts as received then.
        """
        _require_aware(at, "at")
        local = at.astimezone(self.tz)
        day = local.date()
        if self.is_workday(day) and local < self.work_periods(day)[-1][1]:
            return self.work_periods(day)[-1][1]
        return self.work_periods(self.next_workday(day))[-1][1]


def _next_month(year: int, month: int) -> tuple[int, int]:
    return (year + 1, 1) if month == 12 else (year, month + 1)


@dataclass(frozen=True)
class SubmissionWindow:
    """需求征集开放周期: requirements may be submitted in the first 3 working days of each month (第五条).

    Open for the whole of those days (00:00–23:59:59 in the calendar's time zone). Extra windows opened by
    the region are recorded elsewhere and passed to `is_open`.
    """

    calendar: WorkCalendar
    working_days: int = 3

    def window_days(self, year: int, month: int) -> list[dt.date]:
        """The first `working_days` working days of the month (fewer only if the month has fewer)."""
        first = dt.date(year, month, 1)
        last = dt.date(*_next_month(year, month), 1) - dt.timedelta(days=1)
        return [day for day in _days(first, last) if self.calendar.is_workday(day)][: self.working_days]

    def is_open(self, at: dt.datetime, extra_windows: Iterable[Interval] = ()) -> bool:
        """Whether submission is open at `at` (aware): a window day, or inside an extra [start, end) interval."""
        _require_aware(at, "at")
        local = at.astimezone(self.calendar.tz)
        if local.date() in self.window_days(local.year, local.month):
            return True
        return any(start <= at < end for start, end in extra_windows)

    def current_or_next_window(self, at: dt.datetime) -> list[dt.date]:
        """This month's window while it is open or still to come, else the next month's."""
        _require_aware(at, "at")
        local = at.astimezone(self.calendar.tz).date()
        days = self.window_days(local.year, local.month)
        if days and local <= days[-1]:
            return days
        return self._window_from(*_next_month(local.year, local.month))

    def next_opening(self, at: dt.datetime) -> dt.date:
        """The first day of the next window: this month's if not yet started, else the next month's."""
        _require_aware(at, "at")
        local = at.astimezone(self.calendar.tz).date()
        days = self.window_days(local.year, local.month)
        if days and local < days[0]:
            return days[0]
        return self._window_from(*_next_month(local.year, local.month))[0]

    def _window_from(self, year: int, month: int) -> list[dt.date]:
        """The first non-empty window from the given month on (a month can only be empty through overrides)."""
        while not (days := self.window_days(year, month)):
            year, month = _next_month(year, month)
        return days
