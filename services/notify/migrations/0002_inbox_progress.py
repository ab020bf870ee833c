"""The inbox knows each ticket's title and when it last moved on, and each user's "all read" mark.

- `inbox_tickets`: a row per ticket notify was told of: its title (events after the submission do not carry
  it) and `moved_on_at`, when notify last handled a step of it. A task notification (a review, a work order,
  a verification, a problem to handle, a time-limit reminder) older than that is done: the step it asked for
  has been taken, so it no longer counts as unread.
- `inbox_marks`: 全部已读 — everything of the user's created up to `read_until` is read, without writing a
  read row per notification (a role's inbox may hold thousands).
- `notifications_ticket`: the notifications of one ticket, to mark them read when the ticket is opened.

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
            CREATE TABLE inbox_tickets (
                ticket_id text PRIMARY KEY,
                title text,
                moved_on_at timestamptz
            )
            """,
            """
            CREATE TABLE inbox_marks (
                user_id text PRIMARY KEY,
                read_until timestamptz NOT NULL
            )
            """,
            "CREATE INDEX notifications_ticket ON notifications (ticket_id, recipient)",
        ],
    )


def downgrade() -> None:
    execute(op, ["DROP INDEX notifications_ticket", "DROP TABLE inbox_marks", "DROP TABLE inbox_tickets"])
