"""退回的进度报告 — what dispatch refused from a vendor's own progress topic, kept for that vendor to read.

A report over Kafka has no answer, so a vendor whose report is refused would never learn it: dispatch keeps
every refusal with the Kafka record it came in (topic, partition, offset, key), what the message said of itself
(id, type, subject, when readable) and why (`code`, `reason`, `detail` per broken field), and the vendor
lists its own (GET /api/vendor-refusals, docs/integration/README.md).
"""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

# What a refusal repeats of a message that may be anything: short texts only.
SAID_MAX_LENGTH = 64


@dataclass(frozen=True)
class VendorRefusal:
    id: str
    vendor_id: str
    refused_at: datetime
    topic: str
    partition: int
    offset: int
    code: str
    reason: str
    detail: list[dict[str, Any]] = field(default_factory=list)
    key: str | None = None
    message_id: str | None = None
    message_type: str | None = None
    subject: str | None = None


def refuse_report(
    body: Any,
    *,
    vendor_id: str,
    topic: str,
    partition: int,
    offset: int,
    key: str | None,
    code: str,
    reason: str,
    detail: list[dict[str, Any]],
    at: datetime,
) -> VendorRefusal:
    """The refusal of the message `body` read at topic/partition/offset; its id is the record's, so a
    redelivered record is the same refusal."""
    said = body if isinstance(body, dict) else {}
    return VendorRefusal(
        id=f"{topic}@{partition}:{offset}",
        vendor_id=vendor_id,
        refused_at=at,
        topic=topic,
        partition=partition,
        offset=offset,
        code=code,
        reason=reason,
        detail=detail,
        key=_short_text(key),
        message_id=_short_text(said.get("id")),
        message_type=_short_text(said.get("type")),
        subject=_short_text(said.get("subject")),
    )


def _short_text(value: Any) -> str | None:
    return value if isinstance(value, str) and 0 < len(value) <= SAID_MAX_LENGTH else None
