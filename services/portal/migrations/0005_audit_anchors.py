"""The audit trail becomes keyed (HMAC-SHA256 with a key the database does not hold, shared/audit.py): the
chains written before, with plain SHA-256, move whole to `audit_unkeyed`, where
`python -m shared.audit verify --table audit_unkeyed --unkeyed` still checks them, and the keyed chains
start afresh in `audit` at seq 1. Nothing is rehashed: the key would then vouch for entries it never saw.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-04
"""

from alembic import op

from shared.schema import execute

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    execute(
        op,
        [
            "CREATE TABLE audit_unkeyed (LIKE audit INCLUDING ALL)",
            "INSERT INTO audit_unkeyed SELECT * FROM audit",
            "TRUNCATE audit",
        ],
    )


def downgrade() -> None:
    # Keyed entries cannot become unkeyed ones: they stay where they are, and the old chains come back only
    # into an empty trail.
    execute(
        op,
        [
            "INSERT INTO audit SELECT * FROM audit_unkeyed WHERE NOT EXISTS (SELECT 1 FROM audit)",
            "DROP TABLE audit_unkeyed",
        ],
    )
