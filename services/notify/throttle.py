"""The WeCom robot's rate limit as a token bucket kept in the database, shared by every notify instance.

WeCom allows a robot 20 messages a minute. A classic bucket (20 tokens, one back every 3 s) would let 20
go at once and then one every 3 s: up to 39 in one sliding minute, and WeCom answers 45009. So each spent
token comes back exactly one window (60 s plus a margin) after it was spent: send number n may go only
when send n−20 left the window, which allows at most 20 sends in any window however they are spread.

Each send's number is taken by inserting a document with the unique id "<robot>#<n>": the one write
FerretDB v1 makes atomic (its conditional updates re-check nothing at write time), so two instances can
never both take number n.
"""

from collections.abc import Callable
from datetime import datetime, timedelta

from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import DuplicateKeyError

from shared.store import IndexSpec

INDEX = IndexSpec("robot_sends", [("robot", 1), ("n", -1)])


class RobotThrottle:
    def __init__(self, collection: AsyncCollection, now: Callable[[], datetime], limit: int, window: float) -> None:
        self._collection = collection
        self._now = now
        self._limit = limit
        self._window = timedelta(seconds=window)

    async def take(self, robot_id: str) -> float:
        """Spend a token for one send: 0 when it may go now, else the seconds until a token comes back."""
        while True:
            now = self._now()
            last = await self._collection.find_one({"robot": robot_id}, sort=[("n", -1)])
            number = last["n"] + 1 if last else 1
            if number > self._limit:
                older = await self._collection.find_one({"_id": f"{robot_id}#{number - self._limit}"})
                if older and older["at"] > now - self._window:
                    return max((older["at"] + self._window - now).total_seconds(), 0.001)
            try:
                await self._collection.insert_one(
                    {"_id": f"{robot_id}#{number}", "robot": robot_id, "n": number, "at": now}
                )
            except DuplicateKeyError:
                continue  # another sender took this number first: look again
            if number % self._limit == 0:
                await self._collection.delete_many({"robot": robot_id, "n": {"$lte": number - 2 * self._limit}})
            return 0.0
