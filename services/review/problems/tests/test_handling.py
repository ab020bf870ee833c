"""Who handles a case now (services/review/problems/domain/handling.py): a person of the desk that acts claims it,
a colleague takes it over only with a reason, and a question that reached the wrong desk is reassigned with a
reason to the desk that must answer it (第七条, 第十一条四3), its SLA clocks running on as they were."""

from dataclasses import replace
from datetime import timedelta

import pytest

from services.review.problems import policy
from services.review.problems.domain import ProblemCase, Status, Step, take_step
from services.review.problems.domain.commands import (
    AcceptAnswer,
    AnswerQuestion,
    ClaimCase,
    EscalateQuestion,
    RateService,
    ReassignQuestion,
)
from services.review.problems.domain.errors import IllegalTransition, InvalidCommand
from services.review.problems.tests.factories import DUTY, NOW, business_question, opened
from services.review.tests.factories import BIZDIV, COUNTY, ITDIV, SUBMITTER_USER, person
from shared.auth import REVIEWER
from shared.errors import Forbidden
from shared.events import ProblemRated, ProblemReassigned

COUNTY_COLLEAGUE = person("county-b", "fb-150102", "finance_bureau", "150102", [REVIEWER])
LATER = NOW + timedelta(minutes=20)


def test_a_reviewer_of_the_answering_bureau_claims_a_business_question_and_it_shows_who_handles_it() -> None:
    question = business_question()
    policy.authorize_step(COUNTY, Step.CLAIM, question)
    take_step(question, Step.CLAIM, ClaimCase(), by=COUNTY, now=NOW)

    assert (question.assignee["user_id"], question.assignee["name"]) == (COUNTY.user_id, COUNTY.name)
    assert question.history[-1].action == "claimed"
    [claimed] = question.events
    assert (type(claimed).__name__, claimed.assignee_name, claimed.owner_org_id) == (
        "ProblemClaimed",
        COUNTY.name,
        "fb-150102",
    )
    assert Step.CLAIM not in policy.steps_open_to(COUNTY, question)  # it is already theirs
    assert Step.CLAIM in policy.steps_open_to(COUNTY_COLLEAGUE, question)  # a colleague may take it over


def test_nobody_outside_the_answering_desk_may_claim_it() -> None:
    question = business_question()
    for outsider in (ITDIV, DUTY, BIZDIV):
        with pytest.raises(Forbidden):
            policy.authorize_step(outsider, Step.CLAIM, question)


def test_taking_a_case_over_from_a_colleague_needs_the_reason_and_names_the_colleague() -> None:
    question = business_question()
    take_step(question, Step.CLAIM, ClaimCase(), by=COUNTY, now=NOW)
    with pytest.raises(InvalidCommand) as refused:
        take_step(question, Step.CLAIM, ClaimCase(), by=COUNTY_COLLEAGUE, now=LATER)
    assert refused.value.field == "reason" and question.assignee["user_id"] == COUNTY.user_id

    take_step(question, Step.CLAIM, ClaimCase("张伟休假，由我接手"), by=COUNTY_COLLEAGUE, now=LATER)
    assert question.assignee["user_id"] == COUNTY_COLLEAGUE.user_id
    assert (question.events[-1].previous_assignee_name, question.events[-1].reason) == (
        COUNTY.name,
        "张伟休假，由我接手",
    )


def test_a_software_question_sent_to_the_support_desk_is_reassigned_to_the_bureau_with_its_clocks_unchanged() -> None:
    question = opened("consulting")  # marked as software operation: the IT division / support desk has it
    take_step(question, Step.CLAIM, ClaimCase(), by=DUTY, now=NOW)
    due_before = (question.sla.response_due_at, question.sla.resolution_due_at)

    policy.authorize_step(DUTY, Step.REASSIGN, question)
    reason = "这是指标调剂的政策口径问题，应由本级财政答复"
    take_step(question, Step.REASSIGN, ReassignQuestion("bureau", reason), by=DUTY, now=LATER)

    assert (question.status, question.answerer.kind, question.answerer.division_code) == (
        Status.AWAITING_ANSWER,
        "bureau",
        "150102",
    )
    assert question.assignee is None  # nobody of the bureau has claimed it yet
    assert (question.sla.response_due_at, question.sla.resolution_due_at) == due_before
    assert question.first_response_at is None  # a reassignment is not an answer to the user
    reassigned = question.events[-1]
    assert isinstance(reassigned, ProblemReassigned)
    assert (reassigned.owner_role, reassigned.owner_org_id, reassigned.reason) == (
        "reviewer",
        "fb-150102",
        reason,
    )
    assert question.history[-1].action == "reassigned" and reason in question.history[-1].note
    assert Step.ANSWER in policy.steps_open_to(COUNTY, question)
    assert policy.steps_open_to(DUTY, question) == []  # read-only for the desk that handed it on


