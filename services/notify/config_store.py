"""What administrators and users configure: the versioned scheme, WeCom robots, personal preferences
(PostgreSQL, decision 0011).

Scheme versions are rows numbered by `version` and never changed; saving version n+1 is one insert that
only happens while n is the newest, and the primary key makes two administrators saving on the same base
version conflict (one wins, the other gets 409) instead of overwriting each other.
"""

from datetime import datetime, time
from time import monotonic
from typing import Any

import asyncpg

from services.notify.domain import Preferences, Robot, division_of
from services.notify.scheme import Rule
from shared.db import Database
from shared.errors import DomainError


class SchemeConflict(DomainError):
    status_code = 409


def _changed(active: int | None) -> SchemeConflict:
    return SchemeConflict(
        "scheme_changed",
        f"通知方案已被修改，当前版本为 {active or 0}，请刷新后重试 (the scheme changed)",
        field="base_version",
    )


# The next version, only while `$1 - 1` is the newest (or, for version 1, while there is none).
INSERT_NEXT_VERSION = """
    INSERT INTO scheme_versions (version, events, created_by, created_at, note)
    SELECT $1, $2, $3, $4, $5
    WHERE coalesce((SELECT max(version) FROM scheme_versions), 0) = $1 - 1
    ON CONFLICT (version) DO NOTHING
    RETURNING version, events, created_by, created_at, note
"""


class SchemeStore:
    """The scheme's versions. The active rules are read for every event, so they are kept in memory for
    `cache_seconds`: a version saved here applies at once, one saved by another notify instance within
    that time (FD_SCHEME_CACHE_SECONDS)."""

    def __init__(self, db: Database, cache_seconds: float = 0.0) -> None:
        self._db = db
        self._cache_seconds = cache_seconds
        self._cached: tuple[float, int, dict[str, list[Rule]]] | None = None

    async def seed(self, rules: dict[str, list[Rule]], now: datetime) -> bool:
        """Version 1 from the code's defaults when there is no version yet; False when there was one."""
        return await self._insert(1, rules, "system", "初始方案 (seeded from the code)", now) is not None

    async def add_new_defaults(
        self, defaults: dict[str, list[Rule]], now: datetime, superseded: dict[str, list[list[Rule]]] | None = None
    ) -> list[str]:
        """An upgrade brought rules for event types the active scheme has never named, or corrected a default
        the active scheme still has unchanged (`superseded`: the earlier defaults per event type): a new
        version adds or corrects them. An event type an administrator changed, even to no rules (silenced),
        stays as the administrator left it. Answers the event types added or corrected (none when another
        instance was first)."""
        active = await self.active()
        if active is None:
            return []
        events = {e: [Rule.model_validate(r) for r in rs] for e, rs in active["events"].items()}
        changed = {event: rules for event, rules in defaults.items() if event not in events}
        for event, earlier in (superseded or {}).items():
            if event in events and event in defaults and events[event] in earlier:
                changed[event] = defaults[event]
        if not changed:
            return []
        note = f"新增或更正默认规则：{'、'.join(sorted(changed))} (defaults added by an upgrade)"
        self._cached = None
        if await self._insert(active["_id"] + 1, events | changed, "system", note, now) is None:
            return []
        return sorted(changed)

    async def active(self) -> dict | None:
        row = await self._db.fetchrow("SELECT * FROM scheme_versions ORDER BY version DESC LIMIT 1")
        return self._view(row) if row else None

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
        row = await self._db.fetchrow("SELECT * FROM scheme_versions WHERE version = $1", number)
        return self._view(row) if row else None

    async def history(self, limit: int) -> list[dict]:
        rows = await self._db.fetch(
            "SELECT version, created_by, created_at, note FROM scheme_versions ORDER BY version DESC LIMIT $1", limit
        )
        return [self._view(row) for row in rows]

    async def save(self, base_version: int, event_type: str, rules: list[Rule], by: str, note: str, now: datetime):
        """A new version: the base version with `event_type`'s rules replaced (an empty list: nobody told)."""
        base = await self.version(base_version)
        if base is None:
            raise _changed((await self.active() or {}).get("_id"))
        events = {e: [Rule.model_validate(r) for r in rs] for e, rs in base["events"].items()}
        events[event_type] = rules
        self._cached = None
        doc = await self._insert(base_version + 1, events, by, note, now)
        if doc is None:  # a newer version exists, or another administrator saved on this base just now
            raise _changed((await self.active() or {}).get("_id"))
        return doc

    async def _insert(
        self, number: int, events: dict[str, list[Rule]], by: str, note: str, now: datetime
    ) -> dict | None:
        dumped = {e: [r.model_dump(mode="json") for r in rules] for e, rules in events.items()}
        row = await self._db.fetchrow(INSERT_NEXT_VERSION, number, dumped, by, now, note)
        return self._view(row) if row else None

    @staticmethod
    def _view(row: asyncpg.Record) -> dict[str, Any]:
        """A version as the API has always shown it (the number as `_id` and as `version`)."""
        return {"_id": row["version"], **dict(row.items())}


ROBOT_FIELDS = ("name", "key", "org_ids", "division_prefix", "msgtype", "enabled", "disabled_reason", "disabled_at")


