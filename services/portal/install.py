"""The production start: `python -m services.portal.install` (docker-compose's `install` job).

It creates no demo account (the demo data is services/portal/seed.py, run only when asked: `make run`).
It brings the portal's database to the latest migration, adds the organisation tree's skeleton (the
region's finance department and IT division, and the finance bureau of every league/city and county:
shared.orgtree.base_organisations), and creates **one** system administrator from a secret given at install
time: `FD_ADMIN_PASSWORD_FILE` names a file holding the password (a Docker secret), `FD_ADMIN_USERNAME`
(default `admin`) and `FD_ADMIN_NAME` name the account. The password must pass the password policy, and
must be changed at the first sign-in, so the secret given at install time stops being a password at all.

Idempotent: once an active system administrator exists nothing is created or changed (the secret may be
removed after the first run); missing organisations are added, existing ones kept. docs/operations.md.
"""

import asyncio
import sys
from dataclasses import dataclass
from pathlib import Path

from services.portal.adapters import Directory
from services.portal.passwords import check_password_policy, hash_password
from shared.auth import SYSADMIN
from shared.db import Database
from shared.errors import DomainError
from shared.migrate import upgrade
from shared.orgtree import base_organisations, org_path
from shared.settings import Settings

ADMIN_ORG = "itd"  # 财政厅信息化处: the region's IT division runs the system


class InstallRefused(SystemExit):
    """The install cannot go on; the message says what to give it."""


@dataclass(frozen=True)
class Installed:
    organisations: int
    administrator: str | None  # the user name created, None when an administrator existed already


def read_secret(path: Path | None) -> str:
    if path is None:
        raise InstallRefused(
            "FD_ADMIN_PASSWORD_FILE is not set: give the first administrator's password as a file (docs/operations.md)"
        )
    try:
        secret = path.read_text(encoding="utf-8").strip()
    except OSError as error:
        raise InstallRefused(f"cannot read FD_ADMIN_PASSWORD_FILE {path}: {error.strerror}") from error
    if not secret:
        raise InstallRefused(f"FD_ADMIN_PASSWORD_FILE {path} is empty")
    return secret


async def install(settings: Settings) -> Installed:
    if not settings.database_url:
        raise InstallRefused("FD_DATABASE_URL is not set: the portal's PostgreSQL database is needed")
    await upgrade("portal", settings.database_url)
    db = Database(settings.database_url, max_size=2)
    await db.connect()
    try:
        directory = Directory(db)
        orgs = {org.id: org for org in base_organisations()}
        added = await directory.add_missing_organisations(
            [{**org.to_dict(), "path": org_path(org)} for org in orgs.values()]
        )
        if await directory.has_active_administrator():
            return Installed(added, None)
        password = read_secret(settings.admin_password_file)
        try:
            check_password_policy(password, username=settings.admin_username, field="FD_ADMIN_PASSWORD_FILE")
        except DomainError as refusal:
            raise InstallRefused(f"the first administrator's password is refused: {refusal.message}") from refusal
        org = orgs[ADMIN_ORG]
        administrator = {
            "id": f"u-{settings.admin_username}",
            "username": settings.admin_username,
            "name": settings.admin_name,
            "org": org.to_dict(),
            "org_path": org_path(org),
            "roles": [SYSADMIN],
            "password_hash": hash_password(password),
            "must_change_password": True,
        }
        if not await directory.add_missing_users([administrator]):
            raise InstallRefused(
                f"user {settings.admin_username} exists but is no active system administrator: choose another"
                " FD_ADMIN_USERNAME, or reactivate that account in the database"
            )
        return Installed(added, settings.admin_username)
    finally:
        await db.close()


def main() -> int:
    result = asyncio.run(install(Settings(service_name="portal")))
    print(f"install: added {result.organisations} organisations", file=sys.stderr)
    if result.administrator:
        print(
            f"install: created the system administrator {result.administrator} (change the password at the first"
            " sign-in)",
            file=sys.stderr,
        )
    else:
        print("install: an active system administrator exists; no account was created", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
