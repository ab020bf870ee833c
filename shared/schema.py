"""What every service's database has besides its own tables: the outbox and the inbox (decision 0011).

Each service's first migration calls `create_outbox_and_inbox(op)`; `execute` runs raw SQL statements
(one statement a call: the driver prepares each, and SQLAlchemy must not read `:name` as a parameter).
"""

from collections.abc import Iterable
from typing import Any

OUTBOX_AND_INBOX = (
    """
    CREATE TABLE outbox (
        position bigserial PRIMARY KEY,
        event_id text NOT NULL UNIQUE,
        topic text NOT NULL,
        key text NOT NULL,
        envelope jsonb NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
    )
    """,
    # A commit that wrote outbox rows wakes the relay (it LISTENs; polling is only the fallback).
    """
    CREATE FUNCTION notify_outbox() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        PERFORM pg_notify('fiscaldesk_outbox', '');
        RETURN NULL;
    END
    $$
    """,
    "CREATE TRIGGER outbox_notify AFTER INSERT ON outbox FOR EACH STATEMENT EXECUTE FUNCTION notify_outbox()",
    """
    CREATE TABLE inbox (
        consumer text NOT NULL,
        event_id text NOT NULL,
        type text NOT NULL,
        processed_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (consumer, event_id)
    )
    """,
)


def execute(op: Any, statements: str | Iterable[str]) -> None:
    """Run raw SQL in a migration, statement by statement, exactly as written."""
    for statement in [statements] if isinstance(statements, str) else statements:
        op.get_bind().exec_driver_sql(statement)


def create_outbox_and_inbox(op: Any) -> None:
    execute(op, OUTBOX_AND_INBOX)


def drop_outbox_and_inbox(op: Any) -> None:
    execute(op, ["DROP TABLE inbox", "DROP TABLE outbox", "DROP FUNCTION notify_outbox()"])
