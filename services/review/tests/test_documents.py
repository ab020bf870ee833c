"""A case and a publication survive the trip to a stored document and back (no nested arrays in it)."""

from services.review.adapters.documents import (
    case_from_document,
    case_state,
    publication_from_document,
    publication_state,
)
from services.review.domain import draft_publication
from services.review.tests.factories import ITDIV, NOW, confirmed, new_case, reviewed


def stored(case):
    return {"_id": case.ticket_id, **case_state(case), "version": case.version}


def test_a_case_in_review_round_trips_and_shows_its_current_task() -> None:
    case = new_case()
    doc = stored(case)
    assert (doc["current_level"], doc["current_division"], doc["status"]) == ("county", "150102", "in_review")
    assert case_from_document(doc) == case


def test_a_confirmed_case_round_trips_with_its_decision() -> None:
    case = confirmed()
    doc = stored(case)
    assert doc["current_division"] is None
    assert doc["decision"]["expected_upgrade"] == "2027-03-31"
    assert case_from_document(doc) == case


def test_a_publication_round_trips() -> None:
    publication = draft_publication([confirmed("REQ-A"), confirmed("REQ-B", adopted=False)], month="2026-12",
                                    sequence=1, by=ITDIV, now=NOW)  # fmt: skip
    doc = {"_id": publication.batch_id, **publication_state(publication)}
    assert (doc["adopted"], doc["declined"]) == (1, 1)
    assert publication_from_document(doc) == publication


def test_the_review_queue_fields_clear_when_review_ends() -> None:
    doc = stored(reviewed())
    assert (doc["current_level"], doc["current_division"], doc["current_task_id"]) == (None, None, None)
