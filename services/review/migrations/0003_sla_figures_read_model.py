"""The SLA figures as a read model (docs/decisions/0018), and the SLA board's open list by an index.

`problem_sla_counters` holds, per area, month and category, the counts the figures are worked out from
(第十一条四; services/review/problems/figures.py `_COUNTERS`). An area is '' (the whole region) or an element
of a case's `org_path`; `area_path` is the path up to and including it, so a reader's area and an asked-for
organisation together pick the rows of whichever of the two lies deeper, and a case is counted once.

A trigger on problem_cases applies each change's delta (the new row's contribution minus the old one's) in
the transaction of the change, locking the rows in the primary key's order first, so that two writers lock
the rows they share in the same order; a count can never fall below zero (CHECK).
`problem_sla_counters_rebuild()` recounts every row from the cases in one GROUP BY: used here for the rows
there are, and by bench/million.py after its copy.

`problem_open_counters` holds, per area, the open cases and those in each SLA state: the SLA board's cards
and the total of its pages, kept by the same trigger.

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

COUNTERS = (
    "reported",
    "response_met",
    "response_decided",
    "resolution_met",
    "resolution_decided",
    "responded_same_day",
    "responded_same_day_decided",
    "resolved_same_day",
    "resolved_same_day_decided",
    "rated",
    "score_sum",
    "satisfied",
)
KEY = "month, area, category, area_path"
# The SLA board's cards: the open cases, and those in each state an open case's clocks can be in.
OPEN_STATES = ("on_track", "warning", "paused", "breached")
OPEN_COUNTERS = ("open", *OPEN_STATES)
OPEN_KEY = "area, area_path"


def _columns(template: str, names: tuple[str, ...] = COUNTERS) -> str:
    return ", ".join(template.format(name=name) for name in names)


def _open_columns(template: str) -> str:
    return _columns(template, OPEN_COUNTERS)


def _states(template: str) -> str:
    return ", ".join(template.format(state=state) for state in OPEN_STATES)


def upgrade() -> None:
    execute(
        op,
        [
            f"""
            CREATE TABLE problem_sla_counters (
                month text NOT NULL,
                area text NOT NULL,
                category text NOT NULL,
                area_path text[] NOT NULL,
                {_columns("{name} bigint NOT NULL DEFAULT 0 CHECK ({name} >= 0)")},
                PRIMARY KEY ({KEY})
            )
            """,
            f"""
            CREATE TABLE problem_open_counters (
                area text NOT NULL,
                area_path text[] NOT NULL,
                {_open_columns("{name} bigint NOT NULL DEFAULT 0 CHECK ({name} >= 0)")},
                PRIMARY KEY ({OPEN_KEY})
            )
            """,
            # The areas a case counts in: the whole region, then each element of its path with the path to it.
            """
            CREATE FUNCTION problem_case_areas(org_path text[]) RETURNS TABLE (area text, area_path text[])
            LANGUAGE sql IMMUTABLE ROWS 5 AS $$
                SELECT '', '{}'::text[]
                UNION ALL
                SELECT org_path[i], org_path[1:i] FROM generate_subscripts(org_path, 1) AS i
            $$
            """,
            # One case's contribution to each counter: what sla_counts used to count with FILTER.
            f"CREATE TYPE problem_sla_count AS ({_columns('{name} bigint')})",
            """
            CREATE FUNCTION problem_case_counts(doc jsonb) RETURNS problem_sla_count
            LANGUAGE sql IMMUTABLE AS $$
                SELECT ROW(
                    1,
                    (coalesce(doc->'sla'->>'response_state' = 'met', false))::int,
                    (coalesce(doc->'sla'->>'response_state' IN ('met', 'breached'), false))::int,
                    (coalesce(doc->'sla'->>'resolution_state' = 'met', false))::int,
                    (coalesce(doc->'sla'->>'resolution_state' IN ('met', 'breached'), false))::int,
                    (coalesce(doc->'sla'->>'responded_same_day' = 'true', false))::int,
                    (doc->'sla'->>'responded_same_day' IS NOT NULL)::int,
                    (coalesce(doc->'sla'->>'resolved_same_day' = 'true', false))::int,
                    (doc->'sla'->>'resolved_same_day' IS NOT NULL)::int,
                    (doc->'rating'->>'score' IS NOT NULL)::int,
                    coalesce((doc->'rating'->>'score')::int, 0),
                    (coalesce((doc->'rating'->>'score')::int >= 4, false))::int
                )::problem_sla_count
            $$
            """,
            # A change's delta per counter row: the new row's contribution minus the old one's (NULL: none).
            f"""
            CREATE FUNCTION problem_sla_deltas(old problem_cases, new problem_cases)
            RETURNS TABLE (month text, area text, category text, area_path text[], {_columns("{name} bigint")})
            LANGUAGE sql STABLE AS $$
                SELECT change.month, a.area, change.category, a.area_path, {_columns("sum(change.sign * n.{name})")}
                FROM (
                    SELECT -1 AS sign, (old).opened_month AS month, (old).category AS category,
                        (old).org_path AS org_path, (old).doc AS doc
                    WHERE (old).id IS NOT NULL
                    UNION ALL
                    SELECT 1, (new).opened_month, (new).category, (new).org_path, (new).doc
                    WHERE (new).id IS NOT NULL
                ) AS change, problem_case_areas(change.org_path) AS a, problem_case_counts(change.doc) AS n
                GROUP BY change.month, a.area, change.category, a.area_path
            $$
            """,
            # An open case counts once, and once in its SLA state (a state not listed counts in `open` only).
            f"""
            CREATE FUNCTION problem_open_deltas(old problem_cases, new problem_cases)
            RETURNS TABLE (area text, area_path text[], {_open_columns("{name} bigint")})
            LANGUAGE sql STABLE AS $$
                SELECT a.area, a.area_path, sum(change.sign),
                    {_states("sum(change.sign * (change.sla_state = '{state}')::int)")}
                FROM (
                    SELECT -1 AS sign, (old).org_path AS org_path, (old).sla_state AS sla_state
                    WHERE (old).id IS NOT NULL AND (old).status <> 'closed'
                    UNION ALL
                    SELECT 1, (new).org_path, (new).sla_state
                    WHERE (new).id IS NOT NULL AND (new).status <> 'closed'
                ) AS change, problem_case_areas(change.org_path) AS a
                GROUP BY a.area, a.area_path
            $$
            """,
            # First the rows are locked in key order, the figures' before the board's (a missing one is added
            # at zero: an insert's CHECK sees the inserted values, so a negative delta cannot go through
            # ON CONFLICT), then the deltas added.
            f"""
            CREATE FUNCTION problem_sla_counters_apply() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF TG_OP <> 'UPDATE' OR OLD.opened_month <> NEW.opened_month OR OLD.category <> NEW.category
                    OR OLD.org_path <> NEW.org_path
                    OR problem_case_counts(OLD.doc) <> problem_case_counts(NEW.doc) THEN
                    INSERT INTO problem_sla_counters AS c ({KEY})
                    SELECT {KEY} FROM problem_sla_deltas(OLD, NEW) ORDER BY {KEY}
                    ON CONFLICT ({KEY}) DO UPDATE SET reported = c.reported;
                    UPDATE problem_sla_counters AS c SET {_columns("{name} = c.{name} + d.{name}")}
                    FROM problem_sla_deltas(OLD, NEW) AS d
                    WHERE (c.month, c.area, c.category, c.area_path) = (d.month, d.area, d.category, d.area_path);
                END IF;
                IF TG_OP <> 'UPDATE' OR OLD.org_path <> NEW.org_path OR OLD.sla_state <> NEW.sla_state
                    OR (OLD.status = 'closed') <> (NEW.status = 'closed') THEN
                    INSERT INTO problem_open_counters AS c ({OPEN_KEY})
                    SELECT {OPEN_KEY} FROM problem_open_deltas(OLD, NEW) ORDER BY {OPEN_KEY}
                    ON CONFLICT ({OPEN_KEY}) DO UPDATE SET open = c.open;
                    UPDATE problem_open_counters AS c SET {_open_columns("{name} = c.{name} + d.{name}")}
                    FROM problem_open_deltas(OLD, NEW) AS d
                    WHERE (c.area, c.area_path) = (d.area, d.area_path);
                END IF;
                RETURN NULL;  -- a step that changes no figure and no card locks no counter
            END
            $$
            """,
            """
            CREATE TRIGGER problem_sla_counters
            AFTER INSERT OR DELETE OR UPDATE OF opened_month, category, org_path, status, sla_state, doc
            ON problem_cases
            FOR EACH ROW EXECUTE FUNCTION problem_sla_counters_apply()
            """,
            f"""
            CREATE FUNCTION problem_sla_counters_rebuild() RETURNS bigint LANGUAGE sql AS $$
                DELETE FROM problem_sla_counters;
                INSERT INTO problem_sla_counters ({KEY}, {_columns("{name}")})
                SELECT p.opened_month, a.area, p.category, a.area_path, {_columns("sum(n.{name})")}
                FROM problem_cases AS p, problem_case_areas(p.org_path) AS a, problem_case_counts(p.doc) AS n
                GROUP BY p.opened_month, a.area, p.category, a.area_path;
                DELETE FROM problem_open_counters;
                INSERT INTO problem_open_counters ({OPEN_KEY}, {_open_columns("{name}")})
                SELECT a.area, a.area_path, count(*) FILTER (WHERE p.status <> 'closed'),
                    {_states("count(*) FILTER (WHERE p.status <> 'closed' AND p.sla_state = '{state}')")}
                FROM problem_cases AS p, problem_case_areas(p.org_path) AS a
                GROUP BY a.area, a.area_path;
                SELECT count(*) FROM problem_sla_counters;
            $$
            """,
            "SELECT problem_sla_counters_rebuild()",
            # The SLA board's open list: not closed, urgent first, newest first; an area's open cases by path.
            "CREATE INDEX problem_cases_open ON problem_cases (urgent DESC, opened_at DESC) WHERE status <> 'closed'",
            "CREATE INDEX problem_cases_open_org_path ON problem_cases USING gin (org_path) WHERE status <> 'closed'",
        ],
    )


def downgrade() -> None:
    execute(
        op,
        [
            "DROP INDEX problem_cases_open_org_path",
            "DROP INDEX problem_cases_open",
            "DROP TRIGGER problem_sla_counters ON problem_cases",
            "DROP FUNCTION problem_sla_counters_rebuild()",
            "DROP FUNCTION problem_sla_counters_apply()",
            "DROP FUNCTION problem_open_deltas(problem_cases, problem_cases)",
            "DROP FUNCTION problem_sla_deltas(problem_cases, problem_cases)",
            "DROP FUNCTION problem_case_counts(jsonb)",
            "DROP TYPE problem_sla_count",
            "DROP FUNCTION problem_case_areas(text[])",
            "DROP TABLE problem_open_counters",
            "DROP TABLE problem_sla_counters",
        ],
    )
