"""数据修复 and 操作咨询 (第七条, 第十一条三、四): the main paths and their failure branches, in the domain."""

import pytest

from services.review.problems.domain import (
    AnswerRepairPlan,
    ConfirmRepairForBusiness,
    EscalateQuestion,
    IllegalTransition,
    InvalidCommand,
    NotYourTurn,
    RecordBackup,
    ReviewRepair,
    Status,
    Step,
    VerifyResult,
    mark_promoted,
    owner_of,
)
from services.review.problems.tests.factories import (
    BANK_PATH,
    DUTY,
    NOW,
    TREASURY,
    business_question,
    event_types,
    in_status,
    opened,
    step,
)
from services.review.tests.factories import BIZDIV, CITY, CITY2, COUNTY, ITDIV, REGION, person
from shared.auth import REVIEWER
from shared.events import ProblemReadyForDispatch


def test_data_repair_reviewed_by_city_and_region_confirmed_planned_backed_up_repaired_and_confirmed() -> None:
    case = opened("data_repair")
    assert (case.status, owner_of(case).org_id) == (Status.AWAITING_CITY_REVIEW, "fb-150100")
    step(case, (Step.REVIEW, None, CITY))
    assert (case.status, owner_of(case).org_id) == (Status.AWAITING_REGION_REVIEW, "fb-150000")
    step(case, (Step.REVIEW, None, REGION))
    for what in (Step.CONFIRM_BUSINESS, Step.PLAN, Step.ANSWER_PLAN, Step.BACK_UP, Step.REPAIR, Step.VERIFY):
        step(case, what)
    assert (case.status, case.outcome, case.business_division_id) == (Status.CLOSED, "resolved", "bd-budget")
    assert case.backup["sha256"] == "a" * 64 and case.plan["affected_reports"] == ["三保支出统计表"]
    dispatch = next(event for event in case.events if isinstance(event, ProblemReadyForDispatch))
    assert dispatch.details["plan"]["data_type"] == "指标数据"  # 第十一条三6: the work order carries the plan


def test_a_unit_directly_under_the_region_skips_the_city_review() -> None:
    case = opened("data_repair", org_path=BANK_PATH, org_id="fi-150000-abc")
    assert case.status is Status.AWAITING_REGION_REVIEW and [s.level for s in case.review_chain] == ["region"]


def test_only_the_current_levels_bureau_reviews_a_data_repair() -> None:
    case = opened("data_repair")
    for other in (COUNTY, REGION, CITY2):
        with pytest.raises(NotYourTurn):
            step(case, (Step.REVIEW, None, other))
    assert case.status is Status.AWAITING_CITY_REVIEW and case.first_response_at is None


def test_a_rejected_review_or_a_declined_confirmation_closes_the_repair_with_the_reason() -> None:
    rejected = in_status("data_repair", Status.AWAITING_REGION_REVIEW)
    step(rejected, (Step.REVIEW, ReviewRepair(False, "属于业务办理错误，请走调整流程"), REGION))
    declined = in_status("data_repair", Status.AWAITING_BUSINESS_CONFIRMATION)
    step(declined, (Step.CONFIRM_BUSINESS, ConfirmRepairForBusiness(False, "标识口径正确，无需修正数据"), BIZDIV))
    assert (rejected.outcome, declined.outcome) == ("rejected", "declined")
    assert event_types(rejected) == ["ProblemRepairReviewed", "ProblemClosed"]


def test_repair_plan_refused_by_the_user_goes_back_to_planning_with_the_reason() -> None:
    case = in_status("data_repair", Status.AWAITING_PLAN_CONFIRMATION)
    step(case, (Step.ANSWER_PLAN, AnswerRepairPlan(False, "方案未包含 2025 年结转数据")))
    assert case.status is Status.PLANNING and case.history[-1].note == "方案未包含 2025 年结转数据"
    step(case, Step.PLAN)
    assert (case.status, case.plan["round"]) == (Status.AWAITING_PLAN_CONFIRMATION, 2)


