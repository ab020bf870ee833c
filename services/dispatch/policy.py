"""Who may see work orders: the IT division and auditors all of them, a vendor only its own (第六条五)."""

from typing import Any

from shared.auth import AUDITOR, IT_DIVISION, VENDOR, Principal
from shared.errors import Forbidden


def work_order_filter(user: Principal) -> dict[str, Any]:
    """The query that limits a listing to what the user may see; 403 for roles with no business here."""
    if user.has_role(IT_DIVISION, AUDITOR):
        return {}
    if user.has_role(VENDOR) and user.vendor_id:
        return {"vendor_id": user.vendor_id}
    raise Forbidden("not_allowed", "无权查看工单 (work orders are for the IT division and vendors)")
