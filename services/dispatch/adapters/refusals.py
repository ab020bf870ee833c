"""Refused vendor reports (services/dispatch/domain/refusals.py) as rows of `vendor_refusals`."""

from datetime import datetime
from typing import Any

from services.dispatch.domain import VendorRefusal
from shared.db import Database

FIELDS = (
    "id",
    "vendor_id",
    "refused_at",
    "topic",
    "kafka_partition",
    "kafka_offset",
    "kafka_key",
    "message_id",
    "message_type",
    "subject",
    "code",
    "reason",
    "detail",
)
COLUMNS = ", ".join(FIELDS)
INSERT = f"""
    INSERT INTO vendor_refusals ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
    ON CONFLICT (id) DO NOTHING
"""


class VendorRefusalRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def add(self, refusal: VendorRefusal) -> None:
        """Record a refusal (once: the same Kafka record is the same refusal); joins the caller's transaction."""
        async with self._db.transaction() as conn:
            await conn.execute(
                INSERT,
                refusal.id,
                refusal.vendor_id,
                refusal.refused_at,
                refusal.topic,
                refusal.partition,
                refusal.offset,
                refusal.key,
                refusal.message_id,
                refusal.message_type,
                refusal.subject,
                refusal.code,
                refusal.reason,
                refusal.detail,
            )

    async def latest(
        self, *, vendor_id: str | None, since: datetime | None, limit: int, skip: int = 0
    ) -> list[dict[str, Any]]:
        """Newest first: one vendor's (None: every vendor's), refused after `since` if given."""
        where, args = [], []
        if vendor_id is not None:
            args.append(vendor_id)
            where.append(f"vendor_id = ${len(args)}")
        if since is not None:
            args.append(since)
            where.append(f"refused_at > ${len(args)}")
        condition = f"WHERE {' AND '.join(where)}" if where else ""
        rows = await self._db.fetch(
            f"SELECT {COLUMNS} FROM vendor_refusals {condition}"
            f" ORDER BY refused_at DESC, id DESC LIMIT ${len(args) + 1} OFFSET ${len(args) + 2}",
            *args,
            limit,
            skip,
        )
        return [dict(row) for row in rows]
