"""问题解决台账 (the problem ledger, 第十一条一): every problem with its status, owner and SLA state, in the
reader's area; exported as xlsx with Chinese headers. Also how a stored case is shown (labels added)."""

from dataclasses import dataclass
from datetime import datetime
from io import BytesIO
from typing import Any
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from openpyxl.styles import Font

from services.review.problems.domain import CATEGORY_LABELS, OUTCOME_LABELS, STATUS_LABELS, Status
from services.review.problems.sla import STATE_LABELS
from shared.auth import Principal
from shared.spreadsheets import safe_cell

BEIJING = ZoneInfo("Asia/Shanghai")
MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
EXPORT_LIMIT = 5000
CHANNEL_LABELS = {"form": "系统录入", "hotline": "400热线", "wechat_group": "微信服务群"}
COLUMNS: list[tuple[str, str, int]] = [  # header, row key, width
    ("问题编号", "_id", 24),
    ("标题", "title", 36),
    ("问题类别", "category_label", 10),
    ("急事急办", "urgent_label", 9),
    ("状态", "status_label", 18),
    ("当前处理方", "owner_label", 26),
    ("SLA状态", "sla_state_label", 14),
    ("响应时限", "response_due_at", 17),
    ("办结时限", "resolution_due_at", 17),
    ("上报单位", "org_name", 28),
    ("上报人", "submitter_name", 10),
    ("上报渠道", "channel_label", 10),
    ("上报时间", "opened_at", 17),
    ("首次响应时间", "first_response_at", 17),
    ("办结时间", "closed_at", 17),
    ("办理结果", "outcome_label", 12),
]


def present(doc: dict[str, Any]) -> dict[str, Any]:
    """A stored case as the API shows it: Chinese labels beside the codes, the SLA state per clock."""
    sla = doc.get("sla") or {}
    return {
        **doc,
        "category_label": CATEGORY_LABELS.get(doc.get("category", ""), ""),
        "status_label": STATUS_LABELS.get(Status(doc["status"]), doc["status"]) if doc.get("status") else "",
        "outcome_label": OUTCOME_LABELS.get(doc.get("outcome") or "", ""),
        "channel_label": CHANNEL_LABELS.get(doc.get("channel", ""), ""),
        "urgent_label": "是" if doc.get("urgent") else "否",
        "sla_state_label": STATE_LABELS.get(doc.get("sla_state", ""), ""),
        "response_due_at": sla.get("response_due_at"),
        "resolution_due_at": sla.get("resolution_due_at"),
    }


# What the SLA board shows of a case (`view=board`): a tenth of the whole document, 50 of them a refresh.
BOARD_FIELDS = ("_id", "title", "category", "category_label", "urgent", "status", "status_label", "org_name",
                "opened_at", "opened_month", "sla_state", "sla_state_label", "response_due_at",
                "resolution_due_at")  # fmt: skip
BOARD_CLOCKS = ("response_state", "resolution_state")


def on_board(doc: dict[str, Any]) -> dict[str, Any]:
    """A stored case as the SLA board lists it: the columns it shows, and each clock's state."""
    shown = present(doc)
    sla = shown.get("sla") or {}
    return {key: shown.get(key) for key in BOARD_FIELDS} | {"sla": {key: sla.get(key) for key in BOARD_CLOCKS}}


@dataclass(frozen=True)
class LedgerFilter:
    """Which cases a ledger read lists: the reader's area and the filters asked for (None: any).

    `area` and `org` are a division code or an organisation id, both of which are on a case's path."""

    area: str | None = None
    ticket_id: str | None = None
    org: str | None = None
    category: str | None = None
    status: str | None = None
    not_closed: bool = False
    urgent: bool | None = None
    sla_state: str | None = None


@dataclass(frozen=True)
class Desk:
    """One desk's share of the open cases: owned by one of `owner_roles`, and where given, by that
    division or organisation (`unassigned`: no organisation yet), recorded by that duty operator, or
    reported by that organisation."""

    owner_roles: tuple[str, ...]
    owner_division: str | None = None
    owner_org_id: str | None = None
    unassigned: bool = False
    recorded_by: str | None = None
    org_id: str | None = None


def ledger_query(
    reader: Principal,
    *,
    category: str | None = None,
    status: str | None = None,
    urgent: bool | None = None,
    org: str | None = None,
    sla_state: str | None = None,
    ticket_id: str | None = None,
) -> LedgerFilter:
    """The reader's area (404-free: what is outside simply is not listed) and the filters asked for;
    `status="open"` asks for every case not closed yet (the SLA board's list of running clocks).
    `ticket_id` asks whether a case is open yet without a 404 (the web UI waits for it after a report)."""
    return LedgerFilter(
        area=reader.area_scope(),
        ticket_id=ticket_id or None,
        org=org or None,
        category=category,
        status=None if status == "open" else status,
        not_closed=status == "open",
        urgent=urgent,
        sla_state=sla_state,
    )


def queue_query(user: Principal) -> list[Desk] | None:
    """The desks whose open cases are the user's to act on; None when the user has no desk."""
    desks: list[Desk] = []
    if user.has_role("it_division"):
        desks.append(Desk(("it_division", "it_or_support")))
    if user.has_role("duty_operator"):
        desks.append(Desk(("it_or_support",)))
        desks.append(Desk(("reporter",), recorded_by=user.user_id))
    if user.has_role("reviewer") and user.org_kind == "finance_bureau":
        desks.append(Desk(("reviewer",), owner_division=user.division_code))
    if user.has_role("business_division") and user.org_kind == "business_division":
        desks.append(Desk(("business_division",), unassigned=True))
        desks.append(Desk(("business_division",), owner_org_id=user.org_id))
    if user.has_role("submitter"):
        desks.append(Desk(("reporter",), org_id=user.org_id))
    return desks or None


def ledger_xlsx(rows: list[dict[str, Any]], *, generated_at: datetime) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "问题解决台账"
    sheet.append([header for header, _, _ in COLUMNS])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for column, (_, _, width) in enumerate(COLUMNS, start=1):
        sheet.column_dimensions[sheet.cell(1, column).column_letter].width = width
    for row in rows:
        sheet.append([_cell(row.get(key)) for _, key, _ in COLUMNS])
    sheet.freeze_panes = "A2"
    sheet.append([])
    sheet.append([f"导出时间：{_cell(generated_at)}，共 {len(rows)} 条"])
    out = BytesIO()
    workbook.save(out)
    return out.getvalue()


def filename(generated_at: datetime) -> str:
    return f"problem-ledger-{generated_at.astimezone(BEIJING):%Y%m%d-%H%M}.xlsx"


def _cell(value: Any) -> Any:
    """Every cell of the ledger passes here: times in Beijing, user text never a formula (shared/spreadsheets.py)."""
    if isinstance(value, datetime):
        return value.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M")
    return "" if value is None else safe_cell(value)
