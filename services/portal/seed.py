"""Demo data: an Inner Mongolia–sized region and one user per role.  `python -m services.portal.seed --demo`

Only when asked: the demo accounts share a published password, so a production start never runs this
(it runs services/portal/install.py, which creates one administrator from a secret). `make run` asks for
it (infra/launcher.py), and so do the tests. It runs before the services start, so it first brings the
portal's database to the latest migration. Idempotent: what is missing is added, what exists (perhaps
edited by administrators since) is kept.
Every demo user's password is DEMO_PASSWORD; the hash is computed once and
shared, since hashing hundreds of argon2 passwords would slow every start for nothing.
"""

import argparse
import asyncio
from typing import Any

from services.portal.adapters import Directory
from services.portal.passwords import DEMO_PASSWORD, hash_password
from shared.auth import (
    AUDITOR,
    BUSINESS_DIVISION,
    DUTY_OPERATOR,
    IT_DIVISION,
    ORG_ADMIN,
    REVIEWER,
    SUBMITTER,
    SYSADMIN,
    UNIT_ADMIN,
    VENDOR,
)
from shared.db import Database
from shared.migrate import upgrade
from shared.orgtree import Organisation, demo_organisations, org_path
from shared.settings import Settings

__all__ = ["DEMO_PASSWORD", "DEMO_USERS", "demo_users", "seed"]

# username, name, organisation id, roles
DEMO_USERS: list[tuple[str, str, str, list[str]]] = [
    ("submitter", "张敏", "bu-150102-01", [SUBMITTER]),
    ("unitadmin", "李强", "bu-150102-01", [UNIT_ADMIN, SUBMITTER]),
    ("submitter2", "王芳", "bu-150202-01", [SUBMITTER]),
    ("county", "赵磊", "fb-150102", [REVIEWER, SUBMITTER]),
    ("county2", "孙静", "fb-150202", [REVIEWER, SUBMITTER]),
    ("city", "周伟", "fb-150100", [REVIEWER, SUBMITTER]),
    ("region", "吴刚", "fb-150000", [REVIEWER]),
    ("itdiv", "郑洁", "itd", [IT_DIVISION]),
    ("bizdiv", "冯涛", "bd-budget", [BUSINESS_DIVISION]),
    ("duty", "陈晨", "itd", [DUTY_OPERATOR]),
    ("vendor1", "褚明", "vendor-a", [VENDOR]),
    ("vendor2", "卫东", "vendor-b", [VENDOR]),
    ("bank", "蒋丽", "fi-150000-abc", [SUBMITTER]),
    ("auditor", "沈审", "itd", [AUDITOR]),
    ("admin", "韩管", "itd", [SYSADMIN]),
    ("countyadmin", "白雪", "fb-150102", [ORG_ADMIN]),  # 新城区's administrator: its users only
]


def demo_users(orgs: dict[str, Organisation], password_hash: str) -> list[dict[str, Any]]:
    users = []
    for username, name, org_id, roles in DEMO_USERS:
        org = orgs[org_id]
        users.append(
            {
                "id": f"u-{username}",
                "username": username,
                "name": name,
                "org": org.to_dict(),
                "org_path": org_path(org),
                "roles": roles,
                "password_hash": password_hash,
                "vendor_id": org.id if org.kind == "vendor" else None,
                "active": True,
            }
        )
    return users


async def seed(settings: Settings) -> dict[str, int]:
    if not settings.database_url:
        raise SystemExit("FD_DATABASE_URL is not set: the portal's PostgreSQL database is needed")
    await upgrade("portal", settings.database_url)
    db = Database(settings.database_url, max_size=2)
    await db.connect()
    try:
        directory = Directory(db)
        orgs = {org.id: org for org in demo_organisations()}
        added_orgs = await directory.add_missing_organisations(
            [{**org.to_dict(), "path": org_path(org)} for org in orgs.values()]
        )
        added_users = await directory.add_missing_users(demo_users(orgs, hash_password(DEMO_PASSWORD)))
        return {"organisations": added_orgs, "users": added_users}
    finally:
        await db.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="Demo organisations and users (password Fiscal@2026).")
    parser.add_argument("--demo", action="store_true", required=True, help="yes, create the demo accounts")
    parser.parse_args()
    counts = asyncio.run(seed(Settings(service_name="portal")))
    print(f"demo data: added {counts['organisations']} organisations and {counts['users']} users")
