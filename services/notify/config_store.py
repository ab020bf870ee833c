"""What administrators and users configure: the versioned scheme, WeCom robots, personal preferences.

Scheme versions are documents with an integer `_id`; saving version n+1 is one insert, and the unique id
makes two administrators saving on the same base version conflict instead of overwriting each other.
"""

from datetime import datetime, time
from time import monotonic
from typing import Any

from pymongo import ReturnDocument
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import DuplicateKeyError

from services.notify.domain import Preferences, Robot
from services.notify.scheme import Rule
from shared.errors import DomainError


class SchemeConflict(DomainError):
    status_code = 409


class SchemeStore:
    """The scheme's versions. The active rules are read for every event, so they are kept in memory for
    `cache_seconds`: a version saved here applies at once, one saved by another notify instance within
    that time (FD_SCHEME_CACHE_SECONDS)."""

    def __init__(self, collection: AsyncCollection, cache_seconds: float = 0.0) -> None:
        self._collection = collection
        self._cache_seconds = cache_seconds
        self._cached: tuple[float, int, dict[str, list[Rule]]] | None = None

    async def seed(self, rules: dict[str, list[Rule]], now: datetime) -> bool:
        """Version 1 from the code's defaults when there is no version yet; False when there was one."""
        try:
            await self._collection.insert_one(self._doc(1, rules, "system", "初始方案 (seeded from the code)", now))
            return True
        except DuplicateKeyError:
            return False

    async def add_new_defaults(self, defaults: dict[str, list[Rule]], now: datetime) -> list[str]:
        """An upgrade brought rules for event types the active scheme has never named: a new version adds
        them. An event type the scheme names, even with no rules (an administrator silenced it), stays as
        the administrator left it. Answers the event types added (none when another instance was first)."""
        active = await self.active()
        if active is None:
            return []
        missing = {event: rules for event, rules in defaults.items() if event not in active["events"]}
        if not missing:
            return []
        events = {e: [Rule.model_validate(r) for r in rs] for e, rs in active["events"].items()} | missing
        note = f"新增默认规则：{'、'.join(sorted(missing))} (defaults added by an upgrade)"
        self._cached = None
        try:
            await self._collection.insert_one(self._doc(active["_id"] + 1, events, "system", note, now))
        except DuplicateKeyError:
            return []
        return sorted(missing)

    async def active(self) -> dict | None:
        return await self._collection.find_one({}, sort=[("_id", -1)])

    async def active_rules(self) -> tuple[int, dict[str, list[Rule]]]:
        if self._cached and monotonic() - self._cached[0] < self._cache_seconds:
            return self._cached[1], self._cached[2]
        doc = await self.active()
        if doc is None:
            return 0, {}
        rules = {event: [Rule.model_validate(r) for r in rules] for event, rules in doc["events"].items()}
        self._cached = (monotonic(), doc["_id"], rules)
        return doc["_id"], rules

    async def version(self, number: int) -> dict | None:
        return await self._collection.find_one({"_id": number})

    async def history(self, limit: int) -> list[dict]:
        fields = {"events": 0}
        return await self._collection.find({}, fields).sort("_id", -1).limit(limit).to_list()

    async def save(self, base_version: int, event_type: str, rules: list[Rule], by: str, note: str, now: datetime):
        """A new version: the base version with `event_type`'s rules replaced (an empty list: nobody told)."""
        base = await self.version(base_version)
        active = await self.active()
        if base is None or active is None or active["_id"] != base_version:
            raise SchemeConflict(
                "scheme_changed",
                f"通知方案已被修改，当前版本为 {active['_id'] if active else 0}，请刷新后重试 (the scheme changed)",
                field="base_version",
            )
        events = {e: [Rule.model_validate(r) for r in rs] for e, rs in base["events"].items()}
        events[event_type] = rules
        doc = self._doc(base_version + 1, events, by, note, now)
        self._cached = None
        try:
            await self._collection.insert_one(doc)
        except DuplicateKeyError as error:
            raise SchemeConflict(
                "scheme_changed", "通知方案刚被他人修改，请刷新后重试", field="base_version"
            ) from error
        return doc

    @staticmethod
    def _doc(number: int, events: dict[str, list[Rule]], by: str, note: str, now: datetime) -> dict[str, Any]:
        return {
            "_id": number,
            "version": number,
            "events": {e: [r.model_dump(mode="json") for r in rules] for e, rules in events.items()},
            "created_by": by,
            "created_at": now,
            "note": note,
        }


