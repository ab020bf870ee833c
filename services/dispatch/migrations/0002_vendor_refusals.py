"""Vendor refusals: what dispatch refused from a vendor's own progress topic, for that vendor to read
(GET /api/vendor-refusals, docs/integration/README.md).

A refusal names the Kafka record it refused (its id is "<topic>@<partition>:<offset>", so a redelivered
record is recorded once) and its key, what the message said of itself (id, type, subject, as far as it
could be read) and why (`code`, `reason`, `detail` per broken field). A vendor reads its own newest first
(`vendor_refusals_vendor`); the IT division and auditors read every vendor's (`vendor_refusals_latest`).

Revision ID: 0002
Revises: 0001
Create Date: 2027-01-05
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
            CREATE TABLE vendor_refusals (
                id text PRIMARY KEY,
                vendor_id text NOT NULL,
                refused_at timestamptz NOT NULL,
                topic text NOT NULL,
                kafka_partition integer NOT NULL,
                kafka_offset bigint NOT NULL,
                kafka_key text,
                message_id text,
                message_type text,
                subject text,
                code text NOT NULL,
                reason text NOT NULL,
                detail jsonb NOT NULL DEFAULT '[]'
            )
            """,
            "CREATE INDEX vendor_refusals_vendor ON vendor_refusals (vendor_id, refused_at DESC, id DESC)",
            "CREATE INDEX vendor_refusals_latest ON vendor_refusals (refused_at DESC, id DESC)",
        ],
    )


def downgrade() -> None:
    execute(op, ["DROP TABLE vendor_refusals"])
