"""The review tasks a level deployment has received from its level's topic (docs/decisions/0016).

A row per task the deployment of the task's level took from `review-tasks.<level>`: a level's queue is its
received tasks that are still their case's open task, so a task whose level deployment is not running is in
no queue (it waits in the topic). Rows of closed tasks are deleted when the case is next written.

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
            """
            CREATE TABLE review_level_queue (
                ticket_id text NOT NULL,
                task_id text NOT NULL,
                level text NOT NULL,
                division_code text NOT NULL,
                received_at timestamptz NOT NULL,
                PRIMARY KEY (ticket_id, task_id)
            )
            """,
            # A bureau's queue: its division's received tasks (joined to their cases by the primary key).
            "CREATE INDEX review_level_queue_division ON review_level_queue (division_code, received_at)",
        ],
    )


def downgrade() -> None:
    execute(op, ["DROP TABLE review_level_queue"])
