"""Comments on tickets, their watchers, and the desk that holds each ticket now (issue 14): a ticket's
comments are read in the order they were written, a page at a time from a position (`seq`), by an index;
a watcher's row says whether they watch, so a requester who turned watching off stays off.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-05
"""

from alembic import op

from shared.schema import execute

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    execute(
        op,
        [
            """
            CREATE TABLE comments (
                seq bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
                id text PRIMARY KEY,
                ticket_id text NOT NULL,
                author_id text NOT NULL,
                author_name text NOT NULL,
                author_org_name text NOT NULL DEFAULT '',
                body text NOT NULL,
                mentioned_ids text[] NOT NULL DEFAULT '{}',
                attachments jsonb NOT NULL DEFAULT '[]',
                at timestamptz NOT NULL
            )
            """,
            "CREATE INDEX comments_ticket ON comments (ticket_id, seq)",
            """
            CREATE TABLE ticket_watchers (
                ticket_id text NOT NULL,
                user_id text NOT NULL,
                watching boolean NOT NULL,
                reason text NOT NULL,
                at timestamptz NOT NULL,
                PRIMARY KEY (ticket_id, user_id)
            )
            """,
            # Who holds the ticket now, as the last event that moved it said (services/portal/desks.py).
            "ALTER TABLE tickets ADD COLUMN desk jsonb NOT NULL DEFAULT '[]', ADD COLUMN desk_at timestamptz",
        ],
    )


def downgrade() -> None:
    execute(
        op,
        [
            "ALTER TABLE tickets DROP COLUMN desk_at, DROP COLUMN desk",
            "DROP TABLE ticket_watchers",
            "DROP TABLE comments",
        ],
    )
