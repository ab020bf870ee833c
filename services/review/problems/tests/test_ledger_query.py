"""The problem ledger's query (services/review/problems/ledger.py): area and filters, "open" for every case
not closed yet (the SLA board lists the running clocks); the desks whose cases are a user's to act on."""

from services.review.problems.documents import case_state
from services.review.problems.ledger import (
    BOARD_FIELDS,
    Desk,
    LedgerFilter,
    ledger_query,
    on_board,
    present,
    queue_query,
)
from services.review.problems.tests.factories import opened
from shared.auth import Principal


def reader(org_kind: str, division_code: str, org_id: str, roles: list[str]) -> Principal:
    path = ["150000", division_code, org_id] if division_code != "150000" else ["150000", org_id]
    return Principal(
        user_id="u-x",
        username="x",
        name="x",
        org_id=org_id,
        org_name="x",
        org_kind=org_kind,
        division_code=division_code,
        org_path=path,
        roles=roles,
    )


IT_DIVISION = reader("it_division", "150000", "itd", ["it_division"])
CITY = reader("finance_bureau", "150100", "fb-150100", ["reviewer"])


def test_open_means_every_case_not_closed() -> None:
    assert ledger_query(IT_DIVISION, status="open") == LedgerFilter(not_closed=True)
    assert ledger_query(CITY, status="open", urgent=True) == LedgerFilter(area="150100", not_closed=True, urgent=True)


def test_a_named_status_is_matched_as_it_is() -> None:
    assert ledger_query(IT_DIVISION, status="answered") == LedgerFilter(status="answered")
    assert ledger_query(IT_DIVISION) == LedgerFilter()


def test_a_bureau_reviewer_has_the_desk_of_its_division_and_a_user_without_a_desk_none() -> None:
    assert queue_query(CITY) == [Desk(("reviewer",), owner_division="150100")]
    assert queue_query(reader("budget_unit", "150102", "bu-1", ["auditor"])) is None


def test_the_board_view_is_the_columns_the_board_shows_as_the_full_view_has_them() -> None:
    case = opened("consulting", ticket_id="PRB-1")
    doc = {"_id": case.ticket_id, **case_state(case), "version": 1}
    full, board = present(doc), on_board(doc)
    assert set(board) == {*BOARD_FIELDS, "sla"}
    assert {key: board[key] for key in BOARD_FIELDS} == {key: full[key] for key in BOARD_FIELDS}
    assert board["sla"] == {"response_state": "on_track", "resolution_state": "on_track"}
