"""Alembic's environment for every service: the service's own migrations (services/<service>/migrations)
applied to its own database, one instance at a time (an advisory lock held for the transaction)."""

import asyncio

from alembic import context
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

MIGRATION_LOCK = 0x6D696772  # pg_advisory_xact_lock key: two instances starting together migrate one by one


def run_migrations(connection) -> None:  # a SQLAlchemy Connection
    context.configure(connection=connection, target_metadata=None)
    with context.begin_transaction():
        connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK})")
        context.run_migrations()


async def main() -> None:
    url = context.config.attributes["url"]
    engine = create_async_engine(url.replace("postgresql://", "postgresql+asyncpg://", 1), poolclass=NullPool)
    try:
        async with engine.connect() as connection:
            await connection.run_sync(run_migrations)
    finally:
        await engine.dispose()


if context.is_offline_mode():
    raise SystemExit("offline (SQL script) mode is not supported: migrations run against the database")
asyncio.run(main())
