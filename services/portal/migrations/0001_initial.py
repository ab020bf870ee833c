"""The portal's tables: users and their sessions, the organisation directory, the read model of every
ticket (its row and its timeline), the hash-chained audit trail, rate-limit counters, outbox and inbox.

Columns are what a list, lookup or counter filters and sorts on, each served by an index; the ticket's
milestones are columns of their own (`m_<milestone>`, the earliest time kept with LEAST) so the dashboard
can compute its figures in SQL.

Revision ID: 0001
Revises:
Create Date: 2026-12-03
"""

from alembic import op

from shared.audit import AUDIT_INDEXES, AUDIT_TABLE
from shared.ratelimit import RATE_LIMITS_INDEX, RATE_LIMITS_TABLE
from shared.schema import create_outbox_and_inbox, drop_outbox_and_inbox, execute

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

MILESTONES = (
    "submitted", "reported", "review_completed", "refined", "confirmed", "published", "dispatched",
    "delivered", "verification_requested", "verified", "released", "closed",
)  # fmt: skip


def upgrade() -> None:
    create_outbox_and_inbox(op)
    milestone_columns = ",\n".join(f"m_{name} timestamptz" for name in MILESTONES)
    execute(
        op,
        [
            # Keyword search over ticket ids, titles and descriptions in Chinese: trigrams serve ILIKE '%…%'.
            "CREATE EXTENSION IF NOT EXISTS pg_trgm",
            """
            CREATE TABLE users (
                id text PRIMARY KEY,
                username text NOT NULL UNIQUE,
                name text NOT NULL,
                org jsonb NOT NULL,
                org_path text[] NOT NULL,
                roles text[] NOT NULL,
                password_hash text NOT NULL,
                vendor_id text,
                active boolean NOT NULL DEFAULT true,
                failed_sign_ins integer NOT NULL DEFAULT 0,
                locked_until timestamptz
            )
            """,
            # Refresh tokens by digest; a family is one sign-in's chain of rotated tokens (revoked together).
            """
            CREATE TABLE refresh_tokens (
                digest text PRIMARY KEY,
                user_id text NOT NULL,
                family text NOT NULL,
                expires_at timestamptz NOT NULL,
                used boolean NOT NULL DEFAULT false
            )
            """,
            "CREATE INDEX refresh_tokens_family ON refresh_tokens (family)",
            """
            CREATE TABLE organisations (
                id text PRIMARY KEY,
                kind text NOT NULL,
                division_code text NOT NULL,
                doc jsonb NOT NULL,
                version integer NOT NULL DEFAULT 1
            )
            """,
            # The directory's lists: by division (and kind), by kind, ordered by id.
            "CREATE INDEX organisations_division ON organisations (division_code, kind, id)",
            "CREATE INDEX organisations_kind ON organisations (kind, id)",
            f"""
            CREATE TABLE tickets (
                id text PRIMARY KEY,
                kind text,
                title text,
                description text,
                category text,
                urgency text,
                org_id text,
                org_name text,
                org_path text[] NOT NULL DEFAULT '{{}}',
                submitter_id text,
                channel text,
                submitted_at timestamptz,
                split_from text,
                status text,
                status_at timestamptz,
                review_level text,
                review_at timestamptz,
                adopted boolean,
                decision_at timestamptz,
                work_order_id text,
                vendor_id text,
                planned_delivery text,
                work_order_at timestamptz,
                {milestone_columns},
                updated_at timestamptz NOT NULL DEFAULT now(),
                search_text text GENERATED ALWAYS AS
                    (id || ' ' || coalesce(title, '') || ' ' || coalesce(description, '')) STORED
            )
            """,
            # Principal.area_scope(): org_path @> ARRAY[division or organisation].
            "CREATE INDEX tickets_org_path ON tickets USING gin (org_path)",
            # The lists, newest first: all, by status, by kind; the dashboard's month range.
            "CREATE INDEX tickets_newest ON tickets (submitted_at DESC NULLS LAST, id DESC)",
            "CREATE INDEX tickets_status ON tickets (status, submitted_at DESC NULLS LAST, id DESC)",
            "CREATE INDEX tickets_kind ON tickets (kind, submitted_at DESC NULLS LAST, id DESC)",
            "CREATE INDEX tickets_updated ON tickets (updated_at DESC)",
            "CREATE INDEX tickets_search ON tickets USING gin (search_text gin_trgm_ops)",
            """
            CREATE TABLE timeline (
                id text PRIMARY KEY,
                ticket_id text NOT NULL,
                type text NOT NULL,
                label text NOT NULL,
                detail text NOT NULL,
                at timestamptz NOT NULL,
                actor jsonb NOT NULL,
                source text NOT NULL,
                correlation_id text
            )
            """,
            "CREATE INDEX timeline_ticket ON timeline (ticket_id, at, id)",
            AUDIT_TABLE,
            *AUDIT_INDEXES,
            RATE_LIMITS_TABLE,
            RATE_LIMITS_INDEX,
        ],
    )


def downgrade() -> None:
    execute(
        op,
        [
            "DROP TABLE rate_limits",
            "DROP TABLE audit",
            "DROP TABLE timeline",
            "DROP TABLE tickets",
            "DROP TABLE organisations",
            "DROP TABLE refresh_tokens",
            "DROP TABLE users",
        ],
    )
    drop_outbox_and_inbox(op)