def test_the_original_data_must_be_backed_up_before_the_repair() -> None:
    case = in_status("data_repair", Status.AWAITING_BACKUP)
    with pytest.raises(IllegalTransition) as refused:
        step(case, Step.REPAIR)
    with pytest.raises(InvalidCommand) as bad_checksum:
        step(case, (Step.BACK_UP, RecordBackup("backup://x", "not-a-sha"), ITDIV))
    assert (refused.value.code, bad_checksum.value.field) == ("backup_required", "sha256")
    assert case.status is Status.AWAITING_BACKUP and case.backup is None


def test_data_repair_failing_verification_is_planned_again_and_backed_up_again() -> None:
    case = in_status("data_repair", Status.AWAITING_VERIFICATION)
    step(case, (Step.VERIFY, VerifyResult(False, "仍有 3 条指标标识为否")))
    assert case.status is Status.PLANNING and case.events[-1].passed is False
    step(case, Step.PLAN)
    assert (case.backup, case.repair, case.plan["round"]) == (None, None, 2)  # a new backup before the next repair


def test_consulting_answered_by_the_it_division_or_the_duty_team_and_accepted_is_closed() -> None:
    for answerer in (ITDIV, DUTY):
        case = opened("consulting")
        step(case, (Step.ANSWER, None, answerer))
        assert (case.status, case.first_response_at, case.answer["by"]) == (Status.ANSWERED, NOW, answerer.user_id)
        step(case, Step.ACCEPT)
        assert (case.status, case.outcome) == (Status.CLOSED, "resolved")


def test_a_business_question_is_answered_by_the_reporters_county_or_city_not_by_others() -> None:
    for answerer in (COUNTY, CITY):
        case = business_question()
        step(case, (Step.ANSWER, None, answerer))
        assert case.status is Status.ANSWERED
    for other in (REGION, CITY2, ITDIV, BIZDIV):
        with pytest.raises(NotYourTurn):
            step(business_question(), (Step.ANSWER, None, other))


def test_a_business_question_escalated_by_the_county_is_answered_by_the_business_division() -> None:
    case = business_question()
    step(case, (Step.ESCALATE, EscalateQuestion("涉及政策口径，本级无法答复", "bd-budget"), COUNTY))
    assert (case.status, case.escalated, owner_of(case).role) == (Status.AWAITING_ANSWER, True, "business_division")
    assert case.first_response_at is None  # escalating is not an answer
    with pytest.raises(NotYourTurn):
        step(case, (Step.ANSWER, None, TREASURY))
    step(case, (Step.ANSWER, None, BIZDIV))
    assert case.answer["org_id"] == "bd-budget"
    with pytest.raises(NotYourTurn):
        step(business_question(ticket_id="P2"), (Step.ESCALATE, None, CITY2))  # another city's bureau


def test_only_a_bureaus_question_escalates_and_only_once() -> None:
    case = business_question()
    step(case, (Step.ESCALATE, None, COUNTY))
    for question in (case, opened("consulting")):
        with pytest.raises(IllegalTransition) as refused:
            step(question, (Step.ESCALATE, None, COUNTY))
        assert refused.value.code == "cannot_escalate"


def test_a_business_question_of_a_unit_of_the_region_goes_straight_to_the_business_division() -> None:
    unit = person("regionunit", "bu-150000-01", "budget_unit", "150000", ["submitter"])
    case = business_question(org_path=unit.org_path, org_id=unit.org_id)
    assert owner_of(case).role == "business_division"
    with pytest.raises(NotYourTurn):
        step(case, (Step.ANSWER, None, person("r", "fb-150000", "finance_bureau", "150000", [REVIEWER])))


def test_the_reporter_may_ask_again_and_the_answer_is_promoted_once() -> None:
    case = in_status("consulting", Status.ANSWERED)
    step(case, Step.ASK_AGAIN)
    assert case.status is Status.AWAITING_ANSWER
    step(case, Step.ANSWER)
    mark_promoted(case, "FAQ-1", by=ITDIV, now=NOW)
    with pytest.raises(IllegalTransition) as again:
        mark_promoted(case, "FAQ-1", by=ITDIV, now=NOW)
    assert (again.value.code, case.faq_entry_id, case.answers) == ("already_promoted", "FAQ-1", 2)