class RobotStore:
    """WeCom group robots. The key is the robot's secret (whoever has it can post to the group)."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def seed(self, robots: list[dict[str, Any]]) -> int:
        """The demo's robots, only into a database that has none (two instances starting: once)."""
        return await self._db.fetchval(
            """
            WITH added AS (
                INSERT INTO robots (id, name, key, org_ids, division_prefix, msgtype, enabled)
                SELECT id, name, key, org_ids, division_prefix, msgtype, enabled
                FROM jsonb_to_recordset($1::jsonb) AS r(
                    id text, name text, key text, org_ids text[], division_prefix text, msgtype text, enabled boolean
                )
                WHERE NOT EXISTS (SELECT 1 FROM robots)
                ON CONFLICT (id) DO NOTHING RETURNING 1
            )
            SELECT count(*) FROM added
            """,
            [{"id": r["_id"], **{k: v for k, v in r.items() if k != "_id"}} for r in robots],
        )

    async def get(self, robot_id: str) -> dict | None:
        row = await self._db.fetchrow("SELECT * FROM robots WHERE id = $1", robot_id)
        return self._view(row) if row else None

    async def every(self, limit: int = 1000) -> list[dict]:
        """The robots for the administrators' list (a region has a few per league/city at most)."""
        return [self._view(row) for row in await self._db.fetch("SELECT * FROM robots ORDER BY id LIMIT $1", limit)]

    async def routing(self, org_ids: list[str], *, every_group: bool = False) -> list[Robot]:
        """The enabled robots that could carry messages to these organisations: named for one of them, or
        covering its division by prefix (domain.robot_for picks); with `every_group`, all of them (a release
        is posted to every group, 第六条八)."""
        if every_group:
            rows = await self._db.fetch("SELECT * FROM robots WHERE enabled ORDER BY id")
        else:
            prefixes = sorted({code[:n] for org in org_ids if (code := division_of(org)) for n in range(1, 7)})
            rows = await self._db.fetch(
                """
                SELECT * FROM robots
                WHERE enabled AND (org_ids && $1::text[] OR division_prefix = ANY($2::text[]))
                ORDER BY id
                """,
                org_ids,
                prefixes,
            )
        return [Robot(r["id"], r["name"], tuple(r["org_ids"]), r["division_prefix"], r["enabled"]) for r in rows]

    async def add(self, robot: dict[str, Any]) -> bool:
        return bool(
            await self._db.fetchval(
                "INSERT INTO robots (id, name, key, org_ids, division_prefix, msgtype, enabled)"
                " VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (id) DO NOTHING RETURNING true",
                robot["_id"],
                robot["name"],
                robot["key"],
                list(robot.get("org_ids") or []),
                robot.get("division_prefix"),
                robot.get("msgtype", "markdown"),
                robot.get("enabled", True),
            )
        )

    async def update(self, robot_id: str, changes: dict[str, Any]) -> dict | None:
        """Set the given fields in one statement (fields not given stay as they are)."""
        unknown = set(changes) - set(ROBOT_FIELDS)
        if unknown:
            raise ValueError(f"not a field of a robot: {sorted(unknown)}")
        names = [name for name in ROBOT_FIELDS if name in changes]
        if not names:
            return await self.get(robot_id)
        sets = ", ".join(f"{name} = ${n}" for n, name in enumerate(names, start=2))
        row = await self._db.fetchrow(
            f"UPDATE robots SET {sets} WHERE id = $1 RETURNING *", robot_id, *(changes[name] for name in names)
        )
        return self._view(row) if row else None

    async def disable(self, robot_id: str, reason: str, now: datetime) -> bool:
        """True for the one caller that turned an enabled robot off (so one alert is raised)."""
        return bool(
            await self._db.fetchval(
                """
                UPDATE robots SET enabled = false, disabled_reason = $2, disabled_at = $3,
                       disabled_count = disabled_count + 1
                WHERE id = $1 AND enabled RETURNING true
                """,
                robot_id,
                reason,
                now,
            )
        )

    @staticmethod
    def _view(row: asyncpg.Record) -> dict[str, Any]:
        return {"_id": row["id"], **{k: v for k, v in row.items() if k != "id"}}


def _clock(value: str | None) -> time | None:
    return time.fromisoformat(value) if value else None


class PreferenceStore:
    """Each user's choices as they sent them (a JSON document per user, merged field by field)."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def get(self, user_id: str) -> dict:
        row = await self._db.fetchrow("SELECT user_id, doc, updated_at FROM preferences WHERE user_id = $1", user_id)
        return self._view(row) if row else {"_id": user_id, "channels": {}}

    async def for_users(self, user_ids: list[str]) -> dict[str, Preferences]:
        if not user_ids:
            return {}
        rows = await self._db.fetch(
            "SELECT user_id, doc, updated_at FROM preferences WHERE user_id = ANY($1::text[])", user_ids
        )
        return {row["user_id"]: self.preferences(self._view(row)) for row in rows}

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
        """Merge the fields sent into the user's document in one statement (concurrent saves both count)."""
        if "wechat_openid" in changes:
            changes = {**changes, "wechat_unreachable": None}
        row = await self._db.fetchrow(
            """
            INSERT INTO preferences (user_id, doc, updated_at) VALUES ($1, $2, $3)
            ON CONFLICT (user_id) DO UPDATE SET doc = preferences.doc || EXCLUDED.doc, updated_at = EXCLUDED.updated_at
            RETURNING user_id, doc, updated_at
            """,
            user_id,
            changes,
            now,
        )
        return self._view(row)

    async def mark_unreachable(self, user_id: str, openid: str, reason: str) -> None:
        """43004/43101: this openid will not receive our messages; stop planning WeChat for it."""
        await self._db.fetchval(
            """
            UPDATE preferences SET doc = doc || jsonb_build_object('wechat_unreachable', $3::text)
            WHERE user_id = $1 AND doc->>'wechat_openid' = $2 RETURNING true
            """,
            user_id,
            openid,
            reason,
        )

    @staticmethod
    def _view(row: asyncpg.Record) -> dict[str, Any]:
        return {"_id": row["user_id"], **row["doc"], "updated_at": row["updated_at"]}
