"""The monthly publication as a pure state machine (第六条四): only confirmed requirements, each once."""

from datetime import date

import pytest

from services.review.domain import (
    IllegalTransition,
    InvalidCommand,
    MergeRequirement,
    RejectRequirement,
    ReturnRequirement,
    Status,
    batch_id_for,
    draft_publication,
    merge,
    publish,
    publish_requirement,
    reject,
    return_for_amendment,
)
from services.review.tests.factories import (
    CITY,
    COUNTY,
    ITDIV,
    NOW,
    at_level,
    confirmed,
    event_types,
    new_case,
    refined,
    reviewed,
)
from shared.events import SYSTEM


def rejected():
    case = at_level("city")
    reject(case, RejectRequirement(case.ticket_id, "不符合全区通用性原则，不予实现"), by=CITY, now=NOW)
    return case


def returned():
    case = new_case()
    return_for_amendment(case, ReturnRequirement(case.ticket_id, "请补充业务场景"), by=COUNTY, now=NOW)
    return case


def merged():
    case = reviewed()
    merge(case, MergeRequirement(case.ticket_id, "REQ-OTHER"), into=reviewed("REQ-OTHER"), by=ITDIV, now=NOW)
    return case


NOT_CONFIRMED = {
    "in review": new_case,
    "returned": returned,
    "rejected": rejected,
    "awaiting refinement": reviewed,
    "awaiting confirmation": refined,
    "merged": merged,
}


def draft(*cases, month: str = "2026-12", sequence: int = 1):
    return draft_publication(cases, month=month, sequence=sequence, by=ITDIV, now=NOW)


# --- legal transitions -------------------------------------------------------------------------------


def test_publication_lists_adopted_and_declined_with_reason_and_upgrade_date() -> None:
    publication = draft(confirmed("REQ-A"), confirmed("REQ-B", adopted=False))

    assert publication.batch_id == "PUB-2026-12" and publication.status == "publishing"
    adopted, declined = publication.entries
    assert (adopted.adopted, adopted.expected_upgrade, adopted.reason) == (True, date(2027, 3, 31), "")
    assert (declined.adopted, declined.expected_upgrade) == (False, None)
    assert declined.reason == "与现有导出功能重复，可使用通用导出"
    assert adopted.org_name == "新城区教育局" and adopted.business_division_id == "bd-budget"


def test_publishing_a_requirement_marks_it_published_in_the_batch() -> None:
    case = confirmed()
    publish_requirement(case, batch_id="PUB-2026-12", by=ITDIV, now=NOW)

    assert case.status is Status.PUBLISHED and case.batch_id == "PUB-2026-12"
    [event] = case.events
    assert (type(event).__name__, event.batch_id, event.adopted) == ("RequirementPublished", "PUB-2026-12", True)
    assert event.expected_upgrade == date(2027, 3, 31)
    assert case.history[-1].action == "published"


def test_the_system_may_complete_a_publication_after_a_crash() -> None:
    case = confirmed()
    publish_requirement(case, batch_id="PUB-2026-12", by=SYSTEM, now=NOW)
    assert case.history[-1].actor_id == "system"


def test_publish_emits_the_batch_with_the_requirements_marked_in_it() -> None:
    publication = draft(confirmed("REQ-A"), confirmed("REQ-B", adopted=False))
    publish(publication, published={"REQ-A", "REQ-B"}, now=NOW)

    assert publication.status == "published" and publication.published_at == NOW
    [event] = publication.events
    assert (type(event).__name__, event.subject, event.month) == ("PublicationPublished", "PUB-2026-12", "2026-12")
    assert [(item.ticket_id, item.adopted, item.reason) for item in event.items] == [
        ("REQ-A", True, ""),
        ("REQ-B", False, "与现有导出功能重复，可使用通用导出"),
    ]


def test_a_requirement_another_batch_took_is_left_out() -> None:
    publication = draft(confirmed("REQ-A"), confirmed("REQ-B"))
    publish(publication, published={"REQ-B"}, now=NOW)
    assert publication.ticket_ids == ["REQ-B"]
    assert [item.ticket_id for item in publication.events[0].items] == ["REQ-B"]


def test_a_batch_left_with_nothing_is_abandoned_without_an_event() -> None:
    publication = draft(confirmed())
    publish(publication, published=set(), now=NOW)
    assert publication.status == "abandoned" and publication.events == []


@pytest.mark.parametrize(("sequence", "batch_id"), [(1, "PUB-2026-12"), (2, "PUB-2026-12-2"), (3, "PUB-2026-12-3")])
def test_a_months_further_batches_are_numbered(sequence, batch_id) -> None:
    assert batch_id_for("2026-12", sequence) == batch_id
    assert draft(confirmed(), sequence=sequence).batch_id == batch_id


# --- illegal transitions -----------------------------------------------------------------------------


@pytest.mark.parametrize("state", NOT_CONFIRMED)
def test_publishing_before_confirmation_is_refused(state) -> None:
    """第六条四: 根据业务处室的确认意见 … 进行公示 — nothing is published before the business division answered."""
    case = NOT_CONFIRMED[state]()
    with pytest.raises(IllegalTransition) as refused:
        draft(confirmed("REQ-A"), case)
    assert (refused.value.code, refused.value.status_code, refused.value.field) == ("not_confirmed", 409, "ticket_ids")
    assert "尚未经归口业务处室确认" in refused.value.message and "(not confirmed" in refused.value.message

    before = case.status
    with pytest.raises(IllegalTransition):
        publish_requirement(case, batch_id="PUB-2026-12", by=ITDIV, now=NOW)
    assert case.status is before and case.batch_id is None


def test_publishing_a_requirement_twice_is_refused() -> None:
    case = confirmed()
    publish_requirement(case, batch_id="PUB-2026-12", by=ITDIV, now=NOW)
    with pytest.raises(IllegalTransition) as refused:
        publish_requirement(case, batch_id="PUB-2026-12-2", by=ITDIV, now=NOW)
    assert refused.value.code == "already_published"
    with pytest.raises(IllegalTransition):
        draft(case)


def test_publishing_nothing_is_refused() -> None:
    with pytest.raises(IllegalTransition) as refused:
        draft()
    assert refused.value.code == "nothing_to_publish"


@pytest.mark.parametrize("month", ["2026-13", "2026-00", "26-12", "2026/12", "2026-1", ""])
def test_a_malformed_month_is_refused(month) -> None:
    with pytest.raises(InvalidCommand) as refused:
        draft(confirmed(), month=month)
    assert refused.value.field == "month"


def test_a_completed_batch_cannot_be_published_again() -> None:
    publication = draft(confirmed())
    publish(publication, published={"REQ-202612-0001"}, now=NOW)
    with pytest.raises(IllegalTransition):
        publish(publication, published={"REQ-202612-0001"}, now=NOW)
    assert len(publication.events) == 1


def test_the_way_from_submission_to_publication() -> None:
    """One requirement through every step, in order: the happy path of 第三条 and 第六条一～四."""
    case = confirmed()
    publish_requirement(case, batch_id="PUB-2026-12", by=ITDIV, now=NOW)
    assert event_types(case) == ["RequirementPublished"]
    assert [entry.action for entry in case.history] == [
        "submitted", "forwarded", "forwarded", "forwarded", "review_completed", "refined", "adopted", "published"
    ]  # fmt: skip
