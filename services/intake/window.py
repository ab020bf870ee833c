"""The submission window as the region runs it: the official calendar, its corrections, extra windows."""

from datetime import date, datetime

from services.intake.adapters import CalendarStore
from services.intake.domain import WindowCheck
from shared.workcalendar import DayOverride, SubmissionWindow, WorkCalendar


async def current_calendar(store: CalendarStore) -> WorkCalendar:
    overrides = [
        DayOverride(date.fromisoformat(o["_id"]), o["is_workday"], o.get("note", "")) for o in await store.overrides()
    ]
    return WorkCalendar(overrides)


async def check_window(store: CalendarStore, at: datetime) -> WindowCheck:
    """第五条: open in the first 3 working days of the month, or inside an extra window the region opened."""
    window = SubmissionWindow(await current_calendar(store))
    extra = [(w["opens_at"], w["closes_at"]) for w in await store.extra_windows()]
    return WindowCheck(open=window.is_open(at, extra), next_opening=window.next_opening(at))


async def window_status(store: CalendarStore, at: datetime) -> dict:
    """What the UI shows: open or not, this or the next window's days, and calendar warnings."""
    calendar = await current_calendar(store)
    window = SubmissionWindow(calendar)
    days = window.current_or_next_window(at)
    check = await check_window(store, at)
    return {
        "open": check.open,
        "now": at,
        "window_days": days,
        "next_opening": check.next_opening,
        "extra_windows": await store.extra_windows(),
        # chinese-calendar knows years up to 2026: until the region enters the next year's arrangement,
        # Monday–Friday are assumed and administrators are told so (docs/decisions/0003-official-calendar.md).
        "warnings": calendar.warnings_for(at.date(), days[-1]),
    }
