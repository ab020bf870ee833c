"""Users and organisations: the org directory the region's administrators maintain, and sign-in counters."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from services.portal.adapters.sessions import end_sessions as end_sessions_of
from services.portal.domain import ConcurrentChange, UserAccount
from shared.db import Database, affected
from shared.events import Actor, Event, utcnow
from shared.outbox import Outbox

# A user signs in only while both the account and its organisation are active (a deactivated
# organisation's users cannot sign in, issue 15): the organisation's flag is in its document.
ACCOUNT_SELECT = (
    "SELECT u.id, u.username, u.name, u.org, u.org_path, u.roles, u.password_hash, u.vendor_id,"
    " u.active AND coalesce((o.doc->>'active')::boolean, true) AS active, u.locked_until, u.must_change_password"
    " FROM users u LEFT JOIN organisations o ON o.id = u.org->>'id'"
)
# A user as the administrators' pages show it (never the hash).
RECORD_COLUMNS = (
    "u.id, u.username, u.name, u.org, u.org_path, u.roles, u.vendor_id, u.active,"
    " coalesce((o.doc->>'active')::boolean, true) AS org_active, u.locked_until, u.must_change_password,"
    " u.password_changed_at, u.created_at, u.version"
)
RECORD_SELECT = f"SELECT {RECORD_COLUMNS} FROM users u LEFT JOIN organisations o ON o.id = u.org->>'id'"
# What an administrator's change may set (names become SQL identifiers).
CHANGEABLE = frozenset(
    {"name", "org", "org_path", "roles", "vendor_id", "active", "password_hash", "must_change_password",
     "password_changed_at"}
)  # fmt: skip
# A region has some thousands of organisations; a list never returns more than this.
ORGANISATIONS_LIMIT = 5000


@dataclass(frozen=True)
class StoredOrganisation:
    """An organisation as stored, with the version its guarded update must name."""

    org: dict[str, Any]
    version: int


class Directory:
    def __init__(self, db: Database, outbox: Outbox | None = None, *, access_token_minutes: int = 30) -> None:
        """`outbox` is needed for the changes that announce themselves (create and update);
        `access_token_minutes` is how long a session's access tokens live after it was ended."""
        self._db = db
        self._outbox = outbox
        self._access_lifetime = timedelta(minutes=access_token_minutes)

    async def user_by_username(self, username: str) -> UserAccount | None:
        row = await self._db.fetchrow(f"{ACCOUNT_SELECT} WHERE u.username = $1", username)
        return _account(row) if row else None

    async def user_by_id(self, user_id: str) -> UserAccount | None:
        row = await self._db.fetchrow(f"{ACCOUNT_SELECT} WHERE u.id = $1", user_id)
        return _account(row) if row else None

    async def user_record(self, user_id: str) -> dict[str, Any] | None:
        """A user as the administrators' pages show it, with the version its guarded update must name."""
        row = await self._db.fetchrow(f"{RECORD_SELECT} WHERE u.id = $1", user_id)
        return dict(row) if row else None

    async def users_in_area(
        self,
        scope: str | None,
        *,
        org_id: str | None = None,
        role: str | None = None,
        keyword: str | None = None,
        active: bool | None = None,
        limit: int,
        skip: int = 0,
    ) -> list[dict[str, Any]]:
        """Users whose organisation path contains `scope` (None: all), newest first, at most `limit`.

        `org_id` narrows to one organisation (the last element of its path), `keyword` finds a part of the
        user name or the name."""
        conditions, args = [], []

        def arg(value: Any) -> str:
            args.append(value)
            return f"${len(args)}"

        if scope is not None:
            conditions.append(f"u.org_path @> ARRAY[{arg(scope)}]::text[]")
        if org_id:
            conditions.append(f"u.org_path @> ARRAY[{arg(org_id)}]::text[]")
        if role:
            conditions.append(f"{arg(role)} = ANY(u.roles)")
        if active is not None:
            conditions.append(f"u.active = {arg(active)}")
        if keyword:
            pattern = arg(f"%{_escape_like(keyword)}%")
            conditions.append(f"(u.username ILIKE {pattern} OR u.name ILIKE {pattern})")
        where = f"WHERE {' AND '.join(conditions)}" if conditions else ""
        limit_at, skip_at = arg(limit), arg(skip)
        rows = await self._db.fetch(
            f"{RECORD_SELECT} {where} ORDER BY u.created_at DESC, u.id DESC LIMIT {limit_at} OFFSET {skip_at}", *args
        )
        return [dict(row) for row in rows]

    async def create_user(self, user: dict[str, Any], events: list[Event], *, actor: Actor) -> bool:
        """Add a user with its events (one transaction); False if the id or the user name is taken."""
        async with self._db.transaction() as conn:
            created = await conn.fetchval(
                "INSERT INTO users (id, username, name, org, org_path, roles, password_hash, vendor_id, active,"
                " must_change_password) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, true, $9)"
                " ON CONFLICT DO NOTHING RETURNING true",
                user["id"],
                user["username"],
                user["name"],
                user["org"],
                user["org_path"],
                user["roles"],
                user["password_hash"],
                user.get("vendor_id"),
                user.get("must_change_password", True),
            )
            if created:
                await self._announce(conn, events, actor)
        return bool(created)

    async def update_user(
        self,
        user_id: str,
        changes: dict[str, Any],
        events: list[Event],
        *,
        version: int,
        actor: Actor,
        end_sessions: bool = False,
    ) -> None:
        """Apply `changes` to the user read at `version`, with its events; ConcurrentChange (409) if it changed
        since. `end_sessions`: every refresh token of the user is spent in the same transaction (a reset
        password or a deactivated account leaves no session behind)."""
        unknown = set(changes) - CHANGEABLE
        if unknown:
            raise ValueError(f"not a changeable user column: {sorted(unknown)}")
        names = list(changes)
        sets = ", ".join(f"{name} = ${n}" for n, name in enumerate(names, start=3))
        async with self._db.transaction() as conn:
            status = await conn.execute(
                f"UPDATE users SET {sets}, version = version + 1 WHERE id = $1 AND version = $2",
                user_id,
                version,
                *changes.values(),
            )
            if affected(status) == 0:
                raise ConcurrentChange(user_id)
            if end_sessions:
                reason = "deactivated" if changes.get("active") is False else "password_changed"
                until = utcnow() + self._access_lifetime
                events = [*events, *await end_sessions_of(conn, user_id, reason=reason, until=until)]
            await self._announce(conn, events, actor)

    async def add_missing_organisations(self, orgs: Iterable[dict[str, Any]]) -> int:
        """Insert the organisations whose ids are not there yet; existing ones (perhaps edited) stay."""
        added = 0
        async with self._db.transaction() as conn:
            for org in orgs:
                added += affected(
                    await conn.execute(
                        "INSERT INTO organisations (id, kind, division_code, doc) VALUES ($1, $2, $3, $4)"
                        " ON CONFLICT (id) DO NOTHING",
                        org["id"],
                        org["kind"],
                        org["division_code"],
                        org,
                    )
                )
        return added

    async def add_missing_users(self, users: Iterable[dict[str, Any]]) -> int:
        """Insert the users whose ids and usernames are not taken; existing ones stay as they are."""
        added = 0
        async with self._db.transaction() as conn:
            for user in users:
                added += affected(
                    await conn.execute(
                        "INSERT INTO users (id, username, name, org, org_path, roles, password_hash, vendor_id, active,"
                        " must_change_password) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
                        " ON CONFLICT DO NOTHING",
                        user["id"],
                        user["username"],
                        user["name"],
                        user["org"],
                        user["org_path"],
                        user["roles"],
                        user["password_hash"],
                        user.get("vendor_id"),
                        user.get("active", True),
                        user.get("must_change_password", False),
                    )
                )
        return added

    async def has_active_administrator(self) -> bool:
        """Whether some active user holds the system administrator role (the production start's question)."""
        return bool(await self._db.fetchval("SELECT true FROM users WHERE active AND 'sysadmin' = ANY(roles) LIMIT 1"))

    async def organisation(self, org_id: str) -> StoredOrganisation | None:
        row = await self._db.fetchrow("SELECT doc, version FROM organisations WHERE id = $1", org_id)
        return StoredOrganisation(row["doc"], row["version"]) if row else None

    async def create_organisation(self, org: dict[str, Any], events: list[Event], *, actor: Actor) -> bool:
        """Add an organisation with its events (one transaction); False if the id is taken."""
        async with self._db.transaction() as conn:
            created = await conn.fetchval(
                "INSERT INTO organisations (id, kind, division_code, doc) VALUES ($1, $2, $3, $4)"
                " ON CONFLICT (id) DO NOTHING RETURNING true",
                org["id"],
                org["kind"],
                org["division_code"],
                org,
            )
            if created:
                await self._announce(conn, events, actor)
        return bool(created)

    async def update_organisation(
        self, org: dict[str, Any], events: list[Event], *, version: int, actor: Actor
    ) -> None:
        """Replace the organisation read at `version`; ConcurrentChange (409) if it changed since."""
        async with self._db.transaction() as conn:
            status = await conn.execute(
                "UPDATE organisations SET doc = $3, kind = $4, division_code = $5, version = version + 1"
                " WHERE id = $1 AND version = $2",
                org["id"],
                version,
                org,
                org["kind"],
                org["division_code"],
            )
            if affected(status) == 0:
                raise ConcurrentChange(org["id"])
            await self._announce(conn, events, actor)

    async def organisations(
        self, *, parent_division: str | None, kind: str | None, divisions: list[str] | None = None
    ) -> list[dict[str, Any]]:
        """The directory filtered by division code (or any of `divisions`) and kind, by id (each with `_id`, as
        the UI reads it)."""
        conditions, args = [], []
        if parent_division:
            args.append(parent_division)
            conditions.append(f"division_code = ${len(args)}")
        if divisions is not None:
            args.append(divisions)
            conditions.append(f"division_code = ANY(${len(args)}::text[])")
        if kind:
            args.append(kind)
            conditions.append(f"kind = ${len(args)}")
        where = f"WHERE {' AND '.join(conditions)}" if conditions else ""
        args.append(ORGANISATIONS_LIMIT)
        rows = await self._db.fetch(f"SELECT id, doc FROM organisations {where} ORDER BY id LIMIT ${len(args)}", *args)
        return [{"_id": row["id"], **row["doc"]} for row in rows]

    async def _announce(self, conn: Any, events: list[Event], actor: Actor) -> None:
        if self._outbox is None:
            raise RuntimeError("this Directory was built without an outbox: it cannot announce changes")
        await self._outbox.add(conn, events, actor=actor)


def _account(row: Any) -> UserAccount:
    return UserAccount(
        id=row["id"],
        username=row["username"],
        name=row["name"],
        org=row["org"],
        org_path=list(row["org_path"]),
        roles=list(row["roles"]),
        password_hash=row["password_hash"],
        vendor_id=row["vendor_id"],
        active=row["active"],
        locked_until=row["locked_until"],
        must_change_password=row["must_change_password"],
    )


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
