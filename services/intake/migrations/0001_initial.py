"""Intake's tables: requirements (drafts included), attachment bytes, the region's calendar corrections and
extra windows, problems as reported, its copy of the org directory, rate-limit counters, outbox and inbox.

Revision ID: 0001
Revises:
Create Date: 2026-12-02
"""

from alembic import op

from shared.ratelimit import RATE_LIMITS_INDEX, RATE_LIMITS_TABLE
from shared.schema import create_outbox_and_inbox, drop_outbox_and_inbox, execute

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_outbox_and_inbox(op)
    execute(
        op,
        [
            # The columns lists filter and sort on; the form, names and history in `doc`.
            """
            CREATE TABLE requirements (
                id text PRIMARY KEY,
                status text NOT NULL,
                submitter_id text NOT NULL,
                org_path text[] NOT NULL,
                submitted_at timestamptz NOT NULL,
                updated_at timestamptz NOT NULL,
                -- A spreadsheet row's key (第四条: the same file uploaded twice submits nothing twice);
                -- NULL for form entries, which a unique index lets be many.
                import_key text UNIQUE,
                attachments jsonb NOT NULL DEFAULT '[]',
                doc jsonb NOT NULL,
                version integer NOT NULL
            )
            """,
            # A unit's own (mine=true), newest first.
            "CREATE INDEX requirements_submitter ON requirements (submitter_id, submitted_at DESC)",
            # A bureau's or a unit's area: the organisation path contains the division code or the org id.
            "CREATE INDEX requirements_org_path ON requirements USING gin (org_path)",
            "CREATE INDEX requirements_status ON requirements (status, submitted_at DESC)",
            # The region's list: everything but drafts, newest first.
            "CREATE INDEX requirements_listed ON requirements (submitted_at DESC) WHERE status <> 'draft'",
            """
            CREATE TABLE attachment_files (
                id text PRIMARY KEY,
                requirement_id text NOT NULL REFERENCES requirements (id),
                content bytea NOT NULL
            )
            """,
            "CREATE INDEX attachment_files_requirement ON attachment_files (requirement_id)",
            # 第五条: the region's corrections of the official calendar; a withdrawn one keeps its row with
            # is_workday NULL, for the record.
            """
            CREATE TABLE calendar_overrides (
                day date PRIMARY KEY,
                is_workday boolean,
                note text NOT NULL DEFAULT '',
                by text NOT NULL,
                at timestamptz NOT NULL
            )
            """,
            "CREATE INDEX calendar_overrides_in_force ON calendar_overrides (day) WHERE is_workday IS NOT NULL",
            """
            CREATE TABLE submission_windows (
                id text PRIMARY KEY,
                opens_at timestamptz NOT NULL,
                closes_at timestamptz NOT NULL,
                reason text NOT NULL,
                by text NOT NULL
            )
            """,
            "CREATE INDEX submission_windows_closes ON submission_windows (closes_at)",
            """
            CREATE TABLE problems (
                id text PRIMARY KEY,
                category text NOT NULL,
                org_path text[] NOT NULL,
                recorded_by text,
                reported_at timestamptz NOT NULL,
                doc jsonb NOT NULL,
                version integer NOT NULL
            )
            """,
            "CREATE INDEX problems_org_path ON problems USING gin (org_path)",
            "CREATE INDEX problems_category ON problems (category, reported_at DESC)",
            "CREATE INDEX problems_reported ON problems (reported_at DESC)",
            # The portal's directory as its OrganisationChanged events last told it (services/intake/directory.py).
            """
            CREATE TABLE organisations (
                id text PRIMARY KEY,
                name text NOT NULL,
                kind text NOT NULL,
                division_code text NOT NULL,
                domains text[] NOT NULL,
                active boolean NOT NULL,
                changed_at timestamptz NOT NULL
            )
            """,
            RATE_LIMITS_TABLE,
            RATE_LIMITS_INDEX,
        ],
    )


def downgrade() -> None:
    execute(
        op,
        [
            "DROP TABLE rate_limits",
            "DROP TABLE organisations",
            "DROP TABLE problems",
            "DROP TABLE submission_windows",
            "DROP TABLE calendar_overrides",
            "DROP TABLE attachment_files",
            "DROP TABLE requirements",
        ],
    )
    drop_outbox_and_inbox(op)
