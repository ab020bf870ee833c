"""Dispatch's tables: cases with their work orders, and releases (decision 0011).

A case is one row (第六条五～八): the columns are what the IT division's dispatch queue, the vendors' and the
IT division's work-order lists, the requester's verifications, the work-order lookup and the overdue check
filter and sort on, each with an index in the order of its WHERE and ORDER BY; the rest of the case is in
`doc`, its history in `history` (JSONB). `version` guards every update (a lost race is a 409).
`overdue_lease_until` is the overdue check's claim (FOR UPDATE SKIP LOCKED + lease: a claim of a killed
instance expires and is taken over). A release names its tickets in `release_tickets`, whose key makes a
ticket go out in one release only, even when two releases are announced at the same moment.

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

# The work-order stages before 已交付 (services.dispatch.domain.NOT_YET_DELIVERED): "late" means one of these
# past its planned delivery date. Written out here because a migration must not change with the code.
NOT_YET_DELIVERED = "('dispatched', 'accepted', 'in_development', 'in_testing')"


def upgrade() -> None:
    create_outbox_and_inbox(op)
    execute(
        op,
        [
            """
            CREATE TABLE dispatch_cases (
                ticket_id text PRIMARY KEY,
                kind text NOT NULL,
                status text NOT NULL,
                urgency text NOT NULL,
                submitter_id text NOT NULL,
                org_path text[] NOT NULL,
                adopted_at timestamptz NOT NULL,
                work_order_id text,
                vendor_id text,
                work_order_status text,
                planned_delivery date,
                dispatched_at timestamptz,
                overdue_reported boolean NOT NULL DEFAULT false,
                release_id text,
                doc jsonb NOT NULL,
                history jsonb NOT NULL DEFAULT '[]',
                version integer NOT NULL,
                overdue_lease_until timestamptz,
                created_at timestamptz NOT NULL DEFAULT now(),
                updated_at timestamptz NOT NULL DEFAULT now()
            )
            """,
            # 第六条五: the IT division's queue, urgent first, then oldest first.
            "CREATE INDEX dispatch_cases_queue ON dispatch_cases (status, urgency DESC, adopted_at, ticket_id)",
            "CREATE UNIQUE INDEX dispatch_cases_work_order ON dispatch_cases (work_order_id)",
            # Work-order lists, newest first: a vendor's own, every one (IT division, auditors), by stage.
            "CREATE INDEX dispatch_cases_vendor ON dispatch_cases (vendor_id, dispatched_at DESC)",
            "CREATE INDEX dispatch_cases_dispatched ON dispatch_cases (dispatched_at DESC)"
            " WHERE dispatched_at IS NOT NULL",
            "CREATE INDEX dispatch_cases_stage ON dispatch_cases (work_order_status, dispatched_at DESC)",
            "CREATE INDEX dispatch_cases_vendor_stage"
            " ON dispatch_cases (vendor_id, work_order_status, dispatched_at DESC)",
            # Late work orders (the overdue filter of the lists).
            "CREATE INDEX dispatch_cases_late ON dispatch_cases (planned_delivery)"
            f" WHERE work_order_status IN {NOT_YET_DELIVERED}",
            # The periodic overdue check: open, not yet reported, by planned delivery.
            "CREATE INDEX dispatch_cases_overdue_check ON dispatch_cases (planned_delivery)"
            " WHERE status = 'in_progress' AND NOT overdue_reported",
            # 第六条七: what a requester is asked to verify.
            "CREATE INDEX dispatch_cases_requester ON dispatch_cases (submitter_id, status, ticket_id)",
            """
            CREATE TABLE releases (
                id text PRIMARY KEY,
                release_version text NOT NULL UNIQUE,
                release_date date NOT NULL,
                title text NOT NULL,
                notes text NOT NULL,
                ticket_ids text[] NOT NULL,
                manual_url text NOT NULL,
                video_url text NOT NULL,
                report_guide_url text NOT NULL,
                announced_at timestamptz NOT NULL,
                announced_by jsonb NOT NULL,
                version integer NOT NULL
            )
            """,
            "CREATE INDEX releases_announced_at ON releases (announced_at DESC, id DESC)",
            """
            CREATE TABLE release_tickets (
                ticket_id text PRIMARY KEY,
                release_id text NOT NULL REFERENCES releases (id)
            )
            """,
            "CREATE INDEX release_tickets_release ON release_tickets (release_id)",
        ],
    )


def downgrade() -> None:
    execute(op, ["DROP TABLE release_tickets", "DROP TABLE releases", "DROP TABLE dispatch_cases"])
    drop_outbox_and_inbox(op)
