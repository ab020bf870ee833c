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


class FixedClock(Clock):
    """A clock that stands still (unit tests)."""

    def __init__(self, at: datetime) -> None:
        super().__init__()
        self._at = at

    def now(self) -> datetime:
        return self._at
