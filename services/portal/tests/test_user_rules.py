"""The rules of user administration, pure: the password policy and who administers which users."""

import pytest

from services.portal.areas import AREA_ROLES, AdminArea, Administrator
from services.portal.passwords import DEMO_PASSWORD, check_password_policy, temporary_password
from shared.auth import AUDITOR, IT_DIVISION, ORG_ADMIN, REVIEWER, ROLES, SUBMITTER, SYSADMIN
from shared.errors import InvalidInput

COUNTY_UNIT = ["150000", "150100", "150102", "bu-150102-01"]
OTHER_COUNTY_UNIT = ["150000", "150200", "150202", "bu-150202-01"]
CITY_BUREAU = ["150000", "150100", "fb-150100"]


@pytest.mark.parametrize(
    ("password", "rule"),
    [
        ("short1a", "password_length"),
        ("a1" * 65, "password_length"),
        ("onlyletterslong", "password_too_simple"),
        ("12345678901", "password_too_simple"),
        ("xx-zhangmin-2026", "password_contains_username"),
        ("XX-ZhangMin-2026", "password_contains_username"),
        (DEMO_PASSWORD + "0", None),
    ],
)
def test_the_password_policy_names_the_field_and_the_rule(password: str, rule: str | None) -> None:
    if rule is None:
        check_password_policy(password, username="zhangmin", field="new_password")
        return
    with pytest.raises(InvalidInput) as refused:
        check_password_policy(password, username="zhangmin", field="new_password")
    assert (refused.value.code, refused.value.field, refused.value.status_code) == (rule, "new_password", 422)


def test_the_demo_password_is_refused_whatever_its_length() -> None:
    with pytest.raises(InvalidInput) as refused:
        check_password_policy(DEMO_PASSWORD, username="someone", field="password")
    # Fiscal@2026 is 11 characters with letters and digits: only the demo rule catches it.
    assert refused.value.code == "password_is_demo"


def test_temporary_passwords_pass_the_policy_and_differ() -> None:
    passwords = {temporary_password() for _ in range(50)}
    assert len(passwords) == 50
    for password in passwords:
        check_password_policy(password, username="newuser")


def admin(*roles: str, kind: str = "finance_bureau", division: str = "150102") -> Administrator:
    return Administrator("u-x", roles, kind, division, is_regional=division == "150000" and kind != "budget_unit")


def test_the_regions_system_administrator_administers_everyone_and_grants_every_role() -> None:
    area = AdminArea.of(admin(SYSADMIN, kind="it_division", division="150000"))
    assert area is not None and area.scope is None
    assert area.covers(COUNTY_UNIT) and area.covers(OTHER_COUNTY_UNIT)
    assert area.ungrantable(list(ROLES)) == []


def test_a_county_administrator_administers_its_county_and_grants_area_roles_only() -> None:
    area = AdminArea.of(admin(ORG_ADMIN))
    assert area is not None and area.scope == "150102"
    assert area.covers(COUNTY_UNIT) and area.covers(["150000", "150100", "150102", "fb-150102"])
    assert not area.covers(OTHER_COUNTY_UNIT) and not area.covers(CITY_BUREAU)
    assert area.ungrantable([SUBMITTER, REVIEWER, ORG_ADMIN]) == []
    assert area.ungrantable([REVIEWER, SYSADMIN, AUDITOR, IT_DIVISION]) == sorted([SYSADMIN, AUDITOR, IT_DIVISION])
    assert SYSADMIN not in AREA_ROLES


def test_a_league_city_administrator_administers_its_counties_too() -> None:
    area = AdminArea.of(admin(ORG_ADMIN, division="150100"))
    assert area is not None
    assert area.covers(CITY_BUREAU) and area.covers(COUNTY_UNIT) and not area.covers(OTHER_COUNTY_UNIT)


@pytest.mark.parametrize(
    "who",
    [
        admin(SYSADMIN, division="150102"),  # a system administrator role outside the region: no area
        admin(ORG_ADMIN, kind="budget_unit"),  # the area role at a unit: no area
        admin(REVIEWER, SUBMITTER),
        admin(AUDITOR, kind="it_division", division="150000"),
    ],
)
def test_others_administer_no_users(who: Administrator) -> None:
    assert AdminArea.of(who) is None
