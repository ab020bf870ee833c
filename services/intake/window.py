"""The submission window as the region runs it: the official calendar, its corrections, extra windows."""

from datetime import date, datetime, timedelta

from services.intake.adapters import CalendarStore
from services.intake.domain import WindowCheck
from shared.workcalendar import DayOverride, SubmissionWindow, WorkCalendar


async def current_calendar(store: CalendarStore, at: datetime) -> WorkCalendar:
    """The calendar with the corrections that can matter from `at` on (this month's window and later); the
    days before it (a month back, whatever the time zone) decide nothing any more."""
    since = at.date() - timedelta(days=40)
    overrides = [
        DayOverride(date.fromisoformat(o["_id"]), o["is_workday"], o.get("note", ""))
        for o in await store.overrides(since)
    ]
    return WorkCalendar(overrides)


async def corrections_in_force(store: CalendarStore, at: datetime) -> list[dict]:
    """The corrections the IT division maintains, from the start of last year on: older days decide no window
    any more, and the listing stays the size of two years' holiday arrangements."""
    return await store.overrides(date(at.year - 1, 1, 1))


async def check_window(store: CalendarStore, at: datetime) -> WindowCheck:
    """第五条: open in the first 3 working days of the month, or inside an extra window the region opened."""
    window = SubmissionWindow(await current_calendar(store, at))
    extra = [(w["opens_at"], w["closes_at"]) for w in await store.extra_windows(at)]
    return WindowCheck(open=window.is_open(at, extra), next_opening=window.next_opening(at))


async def window_of_month(store: CalendarStore, at: datetime, year: int, month: int) -> dict:
    """A coming (or past) month's window days, for planning: the same calendar as for today, and the
    warning that those days are assumed until the year's official arrangement is entered."""
    calendar = await current_calendar(store, at)
    days = SubmissionWindow(calendar).window_days(year, month)
    return {
        "month": f"{year:04d}-{month:02d}",
        "window_days": days,
        "warnings": calendar.warnings_for(days[0], days[-1]),
    }


async def window_status(store: CalendarStore, at: datetime) -> dict:
    """What the UI shows: open or not, this or the next window's days, and calendar warnings."""
    calendar = await current_calendar(store, at)
    window = SubmissionWindow(calendar)
    days = window.current_or_next_window(at)
    check = await check_window(store, at)
    return {
        "open": check.open,
        "now": at,
        "window_days": days,
        "next_opening": check.next_opening,
        # The extra windows open now or still to come (closed ones are in the audit trail).
        "extra_windows": await store.extra_windows(at),
        # chinese-calendar knows years up to 2026: until the region enters the next year's arrangement,
        # Monday–Friday are assumed and administrators are told so (docs/decisions/0003-official-calendar.md).
        "warnings": calendar.warnings_for(at.date(), days[-1]),
    }
