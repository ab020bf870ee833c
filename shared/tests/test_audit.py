"""The audit trail against a real PostgreSQL database (a throw-away one at the portal's migration head,
whose `audit` table holds the trail)."""

import asyncio
import itertools
import os
import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from shared.audit import AuditLog, entry_hash, entry_id
from shared.db import Database
from shared.events import Actor
from tests.databases import scratch_database

ROOT = Path(__file__).resolve().parents[2]
CLERK = Actor(user_id="u-17", name="王芳", org_id="unit-042", roles=["unit_clerk"])


@pytest.fixture(scope="module")
async def audit_database_url(stack) -> AsyncIterator[str]:
    async with scratch_database(stack.admin_database_url, "portal") as url:
        yield url


@pytest.fixture
async def audit(audit_database_url: str) -> AsyncIterator[Database]:
    """A pool on the module's database, its `audit` table emptied first."""
    db = Database(audit_database_url)
    await db.connect()
    await db.execute("TRUNCATE audit")
    try:
        yield db
    finally:
        await db.close()


async def stored(db: Database, chain: str, seq: int) -> dict:
    """The entry as the store gives it back (read through the log, as `verify` reads it)."""
    entries = await AuditLog(db, chain).entries(subject=None, limit=1_000)
    return next(entry for entry in entries if entry["seq"] == seq)


async def append_many(log: AuditLog, count: int) -> list[dict]:
    return [
        await log.append(CLERK, "ticket.submitted", f"T-{n}", {"n": n, "title": f"需求 {n}", "tags": ["a", "b"]})
        for n in range(1, count + 1)
    ]


async def test_appending_50_entries_verifies_ok(audit: Database) -> None:
    log = AuditLog(audit, "intake")
    entries = await append_many(log, 50)

    assert [entry["seq"] for entry in entries] == list(range(1, 51))
    assert entries[0]["prev_hash"] == "0" * 64
    assert all(later["prev_hash"] == earlier["hash"] for earlier, later in itertools.pairwise(entries))
    result = await log.verify()
    assert (result.ok, result.checked, result.first_bad_seq, result.problem) == (True, 50, None, None)
    assert await log.head() == (50, entries[-1]["hash"])


async def test_stored_entry_hashes_the_same_after_the_round_trip(audit: Database) -> None:
    """Microseconds (in `at` and in data) are cut to milliseconds before hashing; datetimes in data are kept
    as their canonical text (JSONB has no datetimes); floats, nesting and Chinese text come back as written."""
    log = AuditLog(audit, "review")
    data = {"due": datetime(2025, 3, 1, 8, 30, 0, 123456, UTC), "ratio": 0.1, "tiny": 1.5e-7, "标题": ["需求", 2]}
    written = await log.append(CLERK, "deadline.set", "T-1", data)

    read_back = await stored(audit, "review", 1)

    assert read_back == written and read_back["_id"] == entry_id("review", 1)
    assert read_back["data"]["due"] == "2025-03-01T08:30:00.123+00:00"
    assert read_back["hash"] == entry_hash(read_back)
    assert (await log.verify()).ok


async def test_editing_an_entrys_data_is_detected_as_modified_at_its_seq(audit: Database) -> None:
    log = AuditLog(audit, "intake")
    await append_many(log, 10)

    await audit.execute(
        """UPDATE audit SET data = jsonb_set(data, '{title}', '"改过的标题"') WHERE id = $1""", entry_id("intake", 6)
    )

    result = await log.verify()
    assert (result.ok, result.first_bad_seq, result.problem) == (False, 6, "modified")


async def test_deleting_a_middle_entry_is_detected_as_missing_at_its_seq(audit: Database) -> None:
    log = AuditLog(audit, "intake")
    await append_many(log, 10)

    await audit.execute("DELETE FROM audit WHERE id = $1", entry_id("intake", 4))

    result = await log.verify()
    assert (result.ok, result.first_bad_seq, result.problem) == (False, 4, "missing")


async def test_rehashing_a_modified_entry_is_detected_at_the_next_entry_as_broken_link(audit: Database) -> None:
    log = AuditLog(audit, "intake")
    await append_many(log, 10)
    forged = await stored(audit, "intake", 5)
    forged["data"]["title"] = "改过的标题"
    forged["hash"] = entry_hash(forged)  # the attacker recomputes the edited entry's own hash

    await audit.execute(
        "UPDATE audit SET data = $2, hash = $3 WHERE id = $1", forged["_id"], forged["data"], forged["hash"]
    )

    result = await log.verify()
    assert (result.ok, result.first_bad_seq, result.problem) == (False, 6, "broken link")


