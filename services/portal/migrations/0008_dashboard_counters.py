"""The dashboard as a read model (decision 0017): counters kept up to date by a trigger on `tickets`, so
`GET /api/dashboard` reads a few thousand small rows by their primary key instead of the tickets.

Each ticket row falls into "cells" (dashboard_count_cells, dashboard_stage_cells, dashboard_vendor_cells):
for every area it is in (each element of its org_path, and the region 150000 so that a reader whose area is
everything reads one row set), its business month and its kind, one cell per dimension (total, category,
status, review_level, region, adopted), one per stage it completed (a bucket of a histogram with the exact
seconds for the average), and one for its work order's vendor (on_time / late / undelivered with its planned
date). A write's trigger notes the row before and after it; at commit a deferred trigger compares the old
rows' cells with the new rows' and adds the differences, so the counters follow the row's state, whatever
order the events came in and however often. All differences of a transaction are applied in one
INSERT … ORDER BY key ON CONFLICT DO UPDATE per table (always counts, stages, vendors), as its last work:
counter rows are locked in one global order, so two writes moving counters in opposite directions cannot
deadlock. A counter that would go negative is a bug and fails the write.

The month is read on the business calendar: the clock's offset comes from the connection's setting
`fiscaldesk.clock_offset` (seconds; shared/clock.py clock_settings, on every service's pool; absent: zero,
as in production).
`dashboard_rebuild()` recomputes every counter from `tickets` in one grouped pass (here, for the rows that
exist; bench/million.py after its bulk copy; after a change of the business clock's offset).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06
"""

from alembic import op

from shared.schema import execute

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

# The columns a cell depends on: an update that changes none of them (a desk, a timeline) costs nothing.
FOLLOWED = (
    "kind", "category", "status", "review_level", "adopted", "org_path", "submitted_at", "vendor_id",
    "planned_delivery", "m_submitted", "m_reported", "m_review_completed", "m_refined", "m_confirmed",
    "m_dispatched", "m_delivered", "m_verification_requested", "m_verified", "m_released", "m_closed",
)  # fmt: skip
# Histogram buckets ~2 % wide: bucket 0 holds durations under a second, bucket b ≥ 1 [1.02^(b-1), 1.02^b) s.
BUCKET_RATIO = 1.02

