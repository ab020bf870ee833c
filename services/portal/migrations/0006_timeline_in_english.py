"""Every timeline line also in English, written with the Chinese one (services/portal/timeline.py), so a
reader who chose English reads the history in English. Lines written before stay Chinese only (NULL here).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04
"""

from alembic import op

from shared.schema import execute

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    execute(op, ["ALTER TABLE timeline ADD COLUMN label_en text, ADD COLUMN detail_en text"])


def downgrade() -> None:
    execute(op, ["ALTER TABLE timeline DROP COLUMN label_en, DROP COLUMN detail_en"])
