"""Query and path numbers every service declares alike, bounded to what PostgreSQL holds.

An unbounded integer went as far as the database: `skip=9223372036854775808` (2^63, one past a bigint) or a
scheme version of 2^31 (one past an integer) failed in the driver and came back as a 500. Bounded in the
declaration, it is a 422 naming the parameter and the rule before any query runs (issue 15)."""

from typing import Annotated

from fastapi import Path, Query

MAX_SKIP = 100_000  # 2,000 pages of 50: further than anyone pages; the lists are filtered, not paged through
INT4_MAX = 2**31 - 1  # PostgreSQL's integer: version numbers

Skip = Annotated[int, Query(ge=0, le=MAX_SKIP, description="跳过条数 (offset), at most 100000")]
VersionNumber = Annotated[int, Path(ge=1, le=INT4_MAX, description="版本号")]
