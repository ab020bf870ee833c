"""用户管理 (user administration, issue 15): administrators create, edit and deactivate the users of their area
and reset their passwords; every user changes their own password. A new account or a reset password is a
one-time temporary password, shown once, that must be changed at the first sign-in.

Who administers whom is services/portal/areas.py; the password policy is services/portal/passwords.py.
Every change is a `UserChanged` event written with the user's row (the outbox), so it reaches the
hash-chained audit trail like every other state change; no event carries a password or its hash.
"""

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from services.portal import policy
from services.portal.adapters import Directory
from services.portal.areas import AdminArea
from services.portal.passwords import check_password_policy, hash_password, temporary_password, verify_password
from shared.auth import ROLES, Principal
from shared.errors import DomainError, Forbidden, InvalidInput, NotFound
from shared.events import UserChanged
from shared.orgtree import division_path

Role = Literal[ROLES]  # type: ignore[valid-type]
Username = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[a-z][a-z0-9_.-]{2,31}$")]
PersonName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=2, max_length=50)]
OrgId = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{1,63}$")]
Roles = Annotated[list[Role], Field(min_length=1, max_length=len(ROLES))]
Password = Annotated[str, StringConstraints(min_length=1, max_length=256)]


class UserCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    username: Username = Field(description="用户名: 3–32 lower-case letters, digits, '.', '_' or '-', first a letter")
    name: PersonName
    org_id: OrgId
    roles: Roles


class UserUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: PersonName | None = None
    org_id: OrgId | None = None
    roles: Roles | None = None
    active: bool | None = None


class PasswordChange(BaseModel):
    model_config = ConfigDict(extra="forbid")
    current_password: Password
    new_password: Password


class UserRead(BaseModel):
    id: str
    username: str
    name: str
    org_id: str
    org_name: str
    org_kind: str
    division_code: str
    org_path: list[str]
    roles: list[str]
    active: bool
    org_active: bool
    must_change_password: bool
    password_changed_at: datetime | None
    created_at: datetime
    locked_until: datetime | None


class UserPage(BaseModel):
    items: list[UserRead]
    more: bool = Field(description="whether a next page exists (skip + limit)")


class IssuedPassword(BaseModel):
    """A one-time temporary password: shown to the administrator once, never stored in clear."""

    user: UserRead
    temporary_password: str


async def list_users(
    *,
    user: Principal,
    directory: Directory,
    org_id: str | None,
    role: str | None,
    keyword: str | None,
    active: bool | None,
    limit: int,
    skip: int,
) -> UserPage:
    """The users of the administrator's area, newest first, a page at a time."""
    area = policy.user_admin_area(user)
    rows = await directory.users_in_area(
        area.scope, org_id=org_id, role=role, keyword=keyword, active=active, limit=limit + 1, skip=skip
    )
    return UserPage(items=[_read(row) for row in rows[:limit]], more=len(rows) > limit)


async def show(user_id: str, *, user: Principal, directory: Directory) -> UserRead:
    area = policy.user_admin_area(user)
    return _read(await _managed(user_id, area, directory))


async def create(body: UserCreate, *, user: Principal, directory: Directory) -> IssuedPassword:
    area = policy.user_admin_area(user)
    _check_grant(area, body.roles)
    org, path = await _placement(body.org_id, area, directory)
    password = temporary_password()
    record: dict[str, Any] = {
        "id": f"u-{body.username}",
        "username": body.username,
        "name": body.name,
        "org": org,
        "org_path": path,
        "roles": _unique(body.roles),
        "password_hash": hash_password(password),
        "vendor_id": org["id"] if org["kind"] == "vendor" else None,
        "must_change_password": True,
    }
    event = _changed({**record, "active": True}, "created")
    if not await directory.create_user(record, [event], actor=user.actor()):
        raise DomainError("username_taken", f"用户名 {body.username} 已被使用 (user name taken)", field="username")
    return IssuedPassword(user=_read(await directory.user_record(record["id"])), temporary_password=password)


async def update(user_id: str, body: UserUpdate, *, user: Principal, directory: Directory) -> UserRead:
    """Change name, organisation, roles or the active flag, against the user as read (409 if changed since)."""
    area = policy.user_admin_area(user)
    current = await _managed(user_id, area, directory)
    changes: dict[str, Any] = {}
    if body.name is not None:
        changes["name"] = body.name
    if body.roles is not None:
        _check_grant(area, body.roles)
        changes["roles"] = _unique(body.roles)
    if body.org_id is not None and body.org_id != current["org"]["id"]:
        org, path = await _placement(body.org_id, area, directory)
        changes |= {"org": org, "org_path": path, "vendor_id": org["id"] if org["kind"] == "vendor" else None}
    if body.active is False:
        _not_yourself(user, user_id)
    if body.active is not None:
        changes["active"] = body.active
    if not changes:
        return _read(current)
    change = "deactivated" if body.active is False and current["active"] else "updated"
    await directory.update_user(
        user_id,
        changes,
        [_changed({**current, **changes}, change)],
        version=current["version"],
        actor=user.actor(),
        end_sessions=body.active is False,
    )
    return _read(await directory.user_record(user_id))


