"""The example exchange of the vendor contract, built from the real models so it can never drift:
one dispatched work order, the vendor's four progress reports, and a work order reopened after a
failed verification. Ids and times are fixed so the generated documents are stable."""

from datetime import UTC, date, datetime, timedelta
from typing import Any

from shared.events import Actor, Envelope, Event, VendorProgressReported, WorkOrderDispatched, WorkOrderReopened

TICKET = "REQ-202612-3F2A9C1B"
WORK_ORDER = f"WO-{TICKET}-1"
VENDOR = "vendor-a"
CORRELATION = "5b0f7c2e9d8a4f13a6c1e2d3b4a59687"
START = datetime(2026, 12, 14, 1, 30, tzinfo=UTC)
IT_DIVISION = Actor(user_id="u-itdiv", name="郑洁", org_id="itd", roles=["it_division"])
REQUESTER = Actor(user_id="u-submitter", name="张敏", org_id="bu-150102-01", roles=["submitter"])
VENDOR_ACTOR = Actor(user_id="vendor-a-integration", name="北疆软件 工单接口", org_id=VENDOR, roles=["vendor"])


def _envelope(
    number: int,
    event: Event,
    *,
    source: str,
    actor: Actor,
    at: datetime,
    cause: str | None,
    correlation: str = CORRELATION,
) -> Envelope:
    envelope = Envelope.wrap(event, source=source, actor=actor, correlation_id=correlation)
    return envelope.model_copy(update={"id": f"00000000000040008000{number:012x}", "time": at, "causationid": cause})


def dispatched() -> Envelope:
    event = WorkOrderDispatched(
        work_order_id=WORK_ORDER,
        ticket_id=TICKET,
        vendor_id=VENDOR,
        category="optimisation",
        title="指标查询增加导出功能",
        description="在指标查询界面增加按条件导出 Excel 的功能，便于核对年度指标。",
        priority="P2",
        effort_days=15,
        planned_start=date(2026, 12, 15),
        planned_delivery=date(2027, 1, 29),
    )
    return _envelope(1, event, source="/fiscaldesk/dispatch", actor=IT_DIVISION, at=START, cause=None)


PROGRESS = [
    ("accepted", None, "已接收工单，排入 2027 年 1 月迭代", timedelta(hours=2)),
    ("in_development", None, "开始开发", timedelta(days=3)),
    ("in_testing", None, "开发完成，进入系统测试", timedelta(days=30)),
    ("delivered", "v2027.01.2", "已部署到验证环境", timedelta(days=40)),
]


def progress_reports() -> list[Envelope]:
    """What the vendor writes to its own vendor-progress topic, in order; each is caused by the work order."""
    cause = dispatched().id
    return [
        _envelope(
            2 + n,
            VendorProgressReported(
                work_order_id=WORK_ORDER, ticket_id=TICKET, vendor_id=VENDOR, stage=stage, version=version, note=note
            ),
            source=f"/vendors/{VENDOR}",
            actor=VENDOR_ACTOR,
            at=START + after,
            cause=cause,
        )
        for n, (stage, version, note, after) in enumerate(PROGRESS)
    ]


def reopened() -> Envelope:
    event = WorkOrderReopened(
        work_order_id=WORK_ORDER, ticket_id=TICKET, vendor_id=VENDOR, reason="导出的 Excel 缺少合计行，请补充"
    )
    # The requester's verification is a new request, so a new correlation id.
    at = START + timedelta(days=42)
    return _envelope(9, event, source="/fiscaldesk/dispatch", actor=REQUESTER, at=at, cause=None, correlation="9" * 32)


def as_json(envelope: Envelope) -> dict[str, Any]:
    return envelope.model_dump(mode="json")


EXAMPLES: dict[str, list[dict[str, Any]]] = {
    "WorkOrderDispatched": [as_json(dispatched())],
    "WorkOrderReopened": [as_json(reopened())],
    "VendorProgressReported": [as_json(e) for e in progress_reports()],
}
