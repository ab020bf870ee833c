"""Who uploaded each attachment, when and how large, so a user's uploads of a day can be counted against
their quota (attachments.DAILY_BYTES_PER_USER) from an index, never by reading the files.

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
            "ALTER TABLE attachment_files ADD COLUMN uploaded_by text NOT NULL DEFAULT '',"
            " ADD COLUMN size bigint NOT NULL DEFAULT 0,"
            " ADD COLUMN uploaded_at timestamptz NOT NULL DEFAULT now()",
            "UPDATE attachment_files SET size = octet_length(content) WHERE size = 0",
            "CREATE INDEX attachment_files_uploader ON attachment_files (uploaded_by, uploaded_at) INCLUDE (size)",
        ],
    )


def downgrade() -> None:
    execute(
        op,
        [
            "DROP INDEX attachment_files_uploader",
            "ALTER TABLE attachment_files DROP COLUMN uploaded_at, DROP COLUMN size, DROP COLUMN uploaded_by",
        ],
    )
