"""The review deadline of each level (审核时限): the region's rule, not the procedure's.

第三条 and 第六条一 say every finance level reviews what its units submit and forwards it upwards, but set no
time limit per level. The region's rule (docs/decisions/0009-review-deadline.md): a level reviews within
`working_days` working days (FD_REVIEW_WORKING_DAYS, default 3) of its task opening, counted on the region's
working calendar (official holidays, adjusted workdays 调休 and the region's corrections; shared.workcalendar).

The day the task opens does not count (次日起算): a task opened on Tuesday 1 December 2026 at any hour is
due by the end of Friday 4 December with 3 working days; one opened on Friday is due the next Wednesday.
Pure: the caller passes the calendar and every instant.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from shared.workcalendar import WorkCalendar


@dataclass(frozen=True)
class ReviewDeadline:
    calendar: WorkCalendar
    working_days: int = 3

    def __post_init__(self) -> None:
        if self.working_days < 1:
            raise ValueError(f"working_days must be at least 1, got {self.working_days}")

    def due_on(self, opened_at: datetime) -> date:
        """The last day of the review: the `working_days`-th working day after the opening day."""
        day = self._local_day(opened_at)
        for _ in range(self.working_days):
            day = self.calendar.next_workday(day)
        return day

    def due_at(self, opened_at: datetime) -> datetime:
        """The last second of the due day, in the calendar's time zone."""
        following = datetime.combine(self.due_on(opened_at) + timedelta(days=1), time(0), tzinfo=self.calendar.tz)
        return following - timedelta(seconds=1)

    def is_overdue(self, opened_at: datetime, now: datetime) -> bool:
        """Still open after its due day has ended."""
        return self._local_day(now) > self.due_on(opened_at)

    def working_days_left(self, opened_at: datetime, now: datetime) -> int:
        """Working days after today up to the due day (0: due today); negative once overdue (at least -1)."""
        today, due = self._local_day(now), self.due_on(opened_at)
        if today <= due:
            return self._workdays_between(today, due)
        return -max(1, self._workdays_between(due, today))

    def _workdays_between(self, after: date, last: date) -> int:
        """Working days in (after, last]."""
        count, day = 0, after
        while (day := day + timedelta(days=1)) <= last:
            count += self.calendar.is_workday(day)
        return count

    def _local_day(self, at: datetime) -> date:
        if at.tzinfo is None or at.utcoffset() is None:
            raise ValueError(f"an aware datetime is needed, got {at!r}")
        return at.astimezone(self.calendar.tz).date()
