"""Level review as a pure state machine (第三条, 第六条一): every legal and every illegal transition."""

import pytest

from services.review.domain import (
    CaseNotFound,
    ForwardRequirement,
    IllegalTransition,
    InvalidCommand,
    NotYourTurn,
    RejectRequirement,
    ReturnRequirement,
    RoundAlreadyProcessed,
    Status,
    forward,
    open_review_case,
    reject,
    reopen_after_amendment,
    return_for_amendment,
)
from services.review.tests.factories import (
    CITY,
    CITY2,
    COUNTY,
    COUNTY2,
    ITDIV,
    NEIGHBOUR,
    NOW,
    REGION,
    at_level,
    event_types,
    new_case,
    reviewed,
    submitted,
)

REASON = "与现有功能重复，请使用指标查询的通用导出功能"
FORWARD = ForwardRequirement("REQ-202612-0001", "建议实现")
REJECT = RejectRequirement("REQ-202612-0001", REASON)
RETURN = ReturnRequirement("REQ-202612-0001", "请补充业务场景说明")
ACTIONS = [(forward, FORWARD), (reject, REJECT), (return_for_amendment, RETURN)]
ACTION_IDS = ["forward", "reject", "return"]


# --- legal transitions -------------------------------------------------------------------------------


def test_submission_opens_a_task_for_the_units_own_county_bureau() -> None:
    case = open_review_case(submitted(), submitted_month="2026-12", now=NOW)

    assert case.status is Status.IN_REVIEW
    assert case.chain == [("county", "150102"), ("city", "150100"), ("region", "150000")]
    assert case.current_task.id == "REQ-202612-0001:county:1"
    assert case.current_task.bureau_org_id == "fb-150102"
    assert event_types(case) == ["ReviewTaskOpened"]
    assert [entry.action for entry in case.history] == ["submitted"]
    assert (case.category, case.urgency, case.org_name) == ("optimisation", "normal", "新城区教育局")


def test_a_city_units_requirement_starts_at_its_city_bureau() -> None:
    case = new_case(org_path=["150000", "150100", "bu-150100-01"], org_id="bu-150100-01")
    assert case.chain == [("city", "150100"), ("region", "150000")]
    assert case.current_task.level == "city"


def test_county_forward_opens_the_city_task() -> None:
    case = new_case()
    forward(case, FORWARD, by=COUNTY, now=NOW)

    assert event_types(case) == ["RequirementForwarded", "ReviewTaskOpened"]
    forwarded, opened = case.events
    assert (forwarded.level, forwarded.next_level, forwarded.opinion) == ("county", "city", "建议实现")
    assert (opened.level, opened.division_code, opened.bureau_org_id) == ("city", "150100", "fb-150100")
    assert case.tasks[0].status == "forwarded" and case.tasks[0].closed_by == COUNTY.user_id
    assert case.current_task.id == "REQ-202612-0001:city:1"
    assert case.status is Status.IN_REVIEW


def test_city_forward_opens_the_region_task() -> None:
    case = at_level("city")
    forward(case, FORWARD, by=CITY, now=NOW)
    assert case.events[0].next_level == "region"
    assert case.current_task.division_code == "150000"


def test_region_forward_completes_the_review() -> None:
    case = at_level("region")
    forward(case, FORWARD, by=REGION, now=NOW)

    assert event_types(case) == ["RequirementForwarded", "RequirementReviewCompleted"]
    assert case.events[0].next_level is None
    assert case.events[1].category == "optimisation"
    assert case.status is Status.AWAITING_REFINEMENT
    assert case.current_task is None


def test_forward_records_who_when_and_the_opinion() -> None:
    case = new_case()
    forward(case, ForwardRequirement(case.ticket_id, "  建议报自治区统一实现  "), by=COUNTY, now=NOW)
    entry = case.history[-1]
    assert (entry.action, entry.actor_id, entry.org_id, entry.at, entry.level) == (
        "forwarded", COUNTY.user_id, "fb-150102", NOW, "county"
    )  # fmt: skip
    assert entry.opinion == "建议报自治区统一实现"


def test_forward_without_opinion_is_allowed() -> None:
    case = new_case()
    forward(case, ForwardRequirement(case.ticket_id), by=COUNTY, now=NOW)
    assert case.events[0].opinion == ""


@pytest.mark.parametrize(("level", "reviewer"), [("county", COUNTY), ("city", CITY), ("region", REGION)])
def test_rejection_at_any_level_is_final_and_carries_its_reason(level, reviewer) -> None:
    case = at_level(level)
    reject(case, REJECT, by=reviewer, now=NOW)

    assert event_types(case) == ["RequirementRejected"]
    rejected = case.events[0]
    assert (rejected.level, rejected.reason, rejected.submitter_id) == (level, REASON, "u-submitter")
    assert rejected.org_path == case.org_path
    assert case.status is Status.REJECTED and case.current_task is None
    assert case.tasks[-1].status == "rejected"
    assert case.history[-1].reason == REASON


@pytest.mark.parametrize(("level", "reviewer"), [("county", COUNTY), ("city", CITY), ("region", REGION)])
def test_return_at_any_level_waits_for_resubmission(level, reviewer) -> None:
    case = at_level(level)
    return_for_amendment(case, RETURN, by=reviewer, now=NOW)

    assert event_types(case) == ["RequirementReturned"]
    assert case.events[0].reason == "请补充业务场景说明"
    assert case.status is Status.RETURNED and case.current_task is None


