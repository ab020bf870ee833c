"""Throw-away PostgreSQL databases for a service's database-level tests (repositories, query plans).

Each is created with the test cluster's admin connection (`Stack.admin_database_url`), migrated to the
service's head, and dropped afterwards, so a test module never touches the running services' data."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from uuid import uuid4

import asyncpg

from infra.launcher import with_database
from shared.migrate import upgrade


@asynccontextmanager
async def scratch_database(admin_url: str, service: str, *, migrate: bool = True) -> AsyncIterator[str]:
    """A new database (UTF-8 with C.UTF-8 character classes, so pg_trgm sees Chinese characters as word
    characters), at `service`'s migration head unless `migrate` is off; its URL is yielded, the database
    is dropped on exit."""
    name = f"scratch_{service}_{uuid4().hex[:10]}"
    admin = await asyncpg.connect(admin_url)
    try:
        await admin.execute(
            f"CREATE DATABASE {name} TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C.UTF-8' LC_CTYPE 'C.UTF-8'"
        )
    finally:
        await admin.close()
    url = with_database(admin_url, name)
    try:
        if migrate:
            await upgrade(service, url)
        yield url
    finally:
        admin = await asyncpg.connect(admin_url)
        try:
            await admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        finally:
            await admin.close()
