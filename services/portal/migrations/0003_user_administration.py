"""User administration (issue 15, item 1): a password set by someone else must be changed at the first
sign-in, when each password was set, a version for guarded edits, and the indexes of the administrators'
lists (users of an area, newest first) and of ending every session of one user.

An organisation's `active` flag stays in its document (organisations.doc), as the directory writes it;
the sign-in reads it beside the user's own flag.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-04
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
            "ALTER TABLE users ADD COLUMN must_change_password boolean NOT NULL DEFAULT false",
            "ALTER TABLE users ADD COLUMN password_changed_at timestamptz",
            "ALTER TABLE users ADD COLUMN created_at timestamptz NOT NULL DEFAULT now()",
            "ALTER TABLE users ADD COLUMN version integer NOT NULL DEFAULT 1",
            # The administrators' lists: users whose org_path contains the area (a division or an organisation).
            "CREATE INDEX users_org_path ON users USING gin (org_path)",
            "CREATE INDEX users_newest ON users (created_at DESC, id DESC)",
            # A reset password or a deactivated account ends every session of that user.
            "CREATE INDEX refresh_tokens_user ON refresh_tokens (user_id) WHERE NOT used",
        ],
    )


def downgrade() -> None:
    execute(
        op,
        [
            "DROP INDEX refresh_tokens_user",
            "DROP INDEX users_newest",
            "DROP INDEX users_org_path",
            "ALTER TABLE users DROP COLUMN version",
            "ALTER TABLE users DROP COLUMN created_at",
            "ALTER TABLE users DROP COLUMN password_changed_at",
            "ALTER TABLE users DROP COLUMN must_change_password",
        ],
    )