async def deactivate(user_id: str, *, user: Principal, directory: Directory) -> UserRead:
    """停用: the account can no longer sign in and its sessions end; it stays for the history."""
    return await update(user_id, UserUpdate(active=False), user=user, directory=directory)


async def reset_password(user_id: str, *, user: Principal, directory: Directory, now: datetime) -> IssuedPassword:
    """重置密码: a new temporary password (answered once), to be changed at the next sign-in; sessions end."""
    area = policy.user_admin_area(user)
    current = await _managed(user_id, area, directory)
    password = temporary_password()
    changes = {"password_hash": hash_password(password), "must_change_password": True, "password_changed_at": now}
    await directory.update_user(
        user_id,
        changes,
        [_changed({**current, **changes}, "password_reset")],
        version=current["version"],
        actor=user.actor(),
        end_sessions=True,
    )
    return IssuedPassword(user=_read(await directory.user_record(user_id)), temporary_password=password)


async def change_own_password(body: PasswordChange, *, user: Principal, directory: Directory, now: datetime) -> None:
    """修改密码: every user, knowing the current one; the policy applies; every session ends (sign in again)."""
    account = await directory.user_by_id(user.user_id)
    current = await directory.user_record(user.user_id)
    if account is None or current is None or not account.active:
        raise NotFound("user_not_found", "用户不存在或已停用 (no such active user)")
    if not verify_password(account.password_hash, body.current_password):
        raise InvalidInput("wrong_password", "当前密码不正确 (the current password is wrong)", field="current_password")
    if body.new_password == body.current_password:
        raise InvalidInput(
            "password_unchanged", "新密码不能与当前密码相同 (choose a different password)", field="new_password"
        )
    check_password_policy(body.new_password, username=account.username, field="new_password")
    changes = {
        "password_hash": hash_password(body.new_password),
        "must_change_password": False,
        "password_changed_at": now,
    }
    await directory.update_user(
        user.user_id,
        changes,
        [_changed({**current, **changes}, "password_changed")],
        version=current["version"],
        actor=user.actor(),
        end_sessions=True,
    )


async def _managed(user_id: str, area: AdminArea, directory: Directory) -> dict[str, Any]:
    """The user, if the administrator's area holds them (else 404) and they hold no role beyond its grant (403)."""
    record = await directory.user_record(user_id)
    if record is None or not area.covers(list(record["org_path"])):
        raise NotFound("user_not_found", f"用户 {user_id} 不存在 (no such user)")
    if beyond := area.ungrantable(list(record["roles"])):
        raise Forbidden(
            "user_beyond_your_rights",
            f"该用户拥有您不能授予的角色（{'、'.join(beyond)}），请联系自治区系统管理员"
            " (the user holds roles only the region's administrators grant)",
        )
    return record


async def _placement(org_id: str, area: AdminArea, directory: Directory) -> tuple[dict[str, Any], list[str]]:
    """The organisation a user is placed in, and its path: it must exist, be active and lie in the area."""
    stored = await directory.organisation(org_id)
    if stored is None:
        raise InvalidInput("unknown_organisation", f"单位 {org_id} 不存在 (no such organisation)", field="org_id")
    doc = stored.org
    path = [*division_path(doc["division_code"]), doc["id"]]
    if not area.covers(path):
        raise InvalidInput(
            "organisation_outside_your_area",
            f"单位 {org_id} 不在您的管理范围内 (the organisation is outside your area)",
            field="org_id",
        )
    if doc.get("active", True) is False:
        raise InvalidInput("organisation_inactive", f"单位 {doc['name']} 已停用 (deactivated)", field="org_id")
    org = {key: doc[key] for key in ("id", "name", "kind", "division_code")} | {"domains": doc.get("domains", [])}
    return org, path


def _check_grant(area: AdminArea, roles: list[str]) -> None:
    if beyond := area.ungrantable(roles):
        raise Forbidden(
            "role_not_grantable",
            f"您不能授予以下角色：{'、'.join(beyond)}，请联系自治区系统管理员"
            " (only the region's administrators grant these)",
            field="roles",
        )


def _not_yourself(user: Principal, user_id: str) -> None:
    if user.user_id == user_id:
        raise DomainError("cannot_deactivate_yourself", "不能停用自己的账号 (you cannot deactivate your own account)")


def _unique(roles: list[str]) -> list[str]:
    return list(dict.fromkeys(roles))


def _changed(record: dict[str, Any], change: str) -> UserChanged:
    return UserChanged(
        user_id=record["id"],
        change=change,
        username=record["username"],
        name=record["name"],
        org_id=record["org"]["id"],
        org_path=list(record["org_path"]),
        roles=list(record["roles"]),
        active=record.get("active", True),
        must_change_password=record.get("must_change_password", False),
    )


def _read(row: dict[str, Any]) -> UserRead:
    org = row["org"]
    return UserRead(
        id=row["id"],
        username=row["username"],
        name=row["name"],
        org_id=org["id"],
        org_name=org["name"],
        org_kind=org["kind"],
        division_code=org["division_code"],
        org_path=list(row["org_path"]),
        roles=list(row["roles"]),
        active=row["active"],
        org_active=row["org_active"],
        must_change_password=row["must_change_password"],
        password_changed_at=row["password_changed_at"],
        created_at=row["created_at"],
        locked_until=row["locked_until"],
    )
