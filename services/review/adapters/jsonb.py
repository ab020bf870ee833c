"""The aggregates' `doc` columns: JSONB keeps datetimes as ISO strings (shared.db), the domain wants them back.

`revive` turns every string that is exactly an aware ISO datetime (what `datetime.isoformat()` wrote) back
into a datetime, anywhere in a document; dates without a time (an expected upgrade day) stay strings, as
the documents store them.
"""

import re
from datetime import datetime
from typing import Any

ISO_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?(Z|[+-]\d{2}:\d{2})$")


def revive(value: Any) -> Any:
    if isinstance(value, str):
        return datetime.fromisoformat(value) if ISO_DATETIME.match(value) else value
    if isinstance(value, dict):
        return {key: revive(item) for key, item in value.items()}
    if isinstance(value, list):
        return [revive(item) for item in value]
    return value


def like_pattern(text: str) -> str:
    """`text` as an ILIKE substring pattern: its own %, _ and \\ are just characters."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def like_prefix(text: str) -> str:
    """`text` as a LIKE prefix pattern (a division code prefix, decision 0016)."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"{escaped}%"
