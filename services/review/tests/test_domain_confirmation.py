"""Refinement and confirmation as a pure state machine (第六条二、三): every legal and illegal transition."""

from datetime import date

import pytest

from services.review.domain import (
    CaseNotFound,
    ConfirmRequirement,
    IllegalTransition,
    InvalidCommand,
    MergeRequirement,
    NotYourTurn,
    RefineRequirement,
    RejectRequirement,
    Status,
    confirm,
    merge,
    refine,
    reject,
)
from services.review.tests.factories import (
    BIZDIV,
    COUNTY,
    COUNTY2,
    ITDIV,
    NOW,
    TODAY,
    TREASURY,
    at_level,
    confirmed,
    event_types,
    new_case,
    refined,
    reviewed,
)

ID = "REQ-202612-0001"
ADOPT = ConfirmRequirement(ID, True, expected_upgrade=date(2027, 3, 31))
DECLINE = ConfirmRequirement(ID, False, reason="与通用导出功能重复")


def rejected():
    case = new_case()
    reject(case, RejectRequirement(ID, "与现有功能重复，不予实现"), by=COUNTY, now=NOW)
    return case


def merged():
    case = reviewed()
    merge(case, MergeRequirement(ID, "REQ-OTHER"), into=reviewed("REQ-OTHER"), by=ITDIV, now=NOW)
    return case


NOT_REFINABLE = {"in review": new_case, "rejected": rejected, "merged": merged, "confirmed": confirmed}


# --- refinement (第六条二) ----------------------------------------------------------------------------


def test_refine_routes_a_reviewed_requirement_to_its_business_division() -> None:
    case = reviewed()
    refine(case, RefineRequirement(ID, "bd-budget", notes="涉及预算指标模块"), by=ITDIV, now=NOW)

    assert case.status is Status.AWAITING_CONFIRMATION
    assert case.business_division_id == "bd-budget"
    assert event_types(case) == ["RequirementRefined"]
    refined_event = case.events[0]
    assert (refined_event.title, refined_event.module, refined_event.notes) == (
        case.title,
        "指标管理",
        "涉及预算指标模块",
    )
    assert case.history[-1].action == "refined" and case.history[-1].actor_id == ITDIV.user_id


def test_refine_may_rewrite_title_description_and_module() -> None:
    case = reviewed()
    command = RefineRequirement(
        ID, "bd-treasury", title=" 支付查询导出 ", description="支付明细查询结果导出为 Excel。", module=""
    )
    refine(case, command, by=ITDIV, now=NOW)
    assert (case.title, case.description, case.module) == ("支付查询导出", "支付明细查询结果导出为 Excel。", "")


def test_refine_again_before_confirmation_reroutes_it() -> None:
    case = refined()
    refine(case, RefineRequirement(ID, "bd-treasury"), by=ITDIV, now=NOW)
    assert case.business_division_id == "bd-treasury" and case.status is Status.AWAITING_CONFIRMATION


@pytest.mark.parametrize("state", NOT_REFINABLE)
def test_refining_outside_refinement_is_refused(state) -> None:
    case = NOT_REFINABLE[state]()
    with pytest.raises(IllegalTransition) as refused:
        refine(case, RefineRequirement(ID, "bd-budget"), by=ITDIV, now=NOW)
    assert (refused.value.code, refused.value.status_code) == ("not_awaiting_refinement", 409)


def test_refine_to_an_unknown_business_division_is_refused() -> None:
    case = reviewed()
    with pytest.raises(InvalidCommand) as refused:
        refine(case, RefineRequirement(ID, "bd-nowhere"), by=ITDIV, now=NOW)
    assert (refused.value.field, refused.value.status_code) == ("business_division_id", 422)
    assert case.status is Status.AWAITING_REFINEMENT


@pytest.mark.parametrize(
    ("field", "value"), [("title", "短"), ("title", " "), ("description", "太短的描述"), ("module", "模" * 101)]
)
def test_refined_text_out_of_limits_is_refused(field, value) -> None:
    with pytest.raises(InvalidCommand) as refused:
        refine(reviewed(), RefineRequirement(ID, "bd-budget", **{field: value}), by=ITDIV, now=NOW)
    assert refused.value.field == field


# --- merge --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("target", [reviewed, refined], ids=["awaiting refinement", "awaiting confirmation"])
@pytest.mark.parametrize("duplicate", [reviewed, refined], ids=["awaiting refinement", "awaiting confirmation"])
def test_merge_ends_the_duplicate(duplicate, target) -> None:
    case = duplicate()
    merge(case, MergeRequirement(ID, "REQ-OTHER", "同一需求"), into=target("REQ-OTHER"), by=ITDIV, now=NOW)
    assert case.status is Status.MERGED and case.merged_into == "REQ-OTHER"
    assert event_types(case) == ["RequirementMerged"]
    assert (case.events[0].into, case.events[0].reason) == ("REQ-OTHER", "同一需求")


def test_merge_into_itself_is_refused() -> None:
    case = reviewed()
    with pytest.raises(InvalidCommand) as refused:
        merge(case, MergeRequirement(ID, ID), into=case, by=ITDIV, now=NOW)
    assert refused.value.field == "into"


