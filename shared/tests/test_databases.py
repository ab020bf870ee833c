"""The store's ground rules (decision 0011): every service in a database of its own that no other service's
role may open, and every service's migrations run from an empty database to head, down and up again."""

import asyncio

import asyncpg
import pytest
from alembic import command

from infra.launcher import SERVICES, Stack, with_database
from shared.migrate import alembic_config, migrations_dir, upgrade_sync
from tests.databases import scratch_database

MIGRATED = [name for name in SERVICES if any(migrations_dir(name).glob("0*.py"))]


async def test_each_service_role_opens_its_own_database_and_no_other(stack: Stack) -> None:
    for service in SERVICES:
        own = await asyncpg.connect(stack.database_url(service))
        try:
            assert await own.fetchval("SELECT current_user") == stack.database_role(service)
            assert await own.fetchval("SELECT count(*) FROM pg_extension WHERE extname = 'pg_trgm'") == 1
        finally:
            await own.close()
        for other in SERVICES:
            if other == service:
                continue
            foreign = with_database(stack.database_url(service), stack.database_role(other))
            with pytest.raises(asyncpg.InsufficientPrivilegeError, match="CONNECT"):
                await asyncpg.connect(foreign)


@pytest.mark.parametrize("service", MIGRATED)
async def test_migrations_run_from_an_empty_database_to_head_down_to_nothing_and_up_again(
    stack: Stack, service: str
) -> None:
    async with scratch_database(stack.admin_database_url, service, migrate=False) as url:
        await asyncio.to_thread(upgrade_sync, service, url)
        tables = await user_tables(url)
        assert {"outbox", "inbox"} <= tables, f"{service}: the outbox and inbox come with the first migration"
        await asyncio.to_thread(command.downgrade, alembic_config(service, url), "base")
        assert await user_tables(url) == {"alembic_version"}, f"{service}: downgrade leaves tables behind"
        await asyncio.to_thread(upgrade_sync, service, url)
        assert await user_tables(url) == tables


async def user_tables(url: str) -> set[str]:
    conn = await asyncpg.connect(url)
    try:
        rows = await conn.fetch("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
    finally:
        await conn.close()
    return {row["tablename"] for row in rows}
