"""Who may do what in dispatch (services/dispatch/policy.py), person by person, no I/O."""

import pytest

from services.dispatch import policy
from services.dispatch.tests.factories import AUDITOR, COUNTY, IT, ORG_PATH, SUBMITTER, SUBMITTER2, VENDOR1, VENDOR2
from shared.errors import Forbidden, NotFound

EVERYONE = {"it": IT, "auditor": AUDITOR, "vendor1": VENDOR1, "vendor2": VENDOR2, "submitter": SUBMITTER}


def outcome(check, *args) -> str:
    try:
        check(*args)
    except NotFound:
        return "404"
    except Forbidden:
        return "403"
    return "ok"


@pytest.mark.parametrize(
    ("who", "expected"),
    [("it", "ok"), ("auditor", "ok"), ("vendor1", "ok"), ("vendor2", "404"), ("submitter", "403")],
)
def test_work_order_is_read_by_it_division_auditors_and_its_own_vendor_only(who: str, expected: str) -> None:
    assert outcome(policy.authorize_read_work_order, EVERYONE[who], "WO-1", "vendor-a") == expected


def test_vendor_lists_only_its_own_work_orders() -> None:
    assert policy.work_order_scope(VENDOR2) == "vendor-b"
    assert policy.work_order_scope(IT) is policy.work_order_scope(AUDITOR) is None
    assert outcome(policy.work_order_scope, SUBMITTER) == "403"


@pytest.mark.parametrize(
    ("who", "expected"),
    [("vendor1", "ok"), ("vendor2", "404"), ("it", "403"), ("auditor", "403"), ("submitter", "403")],
)
def test_only_the_vendor_of_the_work_order_reports_its_progress(who: str, expected: str) -> None:
    assert outcome(policy.authorize_report_progress, EVERYONE[who], "WO-1", "vendor-a") == expected


@pytest.mark.parametrize(("who", "expected"), [("it", "ok"), ("auditor", "403"), ("vendor1", "403")])
def test_only_the_it_division_dispatches_and_releases(who: str, expected: str) -> None:
    assert outcome(policy.authorize_dispatch, EVERYONE[who]) == expected
    assert outcome(policy.authorize_release, EVERYONE[who]) == expected


def test_only_the_requester_verifies_others_in_the_area_get_403_and_outside_it_404() -> None:
    assert outcome(policy.authorize_verify, SUBMITTER, "REQ-1", "u-submitter", ORG_PATH) == "ok"
    assert outcome(policy.authorize_verify, COUNTY, "REQ-1", "u-submitter", ORG_PATH) == "403"
    assert outcome(policy.authorize_verify, IT, "REQ-1", "u-submitter", ORG_PATH) == "403"
    assert outcome(policy.authorize_verify, SUBMITTER2, "REQ-1", "u-submitter", ORG_PATH) == "404"
    assert outcome(policy.authorize_verify, VENDOR1, "REQ-1", "u-submitter", ORG_PATH) == "404"


def test_vendors_do_not_see_who_asked() -> None:
    assert policy.sees_requester(IT) and policy.sees_requester(AUDITOR)
    assert not policy.sees_requester(VENDOR1)
