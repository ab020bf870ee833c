"""Users and organisations: the org directory the region's administrators maintain, and sign-in counters."""

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from services.portal.domain import ConcurrentChange, UserAccount
from shared.db import Database, affected
from shared.events import Actor, Event
from shared.outbox import Outbox

USER_COLUMNS = "id, username, name, org, org_path, roles, password_hash, vendor_id, active, locked_until"
# A region has some thousands of organisations; a list never returns more than this.
ORGANISATIONS_LIMIT = 5000


@dataclass(frozen=True)
class StoredOrganisation:
    """An organisation as stored, with the version its guarded update must name."""

    org: dict[str, Any]
    version: int


class Directory:
    def __init__(self, db: Database, outbox: Outbox | None = None) -> None:
        """`outbox` is needed for the changes that announce themselves (create and update)."""
        self._db = db
        self._outbox = outbox

    async def user_by_username(self, username: str) -> UserAccount | None:
        row = await self._db.fetchrow(f"SELECT {USER_COLUMNS} FROM users WHERE username = $1", username)
        return _account(row) if row else None

    async def user_by_id(self, user_id: str) -> UserAccount | None:
        row = await self._db.fetchrow(f"SELECT {USER_COLUMNS} FROM users WHERE id = $1", user_id)
        return _account(row) if row else None

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
                        "INSERT INTO users (id, username, name, org, org_path, roles, password_hash, vendor_id, active)"
                        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT DO NOTHING",
                        user["id"],
                        user["username"],
                        user["name"],
                        user["org"],
                        user["org_path"],
                        user["roles"],
                        user["password_hash"],
                        user.get("vendor_id"),
                        user.get("active", True),
                    )
                )
        return added

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

    async def organisations(self, *, parent_division: str | None, kind: str | None) -> list[dict[str, Any]]:
        """The directory filtered by division code and kind, by id (each with `_id`, as the UI reads it)."""
        conditions, args = [], []
        if parent_division:
            args.append(parent_division)
            conditions.append(f"division_code = ${len(args)}")
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
    )
