"""Attachments of a problem report and of comments (issue 14): a file belongs to a ticket (`ticket_id`, a
requirement or a problem) rather than to a requirement alone, and keeps its description beside its bytes,
so the portal can ask whether an attachment a comment names is the commenter's, for that ticket.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-05
"""

from alembic import op

from shared.schema import execute

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    execute(
        op,
        [
            "ALTER TABLE attachment_files ALTER COLUMN requirement_id DROP NOT NULL,"
            " ADD COLUMN ticket_id text, ADD COLUMN purpose text NOT NULL DEFAULT 'requirement',"
            " ADD COLUMN description jsonb",
            "CREATE INDEX attachment_files_ticket ON attachment_files (ticket_id, purpose) WHERE ticket_id IS NOT NULL",
        ],
    )


def downgrade() -> None:
    execute(
        op,
        [
            "DROP INDEX attachment_files_ticket",
            "DELETE FROM attachment_files WHERE requirement_id IS NULL",
            "ALTER TABLE attachment_files DROP COLUMN description, DROP COLUMN purpose, DROP COLUMN ticket_id,"
            " ALTER COLUMN requirement_id SET NOT NULL",
        ],
    )
