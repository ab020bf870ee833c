"""A clock that moves only when the test moves it, shared by a fake platform and the code under test."""

import threading
from datetime import datetime, timedelta


class ManualClock:
    def __init__(self, start: datetime) -> None:
        self._now = start
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._now += timedelta(seconds=seconds)

    def advance_to(self, when: datetime) -> None:
        """Move forward to `when` (never backward)."""
        with self._lock:
            self._now = max(self._now, when)