FUNCTIONS = [
    """
    CREATE FUNCTION dashboard_clock_offset() RETURNS interval LANGUAGE sql STABLE AS $$
        SELECT make_interval(secs => coalesce(nullif(current_setting('fiscaldesk.clock_offset', true), ''), '0')
                                     ::double precision)
    $$
    """,
    # The business month of the first submission or report (services/portal/dashboard.py month_of).
    """
    CREATE FUNCTION dashboard_month(t tickets) RETURNS text LANGUAGE sql STABLE AS $$
        SELECT to_char((coalesce(t.m_submitted, t.m_reported, t.submitted_at) + dashboard_clock_offset())
                       AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM')
    $$
    """,
    # Every area whose readers count the ticket: its path's elements, and the region for "everything".
    """
    CREATE FUNCTION dashboard_areas(t tickets) RETURNS SETOF text LANGUAGE sql IMMUTABLE AS $$
        SELECT DISTINCT area FROM unnest(t.org_path || '150000'::text) AS area
    $$
    """,
    f"""
    CREATE FUNCTION dashboard_bucket(seconds numeric) RETURNS integer LANGUAGE sql IMMUTABLE AS $$
        SELECT CASE WHEN seconds < 1 THEN 0
                    ELSE 1 + floor(ln(seconds::double precision) / ln({BUCKET_RATIO}::double precision))::integer END
    $$
    """,
    """
    CREATE FUNCTION dashboard_count_cells(t tickets)
    RETURNS TABLE (area text, month text, kind text, dimension text, value text) LANGUAGE sql STABLE AS $$
        SELECT a.area, m.month, coalesce(t.kind, ''), d.dimension, d.value
        FROM (SELECT dashboard_month(t) AS month) AS m,
             dashboard_areas(t) AS a(area),
             (VALUES ('total', ''), ('category', t.category), ('status', t.status),
                     ('review_level', t.review_level),
                     ('region', CASE WHEN cardinality(t.org_path) > 2 THEN t.org_path[2]
                                     WHEN cardinality(t.org_path) > 0 THEN '150000' END),
                     ('adopted', t.adopted::text)) AS d(dimension, value)
        WHERE m.month IS NOT NULL AND d.value IS NOT NULL
    $$
    """,
    # The stages of services/portal/dashboard.py STAGES: seconds between the first times of two milestones.
    """
    CREATE FUNCTION dashboard_stage_cells(t tickets)
    RETURNS TABLE (area text, month text, kind text, stage text, bucket integer, seconds numeric)
    LANGUAGE sql STABLE AS $$
        SELECT a.area, m.month, coalesce(t.kind, ''), s.stage, dashboard_bucket(s.seconds), s.seconds
        FROM (SELECT dashboard_month(t) AS month) AS m,
             dashboard_areas(t) AS a(area),
             (SELECT v.stage, extract(epoch FROM v.finish - v.start) AS seconds
              FROM (VALUES ('review', t.m_submitted, t.m_review_completed),
                           ('refinement', t.m_review_completed, t.m_refined),
                           ('confirmation', t.m_refined, t.m_confirmed),
                           ('until_dispatch', coalesce(t.m_confirmed, t.m_reported), t.m_dispatched),
                           ('development', t.m_dispatched, t.m_delivered),
                           ('verification', t.m_verification_requested, t.m_verified),
                           ('release', t.m_verified, t.m_released),
                           ('problem_resolution', t.m_reported, t.m_closed)) AS v(stage, start, finish)
              WHERE v.finish >= v.start) AS s
        WHERE m.month IS NOT NULL
    $$
    """,
    # A work order: delivered on or before its planned date (business calendar), after it, or not yet —
    # then its planned date is kept, so that the reader's "today" splits it into overdue and not yet due.
    """
    CREATE FUNCTION dashboard_vendor_cells(t tickets)
    RETURNS TABLE (area text, month text, kind text, vendor text, state text, planned text)
    LANGUAGE sql STABLE AS $$
        SELECT a.area, m.month, coalesce(t.kind, ''), t.vendor_id, v.state, v.planned
        FROM (SELECT dashboard_month(t) AS month) AS m,
             dashboard_areas(t) AS a(area),
             (SELECT CASE WHEN t.m_delivered IS NULL THEN 'undelivered'
                          WHEN to_char((t.m_delivered + dashboard_clock_offset()) AT TIME ZONE 'Asia/Shanghai',
                                       'YYYY-MM-DD') <= t.planned_delivery THEN 'on_time'
                          ELSE 'late' END AS state,
                     CASE WHEN t.m_delivered IS NULL THEN t.planned_delivery ELSE '' END AS planned) AS v
        WHERE m.month IS NOT NULL AND t.vendor_id <> '' AND t.planned_delivery <> ''
    $$
    """,
    # Not a CHECK: PostgreSQL checks the row an INSERT proposes (here a -1) before ON CONFLICT adds it.
    """
    CREATE FUNCTION dashboard_never_negative(lowest bigint) RETURNS void LANGUAGE plpgsql AS $$
    BEGIN
        IF lowest < 0 THEN
            RAISE EXCEPTION 'a dashboard counter would go negative (%): the counters no longer follow tickets', lowest
                USING HINT = 'SELECT dashboard_rebuild()';
        END IF;
    END
    $$
    """,
    # A write notes the ticket row before and after it; the notes are applied when the transaction commits.
    # As jsonb, not as the row type: a column of type `tickets`, even in a session's temporary table, would
    # keep any migration from altering or dropping the table while a portal connection is open.
    """
    CREATE FUNCTION dashboard_note() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
        uncounted CONSTANT text[] := '{title,description,search_text,desk}';
    BEGIN
        IF to_regclass('pg_temp.dashboard_pending') IS NULL THEN
            CREATE TEMP TABLE dashboard_pending (old_row jsonb, new_row jsonb) ON COMMIT DELETE ROWS;
        END IF;
        INSERT INTO dashboard_pending VALUES (CASE WHEN TG_OP <> 'INSERT' THEN to_jsonb(OLD) - uncounted END,
                                              CASE WHEN TG_OP <> 'DELETE' THEN to_jsonb(NEW) - uncounted END);
        IF current_setting('fiscaldesk.dashboard_pending', true) IS DISTINCT FROM 'on' THEN
            PERFORM set_config('fiscaldesk.dashboard_pending', 'on', true);
        END IF;
        RETURN NULL;
    END
    $$
    """,
    # At commit, the transaction's differences, in key order (the global lock order), into each table; the
    # first row's deferred trigger applies every note of the transaction, the others see the transaction's
    # flag turned off and return at once (a temporary table is never vacuumed: no scan of it twice).
    """
    CREATE FUNCTION dashboard_flush() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
        lowest bigint;
    BEGIN
        IF current_setting('fiscaldesk.dashboard_pending', true) IS DISTINCT FROM 'on' THEN
            RETURN NULL;
        END IF;
        PERFORM set_config('fiscaldesk.dashboard_pending', 'off', true);

        WITH applied AS (
            INSERT INTO dashboard_counts AS c (area, month, kind, dimension, value, count)
            SELECT d.area, d.month, d.kind, d.dimension, d.value, sum(d.delta)
            FROM (SELECT cell.*, -1 AS delta FROM dashboard_pending AS p,
                       dashboard_count_cells(jsonb_populate_record(NULL::tickets, p.old_row)) AS cell
                  UNION ALL
                  SELECT cell.*, 1 FROM dashboard_pending AS p,
                       dashboard_count_cells(jsonb_populate_record(NULL::tickets, p.new_row)) AS cell) AS d
            GROUP BY d.area, d.month, d.kind, d.dimension, d.value
            HAVING sum(d.delta) <> 0
            ORDER BY d.area, d.month, d.kind, d.dimension, d.value
            ON CONFLICT (area, month, kind, dimension, value) DO UPDATE SET count = c.count + EXCLUDED.count
            RETURNING count)
        SELECT min(count) INTO lowest FROM applied;
        PERFORM dashboard_never_negative(lowest);

        WITH applied AS (
            INSERT INTO dashboard_stages AS s (area, month, kind, stage, bucket, count, seconds, shortest, longest)
            SELECT d.area, d.month, d.kind, d.stage, d.bucket, sum(d.delta), sum(d.delta * d.seconds),
                   min(d.seconds) FILTER (WHERE d.delta > 0), max(d.seconds) FILTER (WHERE d.delta > 0)
            FROM (SELECT cell.*, -1 AS delta FROM dashboard_pending AS p,
                       dashboard_stage_cells(jsonb_populate_record(NULL::tickets, p.old_row)) AS cell
                  UNION ALL
                  SELECT cell.*, 1 FROM dashboard_pending AS p,
                       dashboard_stage_cells(jsonb_populate_record(NULL::tickets, p.new_row)) AS cell) AS d
            GROUP BY d.area, d.month, d.kind, d.stage, d.bucket
            HAVING sum(d.delta) <> 0 OR sum(d.delta * d.seconds) <> 0
            ORDER BY d.area, d.month, d.kind, d.stage, d.bucket
            ON CONFLICT (area, month, kind, stage, bucket) DO UPDATE SET
                count = s.count + EXCLUDED.count,
                seconds = s.seconds + EXCLUDED.seconds,
                -- bounds of what the bucket holds: a removal leaves them (still bounds), an empty bucket forgets them
                shortest = CASE WHEN s.count + EXCLUDED.count > 0 THEN LEAST(s.shortest, EXCLUDED.shortest) END,
                longest = CASE WHEN s.count + EXCLUDED.count > 0 THEN GREATEST(s.longest, EXCLUDED.longest) END
            RETURNING count)
        SELECT min(count) INTO lowest FROM applied;
        PERFORM dashboard_never_negative(lowest);

        WITH applied AS (
            INSERT INTO dashboard_vendors AS v (area, month, kind, vendor, state, planned, count)
            SELECT d.area, d.month, d.kind, d.vendor, d.state, d.planned, sum(d.delta)
            FROM (SELECT cell.*, -1 AS delta FROM dashboard_pending AS p,
                       dashboard_vendor_cells(jsonb_populate_record(NULL::tickets, p.old_row)) AS cell
                  UNION ALL
                  SELECT cell.*, 1 FROM dashboard_pending AS p,
                       dashboard_vendor_cells(jsonb_populate_record(NULL::tickets, p.new_row)) AS cell) AS d
            GROUP BY d.area, d.month, d.kind, d.vendor, d.state, d.planned
            HAVING sum(d.delta) <> 0
            ORDER BY d.area, d.month, d.kind, d.vendor, d.state, d.planned
            ON CONFLICT (area, month, kind, vendor, state, planned) DO UPDATE SET count = v.count + EXCLUDED.count
            RETURNING count)
        SELECT min(count) INTO lowest FROM applied;
        PERFORM dashboard_never_negative(lowest);

        DELETE FROM dashboard_pending;  -- applied (were the constraints set immediate, the next flush skips them)
        RETURN NULL;
    END
    $$
    """,
    """
    CREATE FUNCTION dashboard_forget() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        TRUNCATE dashboard_counts, dashboard_stages, dashboard_vendors;
        RETURN NULL;
    END
    $$
    """,
    # Every counter from the tickets, in one grouped pass (the setting gives the business clock's offset).
    """
    CREATE FUNCTION dashboard_rebuild() RETURNS void LANGUAGE plpgsql AS $$
    BEGIN
        TRUNCATE dashboard_counts, dashboard_stages, dashboard_vendors;
        INSERT INTO dashboard_counts (area, month, kind, dimension, value, count)
        SELECT c.area, c.month, c.kind, c.dimension, c.value, count(*)
        FROM tickets AS t, dashboard_count_cells(t) AS c
        GROUP BY c.area, c.month, c.kind, c.dimension, c.value;
        INSERT INTO dashboard_stages (area, month, kind, stage, bucket, count, seconds, shortest, longest)
        SELECT c.area, c.month, c.kind, c.stage, c.bucket, count(*), sum(c.seconds), min(c.seconds), max(c.seconds)
        FROM tickets AS t, dashboard_stage_cells(t) AS c
        GROUP BY c.area, c.month, c.kind, c.stage, c.bucket;
        INSERT INTO dashboard_vendors (area, month, kind, vendor, state, planned, count)
        SELECT c.area, c.month, c.kind, c.vendor, c.state, c.planned, count(*)
        FROM tickets AS t, dashboard_vendor_cells(t) AS c
        GROUP BY c.area, c.month, c.kind, c.vendor, c.state, c.planned;
    END
    $$
    """,
]


