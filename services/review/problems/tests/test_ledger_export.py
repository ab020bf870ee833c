"""问题解决台账 as xlsx: a title a reporter typed is a text cell, never a formula (issue 15, hole 8)."""

from datetime import UTC, datetime
from io import BytesIO

from openpyxl import load_workbook

from services.review.problems.ledger import COLUMNS, ledger_xlsx

TITLE = '=HYPERLINK("http://evil.test","点此查看")'


def test_problem_ledger_export_holds_a_formula_title_as_text() -> None:
    row = {"_id": "PRB-1", "title": TITLE, "org_name": "@新城区", "submitter_name": "-张三"}

    sheet = load_workbook(BytesIO(ledger_xlsx([row], generated_at=datetime(2026, 12, 1, tzinfo=UTC)))).active

    cells = {COLUMNS[index][1]: cell for index, cell in enumerate(sheet[2])}
    assert (cells["title"].value, cells["title"].data_type) == ("'" + TITLE, "s")
    assert (cells["org_name"].value, cells["submitter_name"].value) == ("'@新城区", "'-张三")
    assert not [cell for line in sheet.iter_rows() for cell in line if cell.data_type == "f"]
