"""Review's tables: review cases and publications (第三条, 第六条一～四), problem cases, FAQ entries and the
region's calendar corrections (第七条–第十一条), outbox and inbox.

Each aggregate is a row: the columns its queues, lists, lookups and periodic checks filter and sort on
(each with an index that serves its WHERE and ORDER BY), the rest of the aggregate in `doc`, and `version`
for the guarded update (a lost race is a 409, never an overwrite).

Revision ID: 0001
Revises:
Create Date: 2026-12-02
"""

from alembic import op

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
            # Keyword search over ids, titles and descriptions in Chinese: trigram indexes serve ILIKE '%…%'.
            "CREATE EXTENSION IF NOT EXISTS pg_trgm",
            """
            CREATE TABLE review_cases (
                id text PRIMARY KEY,
                status text NOT NULL,
                title text NOT NULL,
                description text NOT NULL DEFAULT '',
                category text NOT NULL DEFAULT '',
                urgency text NOT NULL DEFAULT 'normal',
                org_id text NOT NULL DEFAULT '',
                org_path text[] NOT NULL,
                submitted_month text NOT NULL DEFAULT '',
                business_division_id text,
                batch_id text,
                -- The open task (NULL when no finance bureau has the case): a bureau's queue.
                current_level text,
                current_division text,
                current_opened_at timestamptz,
                current_overdue_at timestamptz,
                opened_at timestamptz NOT NULL,
                updated_at timestamptz NOT NULL,
                version integer NOT NULL,
                doc jsonb NOT NULL
            )
            """,
            # A finance bureau's queue: its division's open tasks, the longest open (soonest due) first.
            """
            CREATE INDEX review_cases_queue ON review_cases (current_division, current_opened_at, opened_at)
            WHERE current_division IS NOT NULL
            """,
            # The periodic overdue check: open tasks not reminded yet, by when they opened (the due time
            # follows from it by the region's working days); a reminded task leaves the index.
            """
            CREATE INDEX review_cases_overdue ON review_cases (current_opened_at)
            WHERE status = 'in_review' AND current_overdue_at IS NULL
            """,
            # The refinement queue, the publishable list (第六条二、四).
            "CREATE INDEX review_cases_status ON review_cases (status, updated_at)",
            "CREATE INDEX review_cases_status_month ON review_cases (status, submitted_month, updated_at)",
            # A business division's confirmation queue (第六条三).
            """
            CREATE INDEX review_cases_confirmation ON review_cases (business_division_id, updated_at)
            WHERE status = 'awaiting_confirmation'
            """,
            "CREATE INDEX review_cases_batch ON review_cases (batch_id) WHERE batch_id IS NOT NULL",
            "CREATE INDEX review_cases_id_trgm ON review_cases USING gin (id gin_trgm_ops)",
            "CREATE INDEX review_cases_title_trgm ON review_cases USING gin (title gin_trgm_ops)",
            "CREATE INDEX review_cases_description_trgm ON review_cases USING gin (description gin_trgm_ops)",
            # 需求公示: one row per batch; the batch id (PUB-2026-12, PUB-2026-12-2, …) is the key.
            """
            CREATE TABLE publications (
                id text PRIMARY KEY,
                month text NOT NULL,
                status text NOT NULL,
                published_at timestamptz,
                doc jsonb NOT NULL
            )
            """,
            "CREATE INDEX publications_month ON publications (month)",
            "CREATE INDEX publications_published ON publications (published_at DESC) WHERE status = 'published'",
            "CREATE INDEX publications_drafts ON publications (id) WHERE status = 'publishing'",
            # Problem cases (第七条–第十一条): the ledger, the desks' queues, the SLA check, the figures.
            """
            CREATE TABLE problem_cases (
                id text PRIMARY KEY,
                category text NOT NULL,
                status text NOT NULL,
                urgent boolean NOT NULL,
                org_id text NOT NULL,
                org_path text[] NOT NULL,
                recorded_by text,
                opened_at timestamptz NOT NULL,
                opened_month text NOT NULL,
                sla_state text NOT NULL,
                sla_next_check_at timestamptz,
                owner_role text NOT NULL,
                owner_org_id text,
                owner_division text,
                created_at timestamptz NOT NULL,
                written_at timestamptz NOT NULL,
                version integer NOT NULL,
                doc jsonb NOT NULL
            )
            """,
            # 问题解决台账: urgent first (急事急办), newest first; an area by its organisation path.
            "CREATE INDEX problem_cases_ledger ON problem_cases (urgent DESC, opened_at DESC)",
            "CREATE INDEX problem_cases_org_path ON problem_cases USING gin (org_path)",
            "CREATE INDEX problem_cases_status ON problem_cases (status, urgent DESC, opened_at DESC)",
            "CREATE INDEX problem_cases_category ON problem_cases (category, urgent DESC, opened_at DESC)",
            "CREATE INDEX problem_cases_sla_state ON problem_cases (sla_state, urgent DESC, opened_at DESC)",
            # A desk's queue: whose turn it is (closed cases are owned by 'none' and never asked for).
            """
            CREATE INDEX problem_cases_desk ON problem_cases (owner_role, owner_division, urgent DESC, opened_at)
            WHERE owner_role <> 'none'
            """,
            """
            CREATE INDEX problem_cases_reporter ON problem_cases (org_id, urgent DESC, opened_at)
            WHERE owner_role = 'reporter'
            """,
            """
            CREATE INDEX problem_cases_recorded ON problem_cases (recorded_by, urgent DESC, opened_at)
            WHERE owner_role = 'reporter' AND recorded_by IS NOT NULL
            """,
            # The periodic SLA check: open cases with a warning, a breach or an outcome due (closed: NULL).
            """
            CREATE INDEX problem_cases_sla_check ON problem_cases (sla_next_check_at)
            WHERE sla_next_check_at IS NOT NULL
            """,
            # The month's SLA figures (第十一条四).
            "CREATE INDEX problem_cases_month ON problem_cases (opened_month, category)",
            # 常见问题集 (第七条): searched by keyword in the question, answer and module.
            """
            CREATE TABLE faq_entries (
                id text PRIMARY KEY,
                category text NOT NULL,
                question text NOT NULL,
                answer text NOT NULL,
                module text NOT NULL DEFAULT '',
                updated_at timestamptz,
                created_at timestamptz NOT NULL,
                version integer NOT NULL,
                doc jsonb NOT NULL
            )
            """,
            "CREATE INDEX faq_entries_recent ON faq_entries (updated_at DESC NULLS LAST)",
            "CREATE INDEX faq_entries_category ON faq_entries (category, updated_at DESC NULLS LAST)",
            """
            CREATE INDEX faq_entries_text_trgm ON faq_entries
            USING gin ((question || ' ' || answer || ' ' || module) gin_trgm_ops)
            """,
            # The region's corrections of the official calendar, as intake announces them
            # (CalendarDayCorrected); a withdrawn correction keeps its row with is_workday NULL.
            """
            CREATE TABLE calendar_corrections (
                day date PRIMARY KEY,
                is_workday boolean,
                note text NOT NULL DEFAULT ''
            )
            """,
            "CREATE INDEX calendar_corrections_in_force ON calendar_corrections (day) WHERE is_workday IS NOT NULL",
        ],
    )


def downgrade() -> None:
    execute(
        op,
        [
            "DROP TABLE calendar_corrections",
            "DROP TABLE faq_entries",
            "DROP TABLE problem_cases",
            "DROP TABLE publications",
            "DROP TABLE review_cases",
        ],
    )
    drop_outbox_and_inbox(op)