def upgrade() -> None:
    changed = " OR ".join(f"OLD.{name} IS DISTINCT FROM NEW.{name}" for name in FOLLOWED)
    execute(
        op,
        [
            # area: an element of the tickets' org_path (150000: everything); month: YYYY-MM, business
            # calendar; kind: '' while the opening event has not arrived.
            """
            CREATE TABLE dashboard_counts (
                area text NOT NULL,
                month text NOT NULL,
                kind text NOT NULL,
                dimension text NOT NULL,
                value text NOT NULL,
                count bigint NOT NULL,
                PRIMARY KEY (area, month, kind, dimension, value)
            )
            """,
            # seconds: the exact sum, for the average; shortest/longest: bounds of the bucket's durations, for
            # the median (exact where they are equal).
            """
            CREATE TABLE dashboard_stages (
                area text NOT NULL,
                month text NOT NULL,
                kind text NOT NULL,
                stage text NOT NULL,
                bucket integer NOT NULL,
                count bigint NOT NULL,
                seconds numeric NOT NULL,
                shortest numeric,
                longest numeric,
                PRIMARY KEY (area, month, kind, stage, bucket)
            )
            """,
            # planned: the planned delivery date of the undelivered ('' once delivered).
            """
            CREATE TABLE dashboard_vendors (
                area text NOT NULL,
                month text NOT NULL,
                kind text NOT NULL,
                vendor text NOT NULL,
                state text NOT NULL,
                planned text NOT NULL,
                count bigint NOT NULL,
                PRIMARY KEY (area, month, kind, vendor, state, planned)
            )
            """,
            *FUNCTIONS,
            "CREATE TRIGGER tickets_dashboard_note AFTER INSERT OR DELETE ON tickets"
            " FOR EACH ROW EXECUTE FUNCTION dashboard_note()",
            f"CREATE TRIGGER tickets_dashboard_note_update AFTER UPDATE ON tickets FOR EACH ROW WHEN ({changed})"
            " EXECUTE FUNCTION dashboard_note()",
            "CREATE CONSTRAINT TRIGGER tickets_dashboard_flush AFTER INSERT OR DELETE ON tickets"
            " DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION dashboard_flush()",
            "CREATE CONSTRAINT TRIGGER tickets_dashboard_flush_update AFTER UPDATE ON tickets"
            f" DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN ({changed}) EXECUTE FUNCTION dashboard_flush()",
            "CREATE TRIGGER tickets_dashboard_truncate AFTER TRUNCATE ON tickets"
            " FOR EACH STATEMENT EXECUTE FUNCTION dashboard_forget()",
            "SELECT dashboard_rebuild()",
        ],
    )


def downgrade() -> None:
    execute(
        op,
        [
            "DROP TRIGGER tickets_dashboard_truncate ON tickets",
            "DROP TRIGGER tickets_dashboard_flush_update ON tickets",
            "DROP TRIGGER tickets_dashboard_flush ON tickets",
            "DROP TRIGGER tickets_dashboard_note_update ON tickets",
            "DROP TRIGGER tickets_dashboard_note ON tickets",
            "DROP FUNCTION dashboard_rebuild(), dashboard_forget(), dashboard_flush(), dashboard_note(),"
            " dashboard_never_negative(bigint),"
            " dashboard_vendor_cells(tickets), dashboard_stage_cells(tickets),"
            " dashboard_count_cells(tickets), dashboard_bucket(numeric), dashboard_areas(tickets),"
            " dashboard_month(tickets), dashboard_clock_offset()",
            "DROP TABLE dashboard_vendors, dashboard_stages, dashboard_counts",
        ],
    )
