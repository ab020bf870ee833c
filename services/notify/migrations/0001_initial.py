"""Notify's tables: the delivery queue, the in-app inbox, announcements, the scheme's versions, robots,
preferences and the robots' send log (decision 0011).

Revision ID: 0001
Revises:
Create Date: 2026-12-03
"""

from alembic import op

from shared.schema import create_outbox_and_inbox, drop_outbox_and_inbox, execute

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

TABLES = (
    # One row per (event, recipient, channel): the id is exactly that triple (the CHECK), so planning the
    # deliveries of a redelivered event inserts nothing (ON CONFLICT DO NOTHING). A worker claims a row by
    # setting state 'sending', a lease and a fresh lease_token (FOR UPDATE SKIP LOCKED); only the holder of
    # the token records the outcome. `claimable_at` is when a worker may take it: a pending delivery when it
    # is due, a sending one when its lease has run out (its worker died), never a finished one.
    """
    CREATE TABLE deliveries (
        id text PRIMARY KEY,
        event_id text NOT NULL,
        recipient text NOT NULL,
        channel text NOT NULL,
        message_key text NOT NULL,
        ticket_id text NOT NULL,
        state text NOT NULL CHECK (state IN ('pending', 'sending', 'sent', 'failed', 'permanent', 'skipped')),
        attempts integer NOT NULL DEFAULT 0,
        created_at timestamptz NOT NULL,
        next_attempt_at timestamptz,
        lease_until timestamptz,
        lease_token text,
        claimed_by text,
        claims integer NOT NULL DEFAULT 0,
        reason text,
        last_error text,
        sent_at timestamptz,
        updated_at timestamptz,
        scheme_version integer,
        doc jsonb NOT NULL DEFAULT '{}',
        claimable_at timestamptz GENERATED ALWAYS AS (
            CASE state WHEN 'pending' THEN next_attempt_at WHEN 'sending' THEN lease_until END
        ) STORED,
        CONSTRAINT deliveries_id_is_event_recipient_channel CHECK (id = event_id || ':' || recipient || ':' || channel)
    )
    """,
    "CREATE INDEX deliveries_claimable ON deliveries (claimable_at) WHERE claimable_at IS NOT NULL",
    "CREATE INDEX deliveries_created ON deliveries (created_at DESC)",
    "CREATE INDEX deliveries_ticket ON deliveries (ticket_id, created_at DESC)",
    "CREATE INDEX deliveries_state ON deliveries (state, created_at DESC)",
    "CREATE INDEX deliveries_channel ON deliveries (channel, created_at DESC)",
    "CREATE INDEX deliveries_message ON deliveries (message_key, channel)",
    # New deliveries wake the workers of every instance (they LISTEN; polling is only the fallback).
    """
    CREATE FUNCTION notify_deliveries() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        PERFORM pg_notify('fiscaldesk_deliveries', '');
        RETURN NULL;
    END
    $$
    """,
    "CREATE TRIGGER deliveries_added AFTER INSERT ON deliveries"
    " FOR EACH STATEMENT EXECUTE FUNCTION notify_deliveries()",
    # The in-app inbox: one notification per (event, recipient), read by every user the recipient covers
    # (a role at an organisation is many users), so who has read it is a row per (user, notification).
    """
    CREATE TABLE notifications (
        id text PRIMARY KEY,
        recipient text NOT NULL,
        message_key text NOT NULL,
        ticket_id text NOT NULL,
        created_at timestamptz NOT NULL,
        doc jsonb NOT NULL
    )
    """,
    "CREATE INDEX notifications_inbox ON notifications (recipient, created_at DESC, id)",
    """
    CREATE TABLE notification_reads (
        user_id text NOT NULL,
        notification_id text NOT NULL REFERENCES notifications (id) ON DELETE CASCADE,
        read_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (user_id, notification_id)
    )
    """,
    "CREATE INDEX notification_reads_notification ON notification_reads (notification_id)",
    # 通知公告: the audience as arrays (GIN), the two flags answer "everyone" / "any role" without them.
    """
    CREATE TABLE announcements (
        id text PRIMARY KEY,
        kind text NOT NULL,
        title text NOT NULL,
        body text NOT NULL,
        links jsonb NOT NULL DEFAULT '{}',
        published_at timestamptz NOT NULL,
        visible_from timestamptz NOT NULL,
        visible_until timestamptz,
        pinned boolean NOT NULL DEFAULT false,
        audience_everywhere boolean NOT NULL,
        audience_any_role boolean NOT NULL,
        audience_division_prefixes text[] NOT NULL DEFAULT '{}',
        audience_org_ids text[] NOT NULL DEFAULT '{}',
        audience_roles text[] NOT NULL DEFAULT '{}',
        created_by text NOT NULL
    )
    """,
    "CREATE INDEX announcements_board ON announcements (pinned DESC, published_at DESC)",
    "CREATE INDEX announcements_published ON announcements (published_at DESC)",
    # Versions of the scheme are never changed: saving is inserting the next number (two administrators
    # saving on one base version: the primary key lets one win, the other gets 409).
    """
    CREATE TABLE scheme_versions (
        version integer PRIMARY KEY,
        events jsonb NOT NULL,
        created_by text NOT NULL,
        created_at timestamptz NOT NULL,
        note text NOT NULL DEFAULT ''
    )
    """,
    """
    CREATE TABLE robots (
        id text PRIMARY KEY,
        name text NOT NULL,
        key text NOT NULL,
        org_ids text[] NOT NULL DEFAULT '{}',
        division_prefix text,
        msgtype text NOT NULL DEFAULT 'markdown',
        enabled boolean NOT NULL DEFAULT true,
        disabled_reason text,
        disabled_at timestamptz,
        disabled_count integer NOT NULL DEFAULT 0
    )
    """,
    "CREATE INDEX robots_org_ids ON robots USING gin (org_ids)",
    "CREATE INDEX robots_division_prefix ON robots (division_prefix)",
    # A user's choices as they sent them (channels per category, quiet hours, WeChat binding, language).
    """
    CREATE TABLE preferences (
        user_id text PRIMARY KEY,
        doc jsonb NOT NULL,
        updated_at timestamptz NOT NULL
    )
    """,
    # The WeCom robot's sliding window: the times of its last `limit` sends, taken one at a time by one
    # conditional upsert (throttle.py).
    """
    CREATE TABLE robot_sends (
        robot text PRIMARY KEY,
        sends timestamptz[] NOT NULL
    )
    """,
)


def upgrade() -> None:
    create_outbox_and_inbox(op)
    execute(op, TABLES)


def downgrade() -> None:
    execute(
        op,
        [
            "DROP TABLE robot_sends",
            "DROP TABLE preferences",
            "DROP TABLE robots",
            "DROP TABLE scheme_versions",
            "DROP TABLE announcements",
            "DROP TABLE notification_reads",
            "DROP TABLE notifications",
            "DROP TABLE deliveries",
            "DROP FUNCTION notify_deliveries()",
        ],
    )
    drop_outbox_and_inbox(op)
