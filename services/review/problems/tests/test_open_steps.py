"""The steps a case offers its reader (`steps` of GET /api/problem-cases/{id}): what the state, the role and the
turn allow together, so the web UI shows a button exactly when the API would take the step."""

import copy

import pytest

from services.review.problems import policy
from services.review.problems.domain import STEP_FUNCTIONS, Status, Step, mark_promoted, take_step
from services.review.problems.tests.factories import (
    BANK,
    COLLEAGUE,
    COMMANDS,
    DUTY,
    NOW,
    OTHER_UNIT,
    PATHS,
    TREASURY,
    business_question,
    in_status,
    step,
)
from services.review.problems.tests.test_policy import AUDITOR_USER
from services.review.tests.factories import BIZDIV, CITY, COUNTY, COUNTY2, ITDIV, REGION, SUBMITTER_USER
from shared.errors import DomainError, Forbidden

PEOPLE = {
    "submitter": SUBMITTER_USER,
    "colleague": COLLEAGUE,
    "other unit": OTHER_UNIT,
    "county": COUNTY,
    "county2": COUNTY2,
    "city": CITY,
    "region": REGION,
    "itdiv": ITDIV,
    "bizdiv": BIZDIV,
    "treasury": TREASURY,
    "duty": DUTY,
    "bank": BANK,
    "auditor": AUDITOR_USER,
}
STATES = [(category, status) for category, paths in PATHS.items() for status in paths]


def offered(case, *names: str) -> dict[str, list[Step]]:
    return {name: policy.steps_open_to(PEOPLE[name], case) for name in names}


def test_a_reported_bug_is_the_it_divisions_to_refine_and_nobody_elses() -> None:
    case = in_status("bug", Status.REPORTED)
    assert offered(case, "itdiv", "submitter", "county", "bizdiv", "county2") == {
        "itdiv": [Step.REFINE, Step.CLAIM],
        "submitter": [],
        "county": [],
        "bizdiv": [],
        "county2": [],
    }


def test_the_reporter_confirms_a_reproduced_bug_and_verifies_the_patch() -> None:
    confirming = in_status("bug", Status.AWAITING_USER_CONFIRMATION)
    assert offered(confirming, "submitter", "colleague", "other unit", "itdiv") == {
        "submitter": [Step.CONFIRM],
        "colleague": [Step.CONFIRM],  # a submitter of the same unit acts for it
        "other unit": [],
        "itdiv": [],
    }
    assert policy.steps_open_to(ITDIV, in_status("bug", Status.READY_FOR_DISPATCH)) == [Step.RELEASE, Step.CLAIM]
    assert policy.steps_open_to(SUBMITTER_USER, in_status("bug", Status.AWAITING_VERIFICATION)) == [Step.VERIFY]


def test_a_data_repair_is_reviewed_by_the_league_city_bureau_then_the_region() -> None:
    at_city = in_status("data_repair", Status.AWAITING_CITY_REVIEW)
    assert offered(at_city, "city", "county", "region") == {
        "city": [Step.REVIEW, Step.CLAIM],
        "county": [],
        "region": [],
    }
    at_region = in_status("data_repair", Status.AWAITING_REGION_REVIEW)
    assert offered(at_region, "city", "region") == {"city": [], "region": [Step.REVIEW, Step.CLAIM]}


def test_a_business_question_is_the_bureaus_to_answer_or_escalate_then_the_business_divisions() -> None:
    question = business_question()
    assert offered(question, "county", "itdiv", "bizdiv", "region") == {
        "county": [Step.ESCALATE, Step.ASK_USER, Step.ANSWER, Step.CLAIM, Step.REASSIGN],
        "itdiv": [],  # it sees the question read-only: the bureau answers it (第七条)
        "bizdiv": [],
        "region": [],
    }
    step(question, (Step.ESCALATE, None, COUNTY))
    assert offered(question, "county", "bizdiv", "treasury") == {
        "county": [],
        "bizdiv": [
            Step.ASK_USER,
            Step.ANSWER,
            Step.CLAIM,
            Step.REASSIGN,
        ],  # escalated to the budget division (bd-budget) by name
        "treasury": [],
    }


def test_an_answer_is_accepted_or_asked_again_and_promoted_to_the_faq_once() -> None:
    answered = in_status("consulting", Status.ANSWERED)
    assert offered(answered, "submitter", "itdiv", "duty") == {
        "submitter": [Step.ACCEPT, Step.ASK_AGAIN],
        "itdiv": [Step.PROMOTE],
        "duty": [],
    }
    mark_promoted(answered, "FAQ-0001", by=ITDIV, now=NOW)
    assert policy.steps_open_to(ITDIV, answered) == []


@pytest.mark.parametrize(("category", "status"), STATES, ids=[f"{c}-{s}" for c, s in STATES])
def test_a_step_is_offered_exactly_when_it_would_be_taken(category: str, status: Status) -> None:
    """Offered ⇔ the policy lets the user take it and the domain accepts it (with a well-formed command)."""
    case = in_status(category, status)
    for name, user in PEOPLE.items():
        offers = set(policy.steps_open_to(user, case))
        for candidate in Step:
            if (category, candidate) not in STEP_FUNCTIONS:  # promotion is its own use case (knowledge.py)
                continue
            attempt = copy.deepcopy(case)
            try:
                policy.authorize_step(user, candidate, attempt)
                take_step(attempt, candidate, COMMANDS[candidate], by=user, now=NOW)
                taken = True
            except (Forbidden, DomainError):
                taken = False
            assert (candidate in offers) == taken, (name, category, status, candidate)
