"""Who may take which step (services/review/problems/policy.py): 404 outside the area, 403 for a role that
may never take it; the right role at the wrong bureau is the domain's 409 (tested with the flows)."""

import pytest

from services.review.problems import policy
from services.review.problems.domain import ProblemNotFound, Step
from services.review.problems.tests.factories import BANK, COLLEAGUE, DUTY, OTHER_UNIT, business_question, opened
from services.review.tests.factories import BIZDIV, CITY, COUNTY, COUNTY2, ITDIV, REGION, SUBMITTER_USER, person
from shared.auth import AUDITOR
from shared.errors import Forbidden

AUDITOR_USER = person("auditor", "itd", "it_division", "150000", [AUDITOR])
EVERYONE = {
    "submitter": SUBMITTER_USER,
    "colleague": COLLEAGUE,
    "county": COUNTY,
    "city": CITY,
    "region": REGION,
    "itdiv": ITDIV,
    "bizdiv": BIZDIV,
    "duty": DUTY,
    "auditor": AUDITOR_USER,
}
OUTSIDE = {"county2": COUNTY2, "other unit": OTHER_UNIT, "bank": BANK}
REPORTER = frozenset({"submitter", "colleague"})
REVIEWERS = frozenset({"county", "city", "region"})
IT_ONLY = frozenset({"itdiv"})
RULES = {
    **dict.fromkeys(
        [Step.REFINE, Step.REPRODUCE, Step.RELEASE, Step.CONFIGURE, Step.PLAN, Step.BACK_UP, Step.REPAIR, Step.PROMOTE],
        IT_ONLY,
    ),
    **dict.fromkeys(
        [Step.REPLY, Step.CONFIRM, Step.VERIFY, Step.ANSWER_PLAN, Step.ACCEPT, Step.ASK_AGAIN, Step.RATE], REPORTER
    ),
    Step.CHECK_COMPLIANCE: {"itdiv", "bizdiv"},
    Step.REVIEW: REVIEWERS,
    Step.ESCALATE: REVIEWERS,
    Step.CONFIRM_BUSINESS: {"bizdiv"},
    Step.ANSWER: {"itdiv", "duty"},  # a software-operation question
    Step.ASK_USER: {"itdiv", "duty"},
    Step.CLAIM: {"itdiv", "duty"},  # the desk that answers it now
    Step.REASSIGN: {"itdiv", "duty"},
}


def test_every_step_has_a_rule() -> None:
    assert set(RULES) == set(Step)


@pytest.mark.parametrize("step", list(Step))
def test_who_may_take_each_step(step: Step) -> None:
    case = opened("consulting")
    for name, user in EVERYONE.items():
        if name in RULES[step]:
            policy.authorize_step(user, step, case)
        else:
            with pytest.raises(Forbidden):
                policy.authorize_step(user, step, case)
    for user in OUTSIDE.values():
        with pytest.raises(ProblemNotFound):
            policy.authorize_step(user, step, case)


def test_a_business_question_is_answered_by_finance_bureaus_or_business_divisions_by_turn() -> None:
    at_bureau = business_question()
    for name, user in EVERYONE.items():
        allowed = name in REVIEWERS
        if allowed:
            policy.authorize_step(user, Step.ANSWER, at_bureau)
        else:
            with pytest.raises(Forbidden):
                policy.authorize_step(user, Step.ANSWER, at_bureau)


def test_the_duty_operator_who_recorded_a_call_acts_for_the_caller() -> None:
    case = opened("consulting", recorded_by=DUTY.user_id, channel="hotline", org_id="fi-150000-abc",
                  org_path=["150000", "fi-150000-abc"])  # fmt: skip
    for user in (DUTY, BANK):
        policy.authorize_step(user, Step.ACCEPT, case)
    with pytest.raises(ProblemNotFound):
        policy.authorize_read(SUBMITTER_USER, case)


def test_sla_figures_are_for_staff_and_faq_publishing_for_the_it_division() -> None:
    for user in (ITDIV, BIZDIV, COUNTY, DUTY, AUDITOR_USER):
        policy.authorize_figures(user)
    with pytest.raises(Forbidden):
        policy.authorize_figures(SUBMITTER_USER)
    policy.authorize_faq_publish(ITDIV)
    for user in (BIZDIV, DUTY, SUBMITTER_USER):
        with pytest.raises(Forbidden):
            policy.authorize_faq_publish(user)
