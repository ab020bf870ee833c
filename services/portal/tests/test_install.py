"""The production start path without Docker: services/portal/install.py on an empty database creates the
organisation skeleton and one system administrator from the secret, and no demo account; its password must
be changed at the first sign-in; a second run changes nothing; a missing or weak secret stops it."""

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest

from infra.launcher import Stack
from services.portal.adapters import Directory, RefreshTokens, SignInGuard
from services.portal.domain import LockoutPolicy
from services.portal.handlers import TokenPolicy, sign_in
from services.portal.install import InstallRefused, install
from services.portal.seed import DEMO_PASSWORD, DEMO_USERS
from shared.auth import SYSADMIN, KeySet, ensure_keys
from shared.db import Database
from shared.events import utcnow
from shared.orgtree import divisions
from shared.settings import Settings
from tests.databases import scratch_database

SECRET = "Qingcheng-Install-2026"


@pytest.fixture
async def empty_database(stack: Stack) -> AsyncIterator[str]:
    async with scratch_database(stack.admin_database_url, "portal", migrate=False) as url:
        yield url


def settings(url: str, secret_file: Path | None) -> Settings:
    return Settings(service_name="portal", database_url=url, admin_password_file=secret_file)


def secret(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "admin-password"
    path.write_text(text + "\n")
    path.chmod(0o600)
    return path


async def users_of(url: str) -> list[dict]:
    db = Database(url, max_size=1)
    await db.connect()
    try:
        rows = await db.fetch("SELECT username, roles, must_change_password, active FROM users ORDER BY username")
        orgs = await db.fetch("SELECT id FROM organisations")
        return [dict(row) for row in rows], [row["id"] for row in orgs]
    finally:
        await db.close()


async def test_a_production_start_creates_one_administrator_from_the_secret_and_no_demo_user(
    empty_database: str, tmp_path: Path
) -> None:
    result = await install(settings(empty_database, secret(tmp_path, SECRET)))
    assert result.administrator == "admin"

    users, orgs = await users_of(empty_database)
    assert users == [{"username": "admin", "roles": [SYSADMIN], "must_change_password": True, "active": True}]
    assert not {username for username, *_ in DEMO_USERS} - {"admin"} & {u["username"] for u in users}
    # The skeleton only: every division's finance bureau and the IT division; no demo unit, vendor or bank.
    assert len(orgs) == len(divisions()) + 1
    assert all(org.startswith("fb-") or org == "itd" for org in orgs)

    # The administrator signs in with the secret and is told to change it first.
    db = Database(empty_database, max_size=2)
    await db.connect()
    try:
        ensure_keys(tmp_path / "keys")
        answer = await sign_in(
            "admin",
            SECRET,
            source="127.0.0.1",
            now=utcnow(),
            directory=Directory(db),
            sessions=RefreshTokens(db),
            tokens=TokenPolicy(KeySet(tmp_path / "keys"), 30, 7),
            guard=SignInGuard(db, LockoutPolicy(5, timedelta(minutes=15))),
        )
    finally:
        await db.close()
    assert answer["must_change_password"] is True
    assert answer["user"]["roles"] == [SYSADMIN] and answer["user"]["org_id"] == "itd"

    # A second start (every `docker compose up`) creates and changes nothing, whatever the secret says now.
    again = await install(settings(empty_database, secret(tmp_path, "Another-Secret-2027")))
    assert again == type(again)(0, None)
    assert (await users_of(empty_database))[0] == users


async def test_a_production_start_without_a_usable_secret_creates_no_account(
    empty_database: str, tmp_path: Path
) -> None:
    with pytest.raises(InstallRefused, match="FD_ADMIN_PASSWORD_FILE is not set"):
        await install(settings(empty_database, None))
    with pytest.raises(InstallRefused, match="cannot read"):
        await install(settings(empty_database, tmp_path / "missing"))
    for weak in ("short1", "onlyletters-here", DEMO_PASSWORD, "admin-2026-pass"):
        with pytest.raises(InstallRefused, match="refused"):
            await install(settings(empty_database, secret(tmp_path, weak)))
    users, _ = await users_of(empty_database)
    assert users == []
