"""Who may do what in dispatch: the one place for its access rules (tests/test_access_matrix.py).

- The IT division (财政信息化主管处室) dispatches, releases and sees everything (第六条五、八, 第十二条三);
  auditors read everything.
- A vendor (开发公司) sees and reports on its own work orders only; another vendor's work order does not
  exist for it (404), as out-of-area tickets do not exist for finance bureaus (docs/security.md).
- Only the requester (需求用户, 第六条七) verifies a delivery. Someone else who can see the ticket gets 403;
  someone outside its area gets 404.
"""

from shared.auth import AUDITOR, IT_DIVISION, VENDOR, Principal
from shared.errors import Forbidden, NotFound


def work_order_scope(user: Principal) -> str | None:
    """The vendor whose work orders a listing is limited to (None: every vendor's); 403 for roles with no
    business here."""
    if user.has_role(IT_DIVISION, AUDITOR):
        return None
    if _vendor(user):
        return user.vendor_id
    raise Forbidden("not_allowed", "无权查看工单 (work orders are for the IT division and vendors)")


def refusal_scope(user: Principal) -> str | None:
    """Whose refused progress reports a reader sees: a vendor its own, the IT division and auditors every
    vendor's (None); 403 for everyone else."""
    if user.has_role(IT_DIVISION, AUDITOR):
        return None
    if _vendor(user):
        return user.vendor_id
    raise Forbidden("not_allowed", "无权查看退回的进度报告 (refused reports are for vendors and the IT division)")


def sees_requester(user: Principal) -> bool:
    """Vendors get the work, not who asked for it; the IT division and auditors see both."""
    return user.has_role(IT_DIVISION, AUDITOR)


def authorize_read_work_order(user: Principal, work_order_id: str, vendor_id: str) -> None:
    if user.has_role(IT_DIVISION, AUDITOR):
        return
    if not _vendor(user):
        raise Forbidden("not_allowed", "无权查看工单 (work orders are for the IT division and vendors)")
    if user.vendor_id != vendor_id:
        raise _no_work_order(work_order_id)


def authorize_report_progress(user: Principal, work_order_id: str, vendor_id: str | None) -> None:
    """第六条六: the vendor the work order was dispatched to reports its progress, nobody else.

    `vendor_id` None checks the role alone (before the work order is looked up).
    """
    if not _vendor(user):
        raise Forbidden("not_a_vendor", "只有开发公司可以报告进度 (only vendors report progress)")
    if vendor_id is not None and user.vendor_id != vendor_id:
        raise _no_work_order(work_order_id)


def authorize_dispatch(user: Principal) -> None:
    """第六条五: 财政信息化主管处室 prioritises, estimates, plans and dispatches (and sees the queue)."""
    if not user.has_role(IT_DIVISION):
        raise Forbidden("not_it_division", "只有财政信息化主管处室可以派发工单 (only the IT division dispatches)")


def authorize_release(user: Principal) -> None:
    """第六条八: 财政信息化主管处室 organises the upgrade and announces it."""
    if not user.has_role(IT_DIVISION):
        raise Forbidden("not_it_division", "只有财政信息化主管处室可以发布升级 (only the IT division releases)")


def authorize_verify(user: Principal, ticket_id: str, submitter_id: str, org_path: list[str]) -> None:
    """第六条七: 需求用户对…软件需求进行验证 — the user who raised the requirement."""
    if user.user_id == submitter_id:
        return
    if not user.covers(org_path):
        raise NotFound("ticket_not_found", f"需求 {ticket_id} 不存在 (no such requirement)")
    raise Forbidden("not_the_requester", "只有提出需求的用户可以验证 (only the requester verifies)")


def _vendor(user: Principal) -> bool:
    return user.has_role(VENDOR) and bool(user.vendor_id)


def _no_work_order(work_order_id: str) -> NotFound:
    return NotFound("work_order_not_found", f"工单 {work_order_id} 不存在 (no such work order)")
