"""Query-plan checks for tests: no query on a request or consumer path reads a whole large table.

`PlanCheckingDatabase` is a `Database` whose reads (fetch, fetchrow, fetchval) first run
`EXPLAIN (FORMAT JSON)` of the same statement with the same arguments and record every sequential scan
of a table holding more than `large` rows. A test seeds the tables (100,000+ rows), runs ANALYZE, calls
the repositories' real queries through this database and asserts `db.seq_scans == []`.
Repositories therefore read through `Database.fetch*` (which join an open transaction), not through a
connection of their own.
"""

from collections.abc import Awaitable
from typing import Any, TypeVar

from shared.db import Database

T = TypeVar("T")


def seq_scans(plan: dict[str, Any]) -> list[str]:
    """Relations read by a Seq Scan anywhere in a JSON plan."""
    found = []
    if plan.get("Node Type") == "Seq Scan":
        found.append(plan.get("Relation Name", "?"))
    for child in plan.get("Plans", []):
        found.extend(seq_scans(child))
    return found


class PlanCheckingDatabase(Database):
    def __init__(self, url: str, *, large: int = 10_000) -> None:
        super().__init__(url)
        self.large = large
        self.explained: list[str] = []
        self.seq_scans: list[tuple[str, str]] = []
        self._sizes: dict[str, float] = {}

    async def _size(self, relation: str) -> float:
        if relation not in self._sizes:
            async with self.connection() as conn:
                self._sizes[relation] = (
                    await conn.fetchval("SELECT reltuples FROM pg_class WHERE relname = $1 AND relkind = 'r'", relation)
                    or 0
                )
        return self._sizes[relation]

    async def _explain(self, sql: str, args: tuple) -> None:
        async with self.connection() as conn:
            plan = (await conn.fetchval(f"EXPLAIN (FORMAT JSON) {sql}", *args))[0]["Plan"]
        self.explained.append(" ".join(sql.split()))
        for relation in seq_scans(plan):
            if await self._size(relation) > self.large:
                self.seq_scans.append((relation, " ".join(sql.split())))

    async def fetch(self, sql: str, *args: Any) -> list:
        await self._explain(sql, args)
        return await super().fetch(sql, *args)

    async def fetchrow(self, sql: str, *args: Any) -> Any:
        await self._explain(sql, args)
        return await super().fetchrow(sql, *args)

    async def fetchval(self, sql: str, *args: Any) -> Any:
        await self._explain(sql, args)
        return await super().fetchval(sql, *args)


async def explained(db: PlanCheckingDatabase, call: Awaitable[T]) -> T:
    """Await a repository's call made on `db`: it must have read through `Database.fetch*` (so it was
    explained) and must have read no large table sequentially."""
    db.seq_scans.clear()
    before = len(db.explained)
    result = await call
    assert len(db.explained) > before, "the call did not go through Database.fetch*"
    assert db.seq_scans == [], db.seq_scans
    return result
