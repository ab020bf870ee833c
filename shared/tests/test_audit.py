"""The audit trail against the real store (FerretDB locally, MongoDB where testcontainers runs it)."""

import asyncio
import itertools
import os
import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from uuid import uuid4

import pytest
from pymongo import AsyncMongoClient
from pymongo.asynchronous.collection import AsyncCollection

from shared.audit import INDEXES, AuditLog, entry_hash, entry_id
from shared.events import Actor
from shared.store import ensure_indexes

ROOT = Path(__file__).resolve().parents[2]
CLERK = Actor(user_id="u-17", name="王芳", org_id="unit-042", roles=["unit_clerk"])


@pytest.fixture
async def audit(stack) -> AsyncIterator[AsyncCollection]:
    """An `audit` collection with its indexes, in a database of its own that is dropped afterwards."""
    client = AsyncMongoClient(stack.mongodb_url, tz_aware=True)
    database = client[f"{stack.db_prefix}_audit_{uuid4().hex[:8]}"]
    await ensure_indexes(database, INDEXES)
    try:
        yield database["audit"]
    finally:
        await client.drop_database(database.name)
        await client.close()


async def append_many(log: AuditLog, count: int) -> list[dict]:
    return [
        await log.append(CLERK, "ticket.submitted", f"T-{n}", {"n": n, "title": f"需求 {n}", "tags": ["a", "b"]})
        for n in range(1, count + 1)
    ]


async def test_appending_50_entries_verifies_ok(audit: AsyncCollection) -> None:
    log = AuditLog(audit, "intake")
    entries = await append_many(log, 50)

    assert [entry["seq"] for entry in entries] == list(range(1, 51))
    assert entries[0]["prev_hash"] == "0" * 64
    assert all(later["prev_hash"] == earlier["hash"] for earlier, later in itertools.pairwise(entries))
    result = await log.verify()
    assert (result.ok, result.checked, result.first_bad_seq, result.problem) == (True, 50, None, None)
    assert await log.head() == (50, entries[-1]["hash"])


async def test_stored_entry_hashes_the_same_after_the_round_trip(audit: AsyncCollection) -> None:
    """Microseconds (in `at` and in data) are cut to the milliseconds the store keeps before hashing."""
    log = AuditLog(audit, "review")
    written = await log.append(CLERK, "deadline.set", "T-1", {"due": datetime(2025, 3, 1, 8, 30, 0, 123456, UTC)})

    stored = await audit.find_one({"_id": entry_id("review", 1)})

    assert stored == written
    assert stored["hash"] == entry_hash(stored)
    assert (await log.verify()).ok


async def test_editing_an_entrys_data_is_detected_as_modified_at_its_seq(audit: AsyncCollection) -> None:
    log = AuditLog(audit, "intake")
    await append_many(log, 10)

    await audit.update_one({"_id": entry_id("intake", 6)}, {"$set": {"data.title": "改过的标题"}})

    result = await log.verify()
    assert (result.ok, result.first_bad_seq, result.problem) == (False, 6, "modified")


async def test_deleting_a_middle_entry_is_detected_as_missing_at_its_seq(audit: AsyncCollection) -> None:
    log = AuditLog(audit, "intake")
    await append_many(log, 10)

    await audit.delete_one({"_id": entry_id("intake", 4)})

    result = await log.verify()
    assert (result.ok, result.first_bad_seq, result.problem) == (False, 4, "missing")


async def test_rehashing_a_modified_entry_is_detected_at_the_next_entry_as_broken_link(
    audit: AsyncCollection,
) -> None:
    log = AuditLog(audit, "intake")
    await append_many(log, 10)
    forged = await audit.find_one({"_id": entry_id("intake", 5)})
    forged["data"]["title"] = "改过的标题"
    forged["hash"] = entry_hash(forged)  # the attacker recomputes the edited entry's own hash

    await audit.replace_one({"_id": forged["_id"]}, forged)

    result = await log.verify()
    assert (result.ok, result.first_bad_seq, result.problem) == (False, 6, "broken link")


async def test_deleting_the_tail_is_detected_only_against_an_anchor(audit: AsyncCollection) -> None:
    log = AuditLog(audit, "intake")
    await append_many(log, 10)
    anchor = await log.head()

    await audit.delete_many({"chain": "intake", "seq": {"$gte": 9}})

    assert (await log.verify()).ok, "nothing inside the chain shows a cut-off end"
    result = await log.verify(expected_head=anchor)
    assert (result.ok, result.first_bad_seq, result.problem) == (False, 9, "deleted tail")


async def test_a_chain_rewritten_up_to_the_anchor_fails_the_anchor(audit: AsyncCollection) -> None:
    log = AuditLog(audit, "intake")
    await append_many(log, 3)
    anchor = await log.head()
    # The attacker rewrites the last entry and recomputes its hash: the chain itself still holds.
    forged = await audit.find_one({"_id": entry_id("intake", 3)})
    forged["action"] = "ticket.withdrawn"
    forged["hash"] = entry_hash(forged)
    await audit.replace_one({"_id": forged["_id"]}, forged)

    assert (await log.verify()).ok
    result = await log.verify(expected_head=anchor)
    assert (result.ok, result.first_bad_seq, result.problem) == (False, 3, "anchor mismatch")


async def test_20_concurrent_appends_yield_seq_1_to_20_without_gaps_and_a_valid_chain(
    audit: AsyncCollection,
) -> None:
    writers = [AuditLog(audit, "dispatch") for _ in range(20)]  # as if from 20 service instances

    entries = await asyncio.gather(
        *(writer.append(CLERK, "work_order.assigned", f"W-{n}", {"n": n}) for n, writer in enumerate(writers))
    )

    assert sorted(entry["seq"] for entry in entries) == list(range(1, 21))
    assert await audit.count_documents({"chain": "dispatch"}) == 20
    result = await writers[0].verify()
    assert (result.ok, result.checked) == (True, 20)


async def test_chains_in_one_collection_do_not_interfere(audit: AsyncCollection) -> None:
    intake, review = AuditLog(audit, "intake"), AuditLog(audit, "review")
    await append_many(intake, 3)
    await append_many(review, 2)

    await audit.update_one({"_id": entry_id("review", 2)}, {"$set": {"subject": "T-999"}})

    assert (await intake.verify()).ok
    assert (await review.verify()).problem == "modified"


@pytest.mark.parametrize(
    "data",
    [{"a.b": 1}, {"$set": 1}, {"matrix": [[1, 2]]}, {"ratio": float("nan")}, {"blob": b"x"}],
    ids=["dotted key", "dollar key", "nested array", "NaN", "bytes"],
)
async def test_data_the_store_cannot_round_trip_is_refused_before_writing(audit: AsyncCollection, data: dict) -> None:
    with pytest.raises((ValueError, TypeError)):
        await AuditLog(audit, "intake").append(CLERK, "x", "T-1", data)

    assert await audit.count_documents({}) == 0


async def test_the_cli_exits_1_on_a_tampered_chain(audit: AsyncCollection, stack) -> None:
    log = AuditLog(audit, "portal")
    await append_many(log, 5)
    command = [
        sys.executable, "-m", "shared.audit", "verify",
        "--mongodb-url", stack.mongodb_url, "--database", audit.database.name, "--chain", "portal",
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

    await audit.update_one({"_id": entry_id("portal", 2)}, {"$set": {"actor.name": "someone else"}})

    code, output = await run()
    assert code == 1, output
    assert "BROKEN at seq 2 (modified)" in output
