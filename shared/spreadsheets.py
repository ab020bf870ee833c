"""Cells of every exported spreadsheet: user text is data, never a formula (CSV / formula injection).

A spreadsheet program reads a cell that begins with = + - or @ as a formula, and one that begins with a tab
or a carriage return is read the same way once the leading blank is dropped: a problem titled
`=HYPERLINK("http://…","点此查看")` in the problem ledger became a live link (or a DDE command) in the
reader's Excel. `safe_cell` puts an apostrophe in front of such a text, the mark spreadsheets themselves
use for "this is text"; numbers, dates and every other text are left as they are. web/src/xlsx.js applies
the same rule to the exports written in the browser.
"""

from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """`value` as a cell may hold it: a text that would start a formula gets a leading apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value