async def test_deleting_the_tail_is_detected_only_against_an_anchor(audit: Database) -> None:
    log = AuditLog(audit, "intake")
    await append_many(log, 10)
    anchor = await log.head()

    await audit.execute("DELETE FROM audit WHERE chain = 'intake' AND seq >= 9")

    assert (await log.verify()).ok, "nothing inside the chain shows a cut-off end"
    result = await log.verify(expected_head=anchor)
    assert (result.ok, result.first_bad_seq, result.problem) == (False, 9, "deleted tail")


async def test_a_chain_rewritten_up_to_the_anchor_fails_the_anchor(audit: Database) -> None:
    log = AuditLog(audit, "intake")
    await append_many(log, 3)
    anchor = await log.head()
    # The attacker rewrites the last entry and recomputes its hash: the chain itself still holds.
    forged = await stored(audit, "intake", 3)
    forged["action"] = "ticket.withdrawn"
    forged["hash"] = entry_hash(forged)
    await audit.execute(
        "UPDATE audit SET action = $2, hash = $3 WHERE id = $1", forged["_id"], forged["action"], forged["hash"]
    )

    assert (await log.verify()).ok
    result = await log.verify(expected_head=anchor)
    assert (result.ok, result.first_bad_seq, result.problem) == (False, 3, "anchor mismatch")


async def test_20_concurrent_appends_yield_seq_1_to_20_without_gaps_and_a_valid_chain(audit: Database) -> None:
    writers = [AuditLog(audit, "dispatch") for _ in range(20)]  # 20 writers sharing one pool

    entries = await asyncio.gather(
        *(writer.append(CLERK, "work_order.assigned", f"W-{n}", {"n": n}) for n, writer in enumerate(writers))
    )

    assert sorted(entry["seq"] for entry in entries) == list(range(1, 21))
    assert await audit.fetchval("SELECT count(*) FROM audit WHERE chain = 'dispatch'") == 20
    result = await writers[0].verify()
    assert (result.ok, result.checked) == (True, 20)


async def test_concurrent_appends_from_two_instances_keep_one_valid_chain(
    audit: Database, audit_database_url: str
) -> None:
    """Two portal instances (two pools) append to one chain at once: the database orders their appends."""
    second = Database(audit_database_url)
    await second.connect()
    try:
        instances = [AuditLog(audit, "events"), AuditLog(second, "events")]
        entries = await asyncio.gather(
            *(instances[n % 2].append(CLERK, "RequirementSubmitted", f"REQ-{n}", {"n": n}) for n in range(40))
        )
    finally:
        await second.close()

    by_seq = sorted(entries, key=lambda entry: entry["seq"])
    assert [entry["seq"] for entry in by_seq] == list(range(1, 41))
    assert all(later["prev_hash"] == earlier["hash"] for earlier, later in itertools.pairwise(by_seq))
    assert {entry["data"]["n"] for entry in entries} == set(range(40))
    result = await instances[0].verify()
    assert (result.ok, result.checked) == (True, 40)


async def test_chains_in_one_table_do_not_interfere(audit: Database) -> None:
    intake, review = AuditLog(audit, "intake"), AuditLog(audit, "review")
    await append_many(intake, 3)
    await append_many(review, 2)

    await audit.execute("UPDATE audit SET subject = 'T-999' WHERE id = $1", entry_id("review", 2))

    assert (await intake.verify()).ok
    assert (await review.verify()).problem == "modified"


@pytest.mark.parametrize(
    "data",
    [
        {"a.b": 1}, {"$set": 1}, {"matrix": [[1, 2]]}, {"ratio": float("nan")}, {"blob": b"x"},
        {"text": "a\x00b"}, {"big": 1e16},
    ],
    ids=["dotted key", "dollar key", "nested array", "NaN", "bytes", "NUL character", "float read back as integer"],
)  # fmt: skip
async def test_data_the_store_cannot_round_trip_is_refused_before_writing(audit: Database, data: dict) -> None:
    with pytest.raises((ValueError, TypeError)):
        await AuditLog(audit, "intake").append(CLERK, "x", "T-1", data)

    assert await audit.fetchval("SELECT count(*) FROM audit") == 0


async def test_the_cli_exits_1_on_a_tampered_chain(audit: Database, audit_database_url: str) -> None:
    log = AuditLog(audit, "portal")
    await append_many(log, 5)
    command = [
        sys.executable, "-m", "shared.audit", "verify", "--database-url", audit_database_url, "--chain", "portal",
    ]  # fmt: skip

    async def run() -> tuple[int, str]:
        process = await asyncio.create_subprocess_exec(
            *command,
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        output, _ = await process.communicate()
        return process.returncode, output.decode()

    assert await run() == (0, "chain 'portal': ok, 5 entries\n")

    await audit.execute(
        """UPDATE audit SET actor = jsonb_set(actor, '{name}', '"someone else"') WHERE id = $1""", entry_id("portal", 2)
    )

    code, output = await run()
    assert code == 1, output
    assert "BROKEN at seq 2 (modified)" in output