def test_a_reassignment_without_a_reason_of_ten_characters_or_to_the_same_desk_is_refused() -> None:
    question = business_question()
    with pytest.raises(InvalidCommand) as short:
        take_step(question, Step.REASSIGN, ReassignQuestion("it_or_support", "不归我们"), by=COUNTY, now=NOW)
    assert short.value.field == "reason"
    with pytest.raises(IllegalTransition):
        take_step(
            question, Step.REASSIGN, ReassignQuestion("bureau", "已经在本级财政部门了，无需转派"), by=COUNTY, now=NOW
        )
    with pytest.raises(InvalidCommand) as unknown:
        take_step(question, Step.REASSIGN, ReassignQuestion("vendor", "交给开发公司处理这个问题"), by=COUNTY, now=NOW)
    assert unknown.value.field == "to"
    assert question.answerer.kind == "bureau" and question.events == []


def test_escalating_a_claimed_question_leaves_it_unclaimed_for_the_business_division() -> None:
    question = business_question()
    take_step(question, Step.CLAIM, ClaimCase(), by=COUNTY, now=NOW)
    take_step(
        question, Step.ESCALATE, EscalateQuestion("涉及政策口径，本级无法答复", "bd-budget"), by=COUNTY, now=LATER
    )
    assert question.assignee is None
    assert Step.CLAIM in policy.steps_open_to(BIZDIV, question)


def test_a_case_waiting_for_its_reporter_cannot_be_claimed() -> None:
    question = replace(business_question(), status=Status.WAITING_FOR_USER)
    assert Step.CLAIM not in policy.steps_open_to(COUNTY, question)


def closed_question() -> ProblemCase:
    question = opened("consulting")
    take_step(question, Step.ANSWER, AnswerQuestion("在 指标管理 → 指标查询 中查看。"), by=ITDIV, now=NOW)
    take_step(question, Step.ACCEPT, AcceptAnswer(), by=SUBMITTER_USER, now=LATER)
    question.events.clear()
    return question


def test_the_reporter_rates_a_closed_problem_once_with_a_comment() -> None:
    question = closed_question()
    assert policy.steps_open_to(SUBMITTER_USER, question) == [Step.RATE]
    assert Step.RATE not in policy.steps_open_to(ITDIV, question)  # only the reporter says how it was handled

    take_step(question, Step.RATE, RateService(4, "答复清楚，略慢"), by=SUBMITTER_USER, now=LATER)
    assert (question.rating["score"], question.rating["comment"], question.status) == (
        4,
        "答复清楚，略慢",
        Status.CLOSED,
    )
    [rated] = question.events
    assert isinstance(rated, ProblemRated) and (rated.score, rated.comment) == (4, "答复清楚，略慢")
    assert policy.steps_open_to(SUBMITTER_USER, question) == []
    with pytest.raises(IllegalTransition):
        take_step(question, Step.RATE, RateService(1), by=SUBMITTER_USER, now=LATER)
    assert question.rating["score"] == 4


@pytest.mark.parametrize("score", [0, 6, -1])
def test_a_rating_outside_one_to_five_stars_is_refused(score: int) -> None:
    question = closed_question()
    with pytest.raises(InvalidCommand) as refused:
        take_step(question, Step.RATE, RateService(score), by=SUBMITTER_USER, now=LATER)
    assert refused.value.field == "score" and question.rating is None


def test_an_open_problem_cannot_be_rated_yet() -> None:
    with pytest.raises(IllegalTransition):
        take_step(business_question(), Step.RATE, RateService(5), by=SUBMITTER_USER, now=NOW)
