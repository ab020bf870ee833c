"""The WeCom robot's rate limit, kept in the database and shared by every notify instance.

WeCom allows a robot 20 messages a minute. A classic bucket (20 tokens, one back every 3 s) would let 20
go at once and then one every 3 s: up to 39 in one sliding minute, and WeCom answers 45009. So each spent
token comes back exactly one window (60 s plus a margin) after it was spent: send number n may go only
when send n−20 left the window, which allows at most 20 sends in any window however they are spread.

A robot's row holds the times of its last `limit` sends. Taking a token is one conditional upsert: the
row lock makes concurrent takers (of any instance) go one after the other, and each re-checks the
condition on the row as the previous one left it, so no two can spend the same token.
"""

from collections.abc import Callable
from datetime import datetime, timedelta

from shared.db import Database

# $1 robot, $2 now, $3 limit, $4 window: append `now` (keeping the last `limit` times) when the send that
# is `limit` sends back has left the window. No row returned: no token.
TAKE = """
INSERT INTO robot_sends AS r (robot, sends) VALUES ($1, ARRAY[$2::timestamptz])
ON CONFLICT (robot) DO UPDATE
    SET sends = (r.sends || $2::timestamptz)[greatest(cardinality(r.sends) + 2 - $3, 1):]
    WHERE cardinality(r.sends) < $3 OR r.sends[cardinality(r.sends) + 1 - $3] <= $2::timestamptz - $4::interval
RETURNING true
"""
# Seconds until the oldest send that counts leaves the window.
WAIT = """
SELECT extract(epoch FROM sends[cardinality(sends) + 1 - $3] + $4::interval - $2::timestamptz)::float8
FROM robot_sends WHERE robot = $1
"""


class RobotThrottle:
    def __init__(self, db: Database, now: Callable[[], datetime], limit: int, window: float) -> None:
        self._db = db
        self._now = now
        self._limit = limit
        self._window = timedelta(seconds=window)

    async def take(self, robot_id: str) -> float:
        """Spend a token for one send: 0 when it may go now, else the seconds until a token comes back."""
        now = self._now()
        if await self._db.fetchval(TAKE, robot_id, now, self._limit, self._window):
            return 0.0
        wait = await self._db.fetchval(WAIT, robot_id, now, self._limit, self._window)
        # None or nothing left to wait: a token came back in between; try again at once.
        return max(wait or 0.0, 0.001)
