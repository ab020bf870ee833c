"""软件BUG and 功能配置 (第十一条一、二): the main paths and their failure branches, in the domain."""

import pytest

from services.review.problems.domain import (
    CheckCompliance,
    IllegalTransition,
    InvalidCommand,
    Status,
    Step,
    VerifyResult,
    owner_of,
)
from services.review.problems.tests.factories import (
    NOT_REPRODUCED,
    NOW,
    event_types,
    in_status,
    opened,
    step,
)
from services.review.tests.factories import BIZDIV, ITDIV, SUBMITTER_USER
from shared.events import ProblemReadyForDispatch


def test_bug_refined_reproduced_confirmed_dispatched_patched_and_verified_is_closed() -> None:
    case = opened("bug")
    for what in (Step.REFINE, Step.REPRODUCE, Step.CONFIRM, Step.RELEASE, Step.VERIFY):
        step(case, what)
    assert (case.status, case.outcome, case.closed_at, case.first_response_at) == (Status.CLOSED, "resolved", NOW, NOW)
    assert event_types(case) == [
        "ProblemRefined",
        "ProblemReproduced",
        "ProblemConfirmedByUser",
        "ProblemReadyForDispatch",
        "ProblemFixReleased",
        "ProblemVerified",
        "ProblemClosed",
    ]
    assert case.refinement["os"] == "Windows 10" and case.refinement["browser"] == "Chrome"
    dispatch = next(event for event in case.events if isinstance(event, ProblemReadyForDispatch))
    assert (dispatch.priority_suggestion, dispatch.round, dispatch.owner_role) == ("P2", 1, "it_division")
    assert dispatch.details["error_text"] == "500 Internal Server Error"


def test_an_urgent_bug_is_suggested_first_priority() -> None:
    case = in_status("bug", Status.AWAITING_USER_CONFIRMATION, urgent=True)
    step(case, Step.CONFIRM)
    assert case.events[-1].priority_suggestion == "P1" and case.events[-1].urgent is True


def test_bug_not_reproducible_waits_for_the_user_with_the_clocks_paused_then_is_reproduced() -> None:
    case = in_status("bug", Status.REFINED)
    step(case, (Step.REPRODUCE, NOT_REPRODUCED))
    assert case.status is Status.WAITING_FOR_USER and owner_of(case).role == "reporter"
    assert event_types(case) == ["ProblemReproduced", "ProblemUserInputRequested"]
    assert case.pauses[-1].end is None
    step(case, Step.REPLY)
    assert case.status is Status.REFINED and case.pauses[-1].end == NOW
    step(case, Step.REPRODUCE)
    assert case.status is Status.AWAITING_USER_CONFIRMATION


def test_not_reproducible_without_a_question_for_the_user_is_refused() -> None:
    case = in_status("bug", Status.REFINED)
    with pytest.raises(InvalidCommand) as refused:
        step(case, (Step.REPRODUCE, NOT_REPRODUCED.__class__(reproduced=False)))
    assert refused.value.field == "question" and case.status is Status.REFINED


def test_bug_failing_second_verification_goes_back_for_another_work_order_with_the_reason() -> None:
    case = in_status("bug", Status.AWAITING_VERIFICATION)
    step(case, (Step.VERIFY, VerifyResult(False, "下载仍然报错 500")))
    assert case.status is Status.READY_FOR_DISPATCH
    assert event_types(case) == ["ProblemVerified", "ProblemReadyForDispatch"]
    assert (case.events[-1].round, case.events[-1].reason) == (2, "下载仍然报错 500")


def test_a_failed_verification_needs_the_reason() -> None:
    case = in_status("bug", Status.AWAITING_VERIFICATION)
    with pytest.raises(InvalidCommand):
        step(case, (Step.VERIFY, VerifyResult(False, "")))
    assert case.status is Status.AWAITING_VERIFICATION


def test_configuration_refined_compliant_configured_and_verified_is_closed() -> None:
    case = opened("configuration")
    for what in (Step.REFINE, Step.CHECK_COMPLIANCE, Step.CONFIGURE, Step.VERIFY):
        step(case, what)
    assert (case.status, case.outcome) == (Status.CLOSED, "resolved")
    assert (
        case.configuration["effective_from"] == "2027-01-01" and case.compliance["business_division_id"] == "bd-budget"
    )
    assert event_types(case)[1:4] == ["ProblemComplianceChecked", "ProblemConfigured", "ProblemVerified"]


def test_configuration_not_compliant_is_answered_at_once_with_the_reason_and_closed() -> None:
    case = in_status("configuration", Status.REFINED)
    step(case, (Step.CHECK_COMPLIANCE, CheckCompliance(False, "不符合财政部预算管理一体化规范 2.0 第 5.3 节"), BIZDIV))
    assert (case.status, case.outcome, case.closed_at) == (Status.CLOSED, "not_compliant", NOW)
    assert case.compliance["business_division_id"] == "bd-budget"  # the business division that checked it
    assert event_types(case) == ["ProblemComplianceChecked", "ProblemClosed"]
    assert case.events[-1].reason.startswith("不符合财政部")


def test_not_compliant_needs_a_reasoned_reply_and_a_business_division() -> None:
    case = in_status("configuration", Status.REFINED)
    with pytest.raises(InvalidCommand) as short:
        step(case, (Step.CHECK_COMPLIANCE, CheckCompliance(False, "不行", "bd-budget"), ITDIV))
    with pytest.raises(InvalidCommand) as nameless:
        step(case, (Step.CHECK_COMPLIANCE, CheckCompliance(True, "符合"), ITDIV))
    assert (short.value.field, nameless.value.field) == ("reason", "business_division_id")
    assert case.status is Status.REFINED and not case.history[-1].action.startswith("compliance")


def test_configuration_failing_verification_goes_back_to_be_configured() -> None:
    case = in_status("configuration", Status.AWAITING_VERIFICATION)
    step(case, (Step.VERIFY, VerifyResult(False, "新增项仍可为空"), SUBMITTER_USER))
    assert case.status is Status.AWAITING_CONFIGURATION
    step(case, Step.CONFIGURE)
    assert case.status is Status.AWAITING_VERIFICATION


def test_a_step_of_another_category_is_refused() -> None:
    with pytest.raises(IllegalTransition) as refused:
        step(in_status("configuration", Status.REPORTED), Step.REPRODUCE)
    assert refused.value.code == "step_not_in_category"
