"""What a vendor writes on its own progress topic, read as the published contract says (docs/integration/).

A vendor's principal may write `<prefix>.vendor-progress.<vendor_id>` and no other topic (docs/security.md),
so the topic is the one thing in a vendor's message that the vendor cannot choose. Everything else is the
vendor's word: it is checked strictly against the schema (`VendorProgressMessage`, from which the contract
generator writes schemas/VendorProgressReported.json), and what names a vendor (`source`, `actor.org_id`,
`data.vendor_id`) must name the topic's. Whoever records the report (dispatch's work-order history, the
portal's audit trail) records it under `vendor_actor(topic vendor)`, never under the actor the message gives.

Dispatch and the portal both read vendor topics with `read_vendor_report`, so the two cannot disagree on
what a valid report is.
"""

import re
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints, ValidationError

from shared.events import Actor, VendorProgressReported
from shared.events.dispatch import ID_MAX_LENGTH
from shared.orgtree import VENDORS
from shared.validation import localized

TYPE = "VendorProgressReported"
DATASCHEMA = f"fiscaldesk:{TYPE}:v{VendorProgressReported.schema_version}"
# RFC 3339 ends in Z or a numeric offset; a time without one means nothing in another time zone.
ZONED = re.compile(r"(Z|[+-]\d{2}:\d{2})$")

MessageId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9._:-]+$", min_length=1, max_length=ID_MAX_LENGTH)]
Token = Annotated[str, StringConstraints(min_length=1, max_length=ID_MAX_LENGTH)]
# Copied from the work order, whose correlation id may come from a caller's X-Correlation-ID header.
Reference = Annotated[str, StringConstraints(min_length=1, max_length=200)]


def _rfc3339_text(value: Any) -> Any:
    """Only RFC 3339 text with a zone: pydantic alone would also take a Unix time, as a number or as text."""
    if not isinstance(value, str) or not ZONED.search(value.strip()):
        raise ValueError("须为带时区的 RFC 3339 时间，如 2026-12-14T09:30:00+08:00 (RFC 3339 text with a time zone)")
    return value


ZonedTime = Annotated[
    AwareDatetime,
    BeforeValidator(_rfc3339_text),
    Field(json_schema_extra={"pattern": ZONED.pattern}),
]


class VendorActor(BaseModel):
    """Who at the vendor sent the report. For information only: the history names the topic's vendor."""

    model_config = ConfigDict(extra="forbid")

    user_id: Token
    name: Annotated[str, StringConstraints(max_length=100)] = ""
    org_id: Token = Field(description="the vendor's id: the vendor of the topic")
    roles: list[Literal["vendor"]] = Field(default_factory=list, max_length=1)


class VendorProgressMessage(BaseModel):
    """A VendorProgressReported envelope as a vendor sends it: closed, bounded, with a zoned time."""

    model_config = ConfigDict(extra="forbid")

    specversion: Literal["1.0"]
    id: MessageId
    type: Literal["VendorProgressReported"]
    source: Annotated[str, StringConstraints(pattern=r"^/vendors/[a-z0-9][a-z0-9-]*$", max_length=80)]
    subject: Token
    time: ZonedTime
    datacontenttype: Literal["application/json"] = "application/json"
    dataschema: Literal["fiscaldesk:VendorProgressReported:v1"]
    correlationid: Reference
    causationid: Reference | None = None
    actor: VendorActor
    data: VendorProgressReported


class ReportRefused(Exception):
    """A message on a vendor's progress topic that is not a valid report of that vendor: `code` for
    programs, `message` for people (Chinese, English in brackets), `detail` per broken field."""

    def __init__(self, code: str, message: str, detail: list[dict[str, Any]] | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.detail = detail or []


def vendor_source(vendor_id: str) -> str:
    return f"/vendors/{vendor_id}"


def vendor_actor(vendor_id: str) -> Actor:
    """The vendor as the actor of what came on its own topic (its name from the org tree)."""
    name = dict(VENDORS).get(vendor_id, vendor_id)
    return Actor(user_id=vendor_id, name=name, org_id=vendor_id, roles=["vendor"])


def read_vendor_report(body: Any, vendor_id: str) -> VendorProgressMessage:
    """The report in `body`, read from `vendor_id`'s own progress topic; ReportRefused when it is not one.

    `body` is the message as it came off Kafka (decoded JSON), not an Envelope already parsed leniently:
    the lenient parse takes a time without a zone and a Unix timestamp for a time."""
    try:
        report = VendorProgressMessage.model_validate(body)
    except ValidationError as error:
        _, detail = localized(error.errors(include_url=False), None)
        raise ReportRefused(
            "schema_invalid",
            f"消息不符合 {DATASCHEMA} 的格式 (the message does not match the published schema)",
            detail,
        ) from None
    claims = {
        "source": (report.source, vendor_source(vendor_id)),
        "actor.org_id": (report.actor.org_id, vendor_id),
        "data.vendor_id": (report.data.vendor_id, vendor_id),
    }
    for field, (given, expected) in claims.items():
        if given != expected:
            raise ReportRefused(
                "vendor_mismatch",
                f"{field} 为 {given}，与主题的开发公司 {vendor_id} 不符 (names another vendor than its topic's)",
                [{"field": field, "rule": "vendor_of_topic", "message": f"须为 {expected}", "limit": {"is": expected}}],
            )
    if report.subject != report.data.ticket_id:
        raise ReportRefused(
            "subject_mismatch",
            "消息 subject 须为需求编号 data.ticket_id (subject must be the ticket id)",
            [{"field": "subject", "rule": "equals_ticket_id", "message": f"须为 {report.data.ticket_id}"}],
        )
    return report
