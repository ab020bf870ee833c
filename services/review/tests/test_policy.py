"""Who may call which of review's endpoints (services/review/policy.py): 403 for a role that never may,
404 for a case outside the user's area."""

import pytest

from services.review import policy
from services.review.domain import CaseNotFound
from services.review.tests.factories import (
    BIZDIV,
    CITY,
    COUNTY,
    COUNTY2,
    ITDIV,
    REGION,
    SUBMITTER_USER,
    UNIT_PATH,
    person,
)
from shared.auth import AUDITOR, REVIEWER, SUBMITTER
from shared.errors import Forbidden

AUDITOR_USER = person("auditor", "itd", "it_division", "150000", [AUDITOR])
VENDOR = person("vendor1", "vendor-a", "vendor", "150000", ["vendor"])
# A reviewer role held outside a finance bureau does not make a reviewer.
REVIEWER_AT_UNIT = person("odd", "bu-150102-01", "budget_unit", "150102", [REVIEWER, SUBMITTER])
EVERYONE = {
    "submitter": SUBMITTER_USER,
    "county": COUNTY,
    "county2": COUNTY2,
    "city": CITY,
    "region": REGION,
    "itdiv": ITDIV,
    "bizdiv": BIZDIV,
    "auditor": AUDITOR_USER,
    "vendor": VENDOR,
    "reviewer at a unit": REVIEWER_AT_UNIT,
}
RULES = {
    policy.authorize_queue: {"county", "county2", "city", "region"},
    policy.authorize_review: {"county", "county2", "city", "region"},
    policy.authorize_refinement: {"itdiv"},
    policy.authorize_confirmation: {"bizdiv"},
    policy.authorize_publish: {"itdiv"},
    policy.authorize_specification: {"itdiv", "bizdiv", "auditor"},
    policy.authorize_read_publications: set(EVERYONE),
}


@pytest.mark.parametrize("rule", RULES, ids=lambda rule: rule.__name__)
@pytest.mark.parametrize("who", EVERYONE)
def test_each_endpoint_admits_its_roles_only(rule, who) -> None:
    if who in RULES[rule]:
        rule(EVERYONE[who])
    else:
        with pytest.raises(Forbidden):
            rule(EVERYONE[who])


@pytest.mark.parametrize("who", EVERYONE)
def test_a_case_outside_the_readers_area_does_not_exist_for_them(who) -> None:
    in_area = {"submitter", "reviewer at a unit", "county", "city", "region", "itdiv", "bizdiv", "auditor"}
    if who in in_area:
        policy.authorize_read_case(EVERYONE[who], UNIT_PATH, "REQ-1")
    else:
        with pytest.raises(CaseNotFound):
            policy.authorize_read_case(EVERYONE[who], UNIT_PATH, "REQ-1")
