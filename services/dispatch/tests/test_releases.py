"""部署上线 (第六条八): what a release may contain and announce, no I/O."""

from datetime import date, timedelta

import pytest

from services.dispatch.domain import (
    AnnounceRelease,
    CaseStatus,
    announce_release,
    mark_released,
    new_release_id,
)
from services.dispatch.tests.factories import (
    ITDIV,
    NOW,
    TODAY,
    adopted_case,
    delivered_case,
    dispatched_case,
    verified_case,
)
from shared.errors import DomainError, InvalidInput
from shared.events import ReleaseAnnounced, RequirementReleased
from shared.topics import Topics


def command(*ticket_ids: str, **overrides) -> AnnounceRelease:
    values = {
        "version": "v2026.12.1",
        "release_date": TODAY + timedelta(days=3),
        "title": "2026年12月升级",
        "notes": "新增指标查询导出功能。",
        "ticket_ids": ticket_ids or ("REQ-1",),
        "manual_url": "https://docs.fiscal.test/manual/v2026.12.1",
        "video_url": "http://video.fiscal.test/v2026.12.1",
        "report_guide_url": "",
    }
    return AnnounceRelease(**{**values, **overrides})


def announce(cmd: AnnounceRelease, cases: dict, released_in: dict | None = None):
    return announce_release(
        cmd, cases, released_in=released_in or {}, release_id="REL-1", today=TODAY, actor=ITDIV, at=NOW
    )


def test_release_of_verified_requirements_announces_it_and_releases_each_ticket() -> None:
    release = announce(command("REQ-1", "REQ-2"), {"REQ-1": verified_case("REQ-1"), "REQ-2": verified_case("REQ-2")})
    announced, *released = release.events
    assert isinstance(announced, ReleaseAnnounced)
    assert (announced.subject, announced.ticket_ids, announced.version) == ("REL-1", ["REQ-1", "REQ-2"], "v2026.12.1")
    assert [(e.ticket_id, e.release_id) for e in released] == [("REQ-1", "REL-1"), ("REQ-2", "REL-1")]
    assert all(isinstance(e, RequirementReleased) for e in released)
    assert {Topics("fd").for_event(e) for e in release.events} == {"fd.dispatch-events"}


@pytest.mark.parametrize(
    "make", [None, adopted_case, dispatched_case, delivered_case], ids=["unknown", "adopted", "dispatched", "delivered"]
)
def test_release_contains_only_verified_requirements_and_names_the_one_that_is_not(make) -> None:
    cases = {"REQ-1": verified_case("REQ-1"), "REQ-2": make() if make else None}
    with pytest.raises(DomainError) as error:
        announce(command("REQ-1", "REQ-2"), cases)
    assert (error.value.code, error.value.field, error.value.status_code) == ("ticket_not_verified", "ticket_ids", 409)
    assert "REQ-2" in error.value.message


def test_requirement_already_released_is_not_released_again() -> None:
    released = verified_case("REQ-1")
    mark_released(released, "REL-0", "v1", ITDIV, NOW)
    with pytest.raises(DomainError) as error:
        announce(command("REQ-1"), {"REQ-1": released})
    assert error.value.code == "ticket_already_released" and "REL-0" in error.value.message
    # ... also when only the releases know it yet (the case follows from the release's events).
    with pytest.raises(DomainError) as error:
        announce(command("REQ-1"), {"REQ-1": verified_case("REQ-1")}, {"REQ-1": "REL-0"})
    assert error.value.code == "ticket_already_released"


def test_release_lists_each_ticket_once_and_at_least_one() -> None:
    with pytest.raises(InvalidInput) as error:
        announce(command("REQ-1", "REQ-1"), {"REQ-1": verified_case("REQ-1")})
    assert (error.value.code, error.value.field) == ("duplicate_tickets", "ticket_ids")
    with pytest.raises(InvalidInput) as error:
        announce(command(ticket_ids=()), {})
    assert error.value.code == "no_tickets"


def test_release_is_announced_in_advance_never_for_a_past_day() -> None:
    with pytest.raises(InvalidInput) as error:
        announce(command("REQ-1", release_date=TODAY - timedelta(days=1)), {"REQ-1": verified_case("REQ-1")})
    assert (error.value.code, error.value.field) == ("release_date_in_past", "release_date")
    assert announce(command("REQ-1", release_date=TODAY), {"REQ-1": verified_case("REQ-1")}).events


@pytest.mark.parametrize("field", ["manual_url", "video_url", "report_guide_url"])
@pytest.mark.parametrize(
    "url", ["ftp://docs.fiscal.test/m.pdf", "javascript:alert(1)", "https://", "docs.fiscal.test/m", "http://a b/"]
)
def test_manual_video_and_report_guide_links_are_http_or_https(field: str, url: str) -> None:
    with pytest.raises(InvalidInput) as error:
        announce(command("REQ-1", **{field: url}), {"REQ-1": verified_case("REQ-1")})
    assert (error.value.code, error.value.field) == ("url_invalid", field)


def test_release_id_carries_the_release_date() -> None:
    assert new_release_id(date(2026, 12, 10)).startswith("REL-20261210-")
    assert new_release_id(date(2026, 12, 10)) != new_release_id(date(2026, 12, 10))


def test_released_requirement_is_done_and_the_same_release_again_changes_nothing() -> None:
    case = verified_case()
    assert mark_released(case, "REL-1", "v2026.12.1", ITDIV, NOW) is True
    assert (case.status, case.release_id, case.history[-1].action) == (CaseStatus.RELEASED, "REL-1", "released")
    assert mark_released(case, "REL-1", "v2026.12.1", ITDIV, NOW) is False
    with pytest.raises(DomainError) as error:
        mark_released(case, "REL-2", "v2026.12.2", ITDIV, NOW)
    assert error.value.code == "ticket_already_released"


@pytest.mark.parametrize("make", [adopted_case, dispatched_case, delivered_case])
def test_only_a_verified_requirement_is_marked_released(make) -> None:
    with pytest.raises(DomainError) as error:
        mark_released(make(), "REL-1", "v1", ITDIV, NOW)
    assert error.value.code == "ticket_not_verified"
