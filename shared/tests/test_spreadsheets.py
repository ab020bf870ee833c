"""User text in an export is text: a cell that would start a formula is neutralised (issue 15, hole 8)."""

import pytest

from shared.spreadsheets import safe_cell

FORMULAS = ['=HYPERLINK("http://evil.test","点此查看")', "+1+1", "-2+3", "@SUM(A1:A2)", "\t=1+1", "\r=1+1"]


@pytest.mark.parametrize("text", FORMULAS)
def test_text_that_would_start_a_formula_gets_a_leading_apostrophe(text: str) -> None:
    assert safe_cell(text) == "'" + text


@pytest.mark.parametrize("value", ["指标查询无法导出", "2026-12-01 10:00", "a=b", "", -3, 4.5, None, True])
def test_other_texts_and_every_number_are_left_as_they_are(value) -> None:
    assert safe_cell(value) == value
