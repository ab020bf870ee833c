"""The settings of a review deployment by finance level (decision 0016): a bad one stops the start naming the
setting and its rule; the gateway's routes and `make run`'s split are read the same way."""

import pytest

from infra.launcher import parse_review_split
from shared.auth import Principal
from shared.review_deployments import ReviewDeployment, parse_deployments


def reviewer(division_code: str) -> Principal:
    return Principal(
        user_id="u", username="u", name="审核员", org_id=f"fb-{division_code}", org_name="财政局",
        org_kind="finance_bureau", division_code=division_code, org_path=[division_code], roles=["reviewer"],
    )  # fmt: skip


@pytest.mark.parametrize(
    ("level", "area", "rule"),
    [
        ("province", "", "FD_REVIEW_LEVEL='province': one of county, city, region"),
        ("region", "15", "FD_REVIEW_AREA is for a county or city deployment"),
        ("county", "15x1", "FD_REVIEW_AREA='15x1': the first 2-6 digits of a division code"),
        ("county", "1599", "FD_REVIEW_AREA='1599': no county division's code starts with it"),
    ],
)
def test_a_bad_deployment_setting_is_refused_naming_the_setting_and_its_rule(level: str, area: str, rule: str) -> None:
    with pytest.raises(ValueError, match=rule.replace("(", r"\(")):
        ReviewDeployment.of(level, area)


def test_a_county_deployment_of_an_area_serves_that_areas_county_reviewers_only() -> None:
    hohhot_counties = ReviewDeployment.of("county", "1501")
    assert hohhot_counties.name == "county-1501" and not hohhot_counties.whole_chain
    assert hohhot_counties.serves_reviewer(reviewer("150102"))
    assert not hohhot_counties.serves_reviewer(reviewer("150202"))  # 九原区 is 包头市's
    assert not hohhot_counties.serves_reviewer(reviewer("150100"))  # the league/city's bureau
    assert ReviewDeployment.of("region", "").whole_chain and ReviewDeployment.of("", "").whole_chain


def test_the_gateways_routes_and_the_launchers_split_name_the_entry_at_fault() -> None:
    routes = parse_deployments("county=http://a:1,http://b:1; county/1502=http://c:1 ;region=http://d:1")
    assert routes == [("county", "", ["http://a:1", "http://b:1"]), ("county", "1502", ["http://c:1"]),
                      ("region", "", ["http://d:1"])]  # fmt: skip
    with pytest.raises(ValueError, match="entry 'city='"):
        parse_deployments("city=")
    assert parse_review_split("county:2,city:1,region:1") == [("county", 2), ("city", 1), ("region", 1)]
    with pytest.raises(ValueError, match="needs region"):
        parse_review_split("county:2,city:1")
    with pytest.raises(ValueError, match="entry 'county:9'"):
        parse_review_split("county:9,region:1")
