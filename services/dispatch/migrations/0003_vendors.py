"""Vendors: dispatch's copy of the org directory's vendors, as the portal's OrganisationChanged events told it
(services/dispatch/vendors.py), so a vendor the region adds at run time can be dispatched to without a
release. The shipped vendors (shared/orgtree.py) count until an event says otherwise.

Revision ID: 0003
Revises: 0002
Create Date: 2027-01-20
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
            """
            CREATE TABLE vendors (
                id text PRIMARY KEY,
                name text NOT NULL,
                active boolean NOT NULL,
                changed_at timestamptz NOT NULL
            )
            """,
        ],
    )


def downgrade() -> None:
    execute(op, ["DROP TABLE vendors"])
