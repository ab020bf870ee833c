"""Wrong passwords counted per user name and source, and per user name from any source, whether or not the
name exists (so the answers reveal nothing), with progressive locks (docs/security.md).

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-03
"""

from alembic import op

from shared.schema import execute

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    execute(
        op,
        [
            # `key` is "<user name>@<source>" or "<user name>" (every source). `locks` counts the locks of the
            # last day: each lasts twice the one before. Rows untouched for a day are swept.
            """
            CREATE TABLE sign_in_failures (
                key text PRIMARY KEY,
                failures integer NOT NULL,
                locks integer NOT NULL DEFAULT 0,
                locked_until timestamptz,
                last_failure_at timestamptz NOT NULL
            )
            """,
            "CREATE INDEX sign_in_failures_last ON sign_in_failures (last_failure_at)",
        ],
    )


def downgrade() -> None:
    execute(op, ["DROP TABLE sign_in_failures"])
