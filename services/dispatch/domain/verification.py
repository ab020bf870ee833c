"""业务验证 (第六条七): the requester checks the delivery; a failure sends the work order back to the vendor."""

from datetime import datetime

from services.dispatch.domain.commands import VerifyDelivery
from services.dispatch.domain.model import CaseStatus, DispatchCase, WorkOrderStatus
from shared.errors import DomainError, InvalidInput
from shared.events import Actor, VerificationFailed, VerificationPassed, WorkOrderReopened

MIN_REASON = 5


def verify_delivery(case: DispatchCase, command: VerifyDelivery, actor: Actor, at: datetime) -> None:
    """Passed: the requirement waits for a release. Failed: the vendor develops again, knowing why.

    Who may verify (only the requester, 第六条七 需求用户) is decided by services.dispatch.policy.
    """
    order = case.work_order
    if case.status != CaseStatus.AWAITING_VERIFICATION or order is None:
        raise DomainError("not_awaiting_verification", f"需求 {case.ticket_id} 当前无待验证的交付 (nothing to verify)")
    reason = command.reason.strip()
    if len(reason) < MIN_REASON:
        raise InvalidInput(
            "reason_too_short",
            f"请填写验证意见，至少 {MIN_REASON} 个字 (give a reason of at least {MIN_REASON} characters)",
            field="reason",
        )
    if command.passed:
        order.status = WorkOrderStatus.VERIFIED
        case.status = CaseStatus.VERIFIED
        case.record("verification_passed", actor, at, reason)
        case.emit(VerificationPassed(ticket_id=case.ticket_id, work_order_id=order.id, note=reason))
        return
    # Back to development with the reason: the vendor's earlier stages are done again (第六条六).
    order.status = WorkOrderStatus.IN_DEVELOPMENT
    order.reopen_count += 1
    case.status = CaseStatus.IN_PROGRESS
    case.record("verification_failed", actor, at, reason)
    case.emit(
        VerificationFailed(ticket_id=case.ticket_id, work_order_id=order.id, vendor_id=order.vendor_id, reason=reason),
        WorkOrderReopened(work_order_id=order.id, ticket_id=case.ticket_id, vendor_id=order.vendor_id, reason=reason),
    )


def mark_released(case: DispatchCase, release_id: str, version: str, actor: Actor, at: datetime) -> bool:
    """部署上线 (第六条八): a verified requirement went out in a release; False if it already had."""
    if case.status == CaseStatus.RELEASED:
        if case.release_id == release_id:
            return False
        raise DomainError(
            "ticket_already_released",
            f"需求 {case.ticket_id} 已在发布 {case.release_id} 中上线 (already released)",
            field="ticket_ids",
        )
    if case.status != CaseStatus.VERIFIED:
        raise DomainError(
            "ticket_not_verified", f"需求 {case.ticket_id} 尚未通过业务验证 (not verified)", field="ticket_ids"
        )
    case.status = CaseStatus.RELEASED
    case.release_id = release_id
    case.record("released", actor, at, f"{release_id} {version}")
    return True