@pytest.mark.parametrize("state", NOT_REFINABLE)
def test_merging_a_requirement_outside_refinement_is_refused(state) -> None:
    with pytest.raises(IllegalTransition) as refused:
        merge(NOT_REFINABLE[state](), MergeRequirement(ID, "REQ-OTHER"), into=reviewed("REQ-OTHER"), by=ITDIV, now=NOW)
    assert refused.value.code == "not_mergeable"


@pytest.mark.parametrize("state", NOT_REFINABLE)
def test_merging_into_a_requirement_outside_refinement_is_refused(state) -> None:
    target = NOT_REFINABLE[state]()
    case = reviewed("REQ-DUP")
    with pytest.raises(IllegalTransition) as refused:
        merge(case, MergeRequirement("REQ-DUP", target.ticket_id), into=target, by=ITDIV, now=NOW)
    assert (refused.value.code, refused.value.field) == ("merge_target_not_open", "into")
    assert case.status is Status.AWAITING_REFINEMENT


# --- confirmation (第六条三) --------------------------------------------------------------------------


def test_adopt_carries_the_requirement_and_its_expected_upgrade() -> None:
    case = refined()
    confirm(case, ADOPT, by=BIZDIV, today=TODAY, now=NOW)

    assert case.status is Status.CONFIRMED
    [event] = case.events
    assert (event.adopted, event.expected_upgrade, event.business_division_id) == (True, date(2027, 3, 31), "bd-budget")
    assert (event.title, event.category, event.urgency, event.submitter_id) == (
        case.title, "optimisation", "normal", "u-submitter"
    )  # fmt: skip
    assert event.org_path == case.org_path and event.description == case.description
    assert case.decision.adopted and case.history[-1].action == "adopted"


def test_adopt_without_an_upgrade_date_is_allowed() -> None:
    case = refined()
    confirm(case, ConfirmRequirement(ID, True), by=BIZDIV, today=TODAY, now=NOW)
    assert case.events[0].expected_upgrade is None


def test_decline_carries_its_reason() -> None:
    case = refined()
    confirm(case, DECLINE, by=BIZDIV, today=TODAY, now=NOW)
    assert (case.events[0].adopted, case.events[0].reason) == (False, "与通用导出功能重复")
    assert case.decision.reason == "与通用导出功能重复" and case.history[-1].action == "declined"


@pytest.mark.parametrize("reason", ["", "   ", "不需要"])
def test_decline_without_reason_is_refused(reason) -> None:
    case = refined()
    with pytest.raises(InvalidCommand) as refused:
        confirm(case, ConfirmRequirement(ID, False, reason=reason), by=BIZDIV, today=TODAY, now=NOW)
    assert refused.value.field == "reason"
    assert case.status is Status.AWAITING_CONFIRMATION


def test_decline_with_an_upgrade_date_is_refused() -> None:
    command = ConfirmRequirement(ID, False, reason="不符合业务规范", expected_upgrade=date(2027, 1, 1))
    with pytest.raises(InvalidCommand) as refused:
        confirm(refined(), command, by=BIZDIV, today=TODAY, now=NOW)
    assert refused.value.field == "expected_upgrade"


def test_adopt_with_an_upgrade_date_in_the_past_is_refused() -> None:
    with pytest.raises(InvalidCommand) as refused:
        confirm(
            refined(),
            ConfirmRequirement(ID, True, expected_upgrade=date(2026, 11, 30)),
            by=BIZDIV,
            today=TODAY,
            now=NOW,
        )
    assert refused.value.code == "expected_upgrade_in_past"


def test_another_business_division_cannot_confirm() -> None:
    case = refined()
    with pytest.raises(NotYourTurn) as refused:
        confirm(case, ADOPT, by=TREASURY, today=TODAY, now=NOW)
    assert (refused.value.code, refused.value.status_code) == ("not_assigned_division", 409)
    assert case.status is Status.AWAITING_CONFIRMATION


def test_a_user_outside_the_area_cannot_confirm() -> None:
    with pytest.raises(CaseNotFound):
        confirm(refined(), ADOPT, by=COUNTY2, today=TODAY, now=NOW)


CONFIRM_TOO_EARLY_OR_LATE = {
    "in review": new_case,
    "city review": lambda: at_level("city"),
    "awaiting refinement": reviewed,
    "rejected": rejected,
    "merged": merged,
    "confirmed": confirmed,
}


@pytest.mark.parametrize("state", CONFIRM_TOO_EARLY_OR_LATE)
def test_confirming_outside_confirmation_is_refused(state) -> None:
    """Before refinement (第六条二 comes first) and after an answer, confirmation is a conflict."""
    case = CONFIRM_TOO_EARLY_OR_LATE[state]()
    with pytest.raises(IllegalTransition) as refused:
        confirm(case, ADOPT, by=BIZDIV, today=TODAY, now=NOW)
    assert (refused.value.code, refused.value.status_code) == ("not_awaiting_confirmation", 409)