class RobotStore:
    """WeCom group robots. The key is the robot's secret (whoever has it can post to the group)."""

    def __init__(self, collection: AsyncCollection) -> None:
        self._collection = collection

    async def seed(self, robots: list[dict[str, Any]]) -> int:
        if await self._collection.count_documents({}, limit=1):
            return 0
        added = 0
        for robot in robots:
            try:
                await self._collection.insert_one(robot)
                added += 1
            except DuplicateKeyError:
                pass
        return added

    async def get(self, robot_id: str) -> dict | None:
        return await self._collection.find_one({"_id": robot_id})

    async def every(self) -> list[dict]:
        return await self._collection.find({}).sort("_id", 1).to_list()

    async def routing(self) -> list[Robot]:
        return [
            Robot(r["_id"], r["name"], tuple(r.get("org_ids", [])), r.get("division_prefix"), r.get("enabled", True))
            for r in await self.every()
        ]

    async def add(self, robot: dict[str, Any]) -> bool:
        try:
            await self._collection.insert_one(robot)
            return True
        except DuplicateKeyError:
            return False

    async def update(self, robot_id: str, changes: dict[str, Any]) -> dict | None:
        return await self._collection.find_one_and_update(
            {"_id": robot_id}, {"$set": changes}, return_document=ReturnDocument.AFTER
        )

    async def disable(self, robot_id: str, reason: str, now: datetime) -> bool:
        """True for the one caller that turned an enabled robot off (so one alert is raised)."""
        result = await self._collection.update_one(
            {"_id": robot_id, "enabled": True},
            {"$set": {"enabled": False, "disabled_reason": reason, "disabled_at": now}, "$inc": {"disabled_count": 1}},
        )
        return result.modified_count == 1


def _clock(value: str | None) -> time | None:
    return time.fromisoformat(value) if value else None


class PreferenceStore:
    def __init__(self, collection: AsyncCollection) -> None:
        self._collection = collection

    async def get(self, user_id: str) -> dict:
        return await self._collection.find_one({"_id": user_id}) or {"_id": user_id, "channels": {}}

    async def for_users(self, user_ids: list[str]) -> dict[str, Preferences]:
        docs = await self._collection.find({"_id": {"$in": user_ids}}).to_list() if user_ids else []
        return {doc["_id"]: self.preferences(doc) for doc in docs}

    @staticmethod
    def preferences(doc: dict) -> Preferences:
        quiet = doc.get("quiet_hours") or {}
        return Preferences(
            channels={category: tuple(chs) for category, chs in (doc.get("channels") or {}).items()},
            quiet_from=_clock(quiet.get("from")),
            quiet_until=_clock(quiet.get("until")),
            # A binding the platform refused (43004, 43101) is not used until the user binds again.
            wechat_openid=None if doc.get("wechat_unreachable") else doc.get("wechat_openid"),
            language=doc.get("language", "zh-CN"),
        )

    async def save(self, user_id: str, changes: dict[str, Any], now: datetime) -> dict:
        if "wechat_openid" in changes:
            changes = {**changes, "wechat_unreachable": None}
        return await self._collection.find_one_and_update(
            {"_id": user_id},
            {"$set": {**changes, "updated_at": now}},
            upsert=True,
            return_document=ReturnDocument.AFTER,
        )

    async def mark_unreachable(self, user_id: str, openid: str, reason: str) -> None:
        """43004/43101: this openid will not receive our messages; stop planning WeChat for it."""
        await self._collection.update_one(
            {"_id": user_id, "wechat_openid": openid}, {"$set": {"wechat_unreachable": reason}}
        )
