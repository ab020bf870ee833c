"""业务验证 (第六条七): the requester passes or fails a delivery; a failure goes back to the vendor. No I/O."""

import pytest

from services.dispatch.domain import CaseStatus, VerifyDelivery, WorkOrderStatus, verify_delivery
from services.dispatch.tests.factories import (
    NOW,
    REQUESTER,
    adopted_case,
    delivered_case,
    dispatched_case,
    report,
    rule,
    verified_case,
)
from shared.errors import DomainError, InvalidInput
from shared.events import VerificationFailed, VerificationPassed, VerificationRequested, WorkOrderReopened
from shared.topics import Topics


def test_passed_verification_closes_the_work_order_and_waits_for_release() -> None:
    case = delivered_case()
    verify_delivery(case, VerifyDelivery(case.ticket_id, passed=True, reason="导出功能验证正常"), REQUESTER, NOW)
    assert (case.status, case.work_order.status) == (CaseStatus.VERIFIED, WorkOrderStatus.VERIFIED)
    [event] = case.events
    assert isinstance(event, VerificationPassed) and event.note == "导出功能验证正常"


def test_failed_verification_sends_the_work_order_back_to_development_with_the_reason() -> None:
    case = delivered_case()
    verify_delivery(case, VerifyDelivery(case.ticket_id, passed=False, reason="导出文件缺少合计行"), REQUESTER, NOW)
    assert (case.status, case.work_order.status) == (CaseStatus.IN_PROGRESS, WorkOrderStatus.IN_DEVELOPMENT)
    assert case.work_order.reopen_count == 1
    failed, reopened = case.events
    assert isinstance(failed, VerificationFailed) and failed.reason == "导出文件缺少合计行"
    assert isinstance(reopened, WorkOrderReopened) and reopened.vendor_id == "vendor-a"
    assert Topics("fd").for_event(reopened) == "fd.work-orders.vendor-a", "the vendor hears of it on its topic"
    assert case.history[-1].action == "verification_failed"


def test_reopened_work_order_goes_through_testing_and_delivery_again() -> None:
    case = delivered_case()
    verify_delivery(case, VerifyDelivery(case.ticket_id, passed=False, reason="导出文件缺少合计行"), REQUESTER, NOW)
    case.events.clear()
    assert report(case, "accepted") is False, "a late report of an earlier stage changes nothing"
    assert report(case, "in_development") is False
    assert report(case, "in_testing") is True
    assert report(case, "delivered", "v2026.12.2") is True
    assert case.status == CaseStatus.AWAITING_VERIFICATION
    assert isinstance(case.events[-1], VerificationRequested) and case.events[-1].version == "v2026.12.2"


@pytest.mark.parametrize("passed", [True, False])
@pytest.mark.parametrize("reason", ["", "  ok  ", "1234"])
def test_verification_gives_a_reason_of_at_least_five_characters(passed: bool, reason: str) -> None:
    case = delivered_case()
    with pytest.raises(InvalidInput) as error:
        verify_delivery(case, VerifyDelivery(case.ticket_id, passed=passed, reason=reason), REQUESTER, NOW)
    rule(error, "reason_too_short", "reason")
    assert case.status == CaseStatus.AWAITING_VERIFICATION and case.events == []


@pytest.mark.parametrize(
    "make", [adopted_case, dispatched_case, verified_case], ids=["adopted", "dispatched", "verified"]
)
def test_only_a_delivery_can_be_verified(make) -> None:
    case = make()
    with pytest.raises(DomainError) as error:
        verify_delivery(case, VerifyDelivery(case.ticket_id, passed=True, reason="验证通过了的"), REQUESTER, NOW)
    rule(error, "not_awaiting_verification")
    assert error.value.status_code == 409
