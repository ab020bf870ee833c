"""The business clock: what "now" is for calendar rules (submission windows, SLA clocks).

In production it is the real time. A stack can be started with `FD_CLOCK_START` (an ISO 8601 instant):
the business clock then starts at that instant and runs at real speed, so tests and demos can stand
inside (or outside) a submission window on any day. Token lifetimes and stored timestamps always use
the real time.
"""

from datetime import datetime, timedelta

from shared.events import utcnow


class Clock:
    def __init__(self, start: datetime | None = None) -> None:
        self._offset = (start - utcnow()) if start else timedelta(0)

    def now(self) -> datetime:
        return utcnow() + self._offset

    @property
    def offset(self) -> timedelta:
        """Business time minus real time: zero in production. Stored instants are real time; add this to
        read one on the business calendar (a task's opening, an event's time). Taken from `now()`, so a
        clock that stands still or is moved by a test answers consistently."""
        return self.now() - utcnow()

    def business_time(self, real: datetime) -> datetime:
        """The business clock's reading for a real instant (an event's time, a stored timestamp)."""
        return real + self.offset


def clock_settings(clock: Clock) -> dict[str, str]:
    """The business clock's offset for SQL that reads the business calendar (the portal's dashboard counters,
    decision 0017), as a connection setting: `current_setting('fiscaldesk.clock_offset', true)`, in seconds."""
    return {"fiscaldesk.clock_offset": f"{clock.offset.total_seconds():.6f}"}


class FixedClock(Clock):
    """A clock that stands still (unit tests)."""

    def __init__(self, at: datetime) -> None:
        super().__init__()
        self._at = at

    def now(self) -> datetime:
        return self._at