def test_resubmission_reopens_at_the_units_own_bureau_with_a_new_task() -> None:
    case = at_level("city")
    return_for_amendment(case, RETURN, by=CITY, now=NOW)
    case.events.clear()

    reopen_after_amendment(case, submitted(round=2, title="指标查询增加导出 Excel 功能"), now=NOW)

    assert case.status is Status.IN_REVIEW and case.round == 2
    assert case.current_task.id == "REQ-202612-0001:county:2"
    assert case.current_task.round == 2
    assert event_types(case) == ["ReviewTaskOpened"]
    assert case.title == "指标查询增加导出 Excel 功能" == case.events[0].title
    assert case.history[-1].action == "resubmitted"


def test_resubmitted_requirement_goes_up_the_chain_again() -> None:
    case = new_case()
    return_for_amendment(case, RETURN, by=COUNTY, now=NOW)
    reopen_after_amendment(case, submitted(round=2), now=NOW)
    forward(case, FORWARD, by=COUNTY, now=NOW)
    assert case.current_task.id == "REQ-202612-0001:city:1"


# --- illegal transitions -----------------------------------------------------------------------------


@pytest.mark.parametrize("reason", ["", "   ", "理由太短", "  九个字的理由不够详  "])
def test_reject_without_reason_is_refused(reason) -> None:
    """第六条一: 详细描述驳回理由 — blank, or fewer than 10 characters after trimming, is refused (422)."""
    case = new_case()
    with pytest.raises(InvalidCommand, match="驳回理由须详细说明") as refused:
        reject(case, RejectRequirement(case.ticket_id, reason), by=COUNTY, now=NOW)
    assert (refused.value.code, refused.value.field, refused.value.status_code) == ("reason_too_short", "reason", 422)
    assert case.status is Status.IN_REVIEW and case.events == []


@pytest.mark.parametrize("reason", ["", "  ", "补充"])
def test_return_without_reason_is_refused(reason) -> None:
    case = new_case()
    with pytest.raises(InvalidCommand):
        return_for_amendment(case, ReturnRequirement(case.ticket_id, reason), by=COUNTY, now=NOW)
    assert case.status is Status.IN_REVIEW


@pytest.mark.parametrize(("step", "command"), ACTIONS, ids=ACTION_IDS)
@pytest.mark.parametrize(
    "stranger", [COUNTY2, CITY2, NEIGHBOUR], ids=["other city's county", "other city", "neighbour"]
)
def test_reviewer_of_another_county_cannot_act(step, command, stranger) -> None:
    """Outside its area the requirement does not exist for a bureau: 404, not 403 or 409."""
    case = new_case()
    with pytest.raises(CaseNotFound) as refused:
        step(case, command, by=stranger, now=NOW)
    assert refused.value.status_code == 404
    assert case.current_task.status == "open" and case.events == []


@pytest.mark.parametrize(("step", "command"), ACTIONS, ids=ACTION_IDS)
@pytest.mark.parametrize("upper", [CITY, REGION], ids=["city", "region"])
def test_upper_level_cannot_act_before_its_turn(step, command, upper) -> None:
    case = new_case()
    with pytest.raises(NotYourTurn) as refused:
        step(case, command, by=upper, now=NOW)
    assert (refused.value.code, refused.value.status_code) == ("task_not_current", 409)
    assert case.current_task.level == "county"


@pytest.mark.parametrize(("step", "command"), ACTIONS, ids=ACTION_IDS)
def test_lower_level_cannot_act_after_forwarding(step, command) -> None:
    case = at_level("city")
    with pytest.raises(NotYourTurn):
        step(case, command, by=COUNTY, now=NOW)
    assert case.current_task.level == "city"


def test_only_a_finance_bureau_reviews() -> None:
    """The IT division sees the whole region but is no finance bureau: it never holds a review task."""
    with pytest.raises(NotYourTurn):
        forward(at_level("region"), FORWARD, by=ITDIV, now=NOW)


@pytest.mark.parametrize(("step", "command"), ACTIONS, ids=ACTION_IDS)
@pytest.mark.parametrize("ended", ["rejected", "returned", "reviewed"])
def test_no_review_action_once_the_case_left_review(step, command, ended) -> None:
    case = {"reviewed": reviewed}.get(ended, new_case)()
    if ended == "rejected":
        reject(case, REJECT, by=COUNTY, now=NOW)
    elif ended == "returned":
        return_for_amendment(case, RETURN, by=COUNTY, now=NOW)
    before = case.status
    with pytest.raises(IllegalTransition) as refused:
        step(case, command, by=REGION if ended == "reviewed" else COUNTY, now=NOW)
    assert (refused.value.code, refused.value.status_code) == ("not_in_review", 409)
    assert case.status is before


@pytest.mark.parametrize("round_number", [1, 2])
def test_a_submission_round_is_never_processed_twice(round_number) -> None:
    case = new_case()
    return_for_amendment(case, RETURN, by=COUNTY, now=NOW)
    reopen_after_amendment(case, submitted(round=2), now=NOW)
    tasks = list(case.tasks)
    with pytest.raises(RoundAlreadyProcessed):
        reopen_after_amendment(case, submitted(round=round_number), now=NOW)
    assert case.tasks == tasks


@pytest.mark.parametrize("state", ["in_review", "rejected", "reviewed"])
def test_resubmitting_a_requirement_that_was_not_returned_is_refused(state) -> None:
    case = reviewed() if state == "reviewed" else new_case()
    if state == "rejected":
        reject(case, REJECT, by=COUNTY, now=NOW)
    with pytest.raises(IllegalTransition) as refused:
        reopen_after_amendment(case, submitted(round=2), now=NOW)
    assert refused.value.code == "not_returned"


def test_errors_say_it_in_chinese_with_english_in_brackets() -> None:
    with pytest.raises(NotYourTurn) as refused:
        forward(new_case(), FORWARD, by=CITY, now=NOW)
    message = refused.value.message
    assert "旗县区财政部门" in message and "(the open review task is at the county bureau 150102" in message
