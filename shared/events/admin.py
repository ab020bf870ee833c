"""Administrative actions, so they reach the audit trail like every state change."""

from shared.events.base import Event


class CalendarDayCorrected(Event):
    """The region corrected the official calendar for one day (e.g. the next year's holiday arrangement)."""

    day: str
    is_workday: bool | None  # None: the correction was removed
    note: str = ""

    @property
    def subject(self) -> str:
        return f"calendar-{self.day}"
