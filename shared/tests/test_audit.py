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

from shared.audit import AuditKey, AuditLog, ensure_audit_key, entry_hash, entry_id
from shared.audit_anchors import AnchorDirectory, AnchorExport
from shared.db import Database
from shared.events import Actor
from tests.databases import scratch_database

ROOT = Path(__file__).resolve().parents[2]
CLERK = Actor(user_id="u-17", name="王芳", org_id="unit-042", roles=["unit_clerk"])
KEY = AuditKey(bytes(range(32)))  # the portal's, outside the database


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
    entries = await AuditLog(db, chain, key=KEY).entries(subject=None, limit=1_000)
    return next(entry for entry in entries if entry["seq"] == seq)


async def append_many(log: AuditLog, count: int) -> list[dict]:
    return [
        await log.append(CLERK, "ticket.submitted", f"T-{n}", {"n": n, "title": f"需求 {n}", "tags": ["a", "b"]})
        for n in range(1, count + 1)
    ]


async def test_appending_50_entries_verifies_ok(audit: Database) -> None:
    log = AuditLog(audit, "intake", key=KEY)
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
    log = AuditLog(audit, "review", key=KEY)
    data = {"due": datetime(2025, 3, 1, 8, 30, 0, 123456, UTC), "ratio": 0.1, "tiny": 1.5e-7, "标题": ["需求", 2]}
    written = await log.append(CLERK, "deadline.set", "T-1", data)

    read_back = await stored(audit, "review", 1)

    assert read_back == written and read_back["_id"] == entry_id("review", 1)
    assert read_back["data"]["due"] == "2025-03-01T08:30:00.123+00:00"
    assert read_back["hash"] == entry_hash(read_back, KEY)
    assert (await log.verify()).ok


async def test_editing_an_entrys_data_is_detected_as_modified_at_its_seq(audit: Database) -> None:
    log = AuditLog(audit, "intake", key=KEY)
    await append_many(log, 10)

    await audit.execute(
        """UPDATE audit SET data = jsonb_set(data, '{title}', '"改过的标题"') WHERE id = $1""", entry_id("intake", 6)
    )

    result = await log.verify()
    assert (result.ok, result.first_bad_seq, result.problem) == (False, 6, "modified")


async def test_deleting_a_middle_entry_is_detected_as_missing_at_its_seq(audit: Database) -> None:
    log = AuditLog(audit, "intake", key=KEY)
    await append_many(log, 10)

    await audit.execute("DELETE FROM audit WHERE id = $1", entry_id("intake", 4))

    result = await log.verify()
    assert (result.ok, result.first_bad_seq, result.problem) == (False, 4, "missing")


@pytest.mark.parametrize("other_key", [None, AuditKey(b"k" * 32)], ids=["plain SHA-256", "another key"])
async def test_an_entry_rehashed_without_the_key_is_detected_as_modified_at_its_seq(
    audit: Database, other_key: AuditKey | None
) -> None:
    """Write access to the database is not enough: without the key no recomputed hash holds."""
    log = AuditLog(audit, "intake", key=KEY)
    await append_many(log, 10)
    forged = await stored(audit, "intake", 5)
    forged["data"]["title"] = "改过的标题"
    forged["hash"] = entry_hash(forged, other_key)

    await audit.execute(
        "UPDATE audit SET data = $2, hash = $3 WHERE id = $1", forged["_id"], forged["data"], forged["hash"]
    )

    result = await log.verify()
    assert (result.ok, result.first_bad_seq, result.problem) == (False, 5, "modified")


async def test_rewriting_the_newest_entry_without_the_key_is_detected_without_an_anchor(audit: Database) -> None:
    """Before keying, an edited last entry with its SHA-256 recomputed verified: nothing pointed at it."""
    log = AuditLog(audit, "intake", key=KEY)
    await append_many(log, 3)
    forged = await stored(audit, "intake", 3)
    forged["action"] = "ticket.withdrawn"
    forged["hash"] = entry_hash(forged)
    await audit.execute(
        "UPDATE audit SET action = $2, hash = $3 WHERE id = $1", forged["_id"], forged["action"], forged["hash"]
    )

    result = await log.verify()
    assert (result.ok, result.first_bad_seq, result.problem) == (False, 3, "modified")


async def test_rehashing_with_the_key_is_detected_at_the_next_entry_as_broken_link(audit: Database) -> None:
    log = AuditLog(audit, "intake", key=KEY)
    await append_many(log, 10)
    forged = await stored(audit, "intake", 5)
    forged["data"]["title"] = "改过的标题"
    forged["hash"] = entry_hash(forged, KEY)  # someone holding the key recomputes the edited entry's own hash

    await audit.execute(
        "UPDATE audit SET data = $2, hash = $3 WHERE id = $1", forged["_id"], forged["data"], forged["hash"]
    )

    result = await log.verify()
    assert (result.ok, result.first_bad_seq, result.problem) == (False, 6, "broken link")


async def test_deleting_the_tail_is_detected_only_against_an_anchor(audit: Database) -> None:
    log = AuditLog(audit, "intake", key=KEY)
    await append_many(log, 10)
    anchor = await log.head()

    await audit.execute("DELETE FROM audit WHERE chain = 'intake' AND seq >= 9")

    assert (await log.verify()).ok, "nothing inside the chain shows a cut-off end"
    result = await log.verify(expected_head=anchor)
    assert (result.ok, result.first_bad_seq, result.problem) == (False, 9, "deleted tail")


async def test_a_chain_rewritten_up_to_the_anchor_fails_the_anchor(audit: Database) -> None:
    log = AuditLog(audit, "intake", key=KEY)
    await append_many(log, 3)
    anchor = await log.head()
    # Someone holding the key rewrites the last entry and recomputes its hash: the chain itself still holds.
    forged = await stored(audit, "intake", 3)
    forged["action"] = "ticket.withdrawn"
    forged["hash"] = entry_hash(forged, KEY)
    await audit.execute(
        "UPDATE audit SET action = $2, hash = $3 WHERE id = $1", forged["_id"], forged["action"], forged["hash"]
    )

    assert (await log.verify()).ok
    result = await log.verify(expected_head=anchor)
    assert (result.ok, result.first_bad_seq, result.problem) == (False, 3, "anchor mismatch")


async def test_20_concurrent_appends_yield_seq_1_to_20_without_gaps_and_a_valid_chain(audit: Database) -> None:
    writers = [AuditLog(audit, "dispatch", key=KEY) for _ in range(20)]  # 20 writers sharing one pool

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
        instances = [AuditLog(audit, "events", key=KEY), AuditLog(second, "events", key=KEY)]
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
    intake, review = AuditLog(audit, "intake", key=KEY), AuditLog(audit, "review", key=KEY)
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
        await AuditLog(audit, "intake", key=KEY).append(CLERK, "x", "T-1", data)

    assert await audit.fetchval("SELECT count(*) FROM audit") == 0


async def verify_cli(*arguments: str | Path) -> tuple[int, str]:
    """`python -m shared.audit verify …` as an operator runs it: exit code and output."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "shared.audit", "verify", *map(str, arguments),
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    output, _ = await process.communicate()
    return process.returncode, output.decode()


@pytest.fixture
def key_file(tmp_path: Path) -> Path:
    path = tmp_path / "audit-key" / "audit.key"
    ensure_audit_key(path)
    return path


async def test_the_cli_exits_1_on_a_tampered_chain(audit: Database, audit_database_url: str, key_file: Path) -> None:
    log = AuditLog(audit, "portal", key=AuditKey.from_file(key_file))
    await append_many(log, 5)
    command = [
        sys.executable, "-m", "shared.audit", "verify", "--database-url", audit_database_url, "--chain", "portal",
        "--key-file", str(key_file),
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


async def test_a_key_file_is_created_once_readable_by_its_owner_alone(tmp_path: Path) -> None:
    path = tmp_path / "audit.key"
    ensure_audit_key(path)
    first = path.read_text()
    ensure_audit_key(path)

    assert path.read_text() == first and path.stat().st_mode & 0o777 == 0o600
    assert AuditKey.from_file(path).mac("x") != KEY.mac("x")


async def test_chains_from_before_keying_verify_unkeyed_and_appending_to_them_is_refused(audit: Database) -> None:
    """Migration 0004 moved the SHA-256 chains to audit_unkeyed: they still verify there, without the key."""
    await audit.execute("TRUNCATE audit_unkeyed")
    prev = "0" * 64
    for seq in (1, 2):
        entry = {
            "_id": entry_id("events", seq), "chain": "events", "seq": seq, "at": datetime(2026, 1, seq, tzinfo=UTC),
            "actor": CLERK.model_dump(), "action": "RequirementSubmitted", "subject": f"REQ-{seq}", "data": {},
            "prev_hash": prev,
        }  # fmt: skip
        entry["hash"] = prev = entry_hash(entry)
        await audit.execute(
            "INSERT INTO audit_unkeyed (chain, seq, id, at, actor, action, subject, data, prev_hash, hash)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            *(entry[name] for name in ("chain", "seq", "_id", "at", "actor", "action", "subject", "data")),
            entry["prev_hash"],
            entry["hash"],
        )
    unkeyed = AuditLog(audit, "events", key=None, table="audit_unkeyed")

    assert (await unkeyed.verify()).ok
    assert (await AuditLog(audit, "events", key=KEY, table="audit_unkeyed").verify()).problem == "modified"
    with pytest.raises(RuntimeError):
        await unkeyed.append(CLERK, "x", "T-1")


# ── Anchors, outside the database ────────────────────────────────────────────────────────────────────


async def test_the_anchor_export_writes_the_head_at_start_and_again_when_it_stops(
    audit: Database, tmp_path: Path
) -> None:
    log = AuditLog(audit, "events", key=KEY)
    entries = await append_many(log, 3)
    anchors = AnchorDirectory(tmp_path / "anchors", KEY)
    export = AnchorExport([log], anchors, interval=3600)

    await export.start()
    deadline = asyncio.get_running_loop().time() + 10
    while not (first := anchors.read("events").anchors):
        assert asyncio.get_running_loop().time() < deadline, "no anchor written at start"
        await asyncio.sleep(0.02)
    await log.append(CLERK, "ticket.submitted", "T-4")
    await export.stop()

    exported = anchors.read("events")
    assert exported.forged_at is None
    assert [(a.seq, a.hash) for a in exported.anchors] == [(3, entries[-1]["hash"]), await log.head()]
    assert first[0].hash.startswith("hmac-sha256:")
    assert (anchors.path("events").stat().st_mode & 0o777) == 0o600


async def test_verify_against_the_anchors_finds_a_cut_off_end(
    audit: Database, audit_database_url: str, key_file: Path, tmp_path: Path
) -> None:
    """Deleting the newest entries leaves a chain that holds: only the anchor outside shows the cut."""
    key = AuditKey.from_file(key_file)
    log = AuditLog(audit, "events", key=key)
    await append_many(log, 6)
    anchors = AnchorDirectory(tmp_path / "anchors", key)
    anchors.write("events", *await log.head(), datetime.now(UTC))
    database = ("--database-url", audit_database_url, "--key-file", key_file, "--anchors", tmp_path / "anchors")
    assert await verify_cli(*database) == (0, "chain 'events': ok, 6 entries, 1 anchors\n")

    await audit.execute("DELETE FROM audit WHERE chain = 'events' AND seq >= 5")

    assert (await log.verify()).ok, "nothing inside the chain shows a cut-off end"
    code, output = await verify_cli(*database)
    assert (code, output) == (1, "chain 'events': BROKEN at seq 5 (deleted tail), 4 entries read, 1 anchors\n")


async def test_a_chain_deleted_whole_is_found_by_its_anchors(
    audit: Database, audit_database_url: str, key_file: Path, tmp_path: Path
) -> None:
    key = AuditKey.from_file(key_file)
    log = AuditLog(audit, "events", key=key)
    await append_many(log, 2)
    AnchorDirectory(tmp_path / "anchors", key).write("events", *await log.head(), datetime.now(UTC))

    await audit.execute("DELETE FROM audit")

    code, output = await verify_cli(
        "--database-url", audit_database_url, "--key-file", key_file, "--anchors", tmp_path / "anchors"
    )
    assert (code, output) == (1, "chain 'events': BROKEN at seq 1 (deleted tail), 0 entries read, 1 anchors\n")


async def test_a_chain_rewritten_after_its_anchor_fails_the_anchor(audit: Database, tmp_path: Path) -> None:
    """Someone holding the key rewrote entries the anchor had seen: the anchor outside still says otherwise."""
    log = AuditLog(audit, "events", key=KEY)
    await append_many(log, 4)
    anchors = AnchorDirectory(tmp_path / "anchors", KEY)
    anchors.write("events", *await log.head(), datetime.now(UTC))
    await audit.execute("DELETE FROM audit WHERE seq >= 3")
    await append_many(log, 2)  # seq 3 and 4 again, other entries

    points = [(anchor.seq, anchor.hash) for anchor in anchors.read("events").anchors]
    result = await log.verify(anchors=points)
    assert (result.ok, result.first_bad_seq, result.problem) == (False, 4, "anchor mismatch")


async def test_an_anchor_edited_without_the_key_is_found_forged(
    audit: Database, audit_database_url: str, key_file: Path, tmp_path: Path
) -> None:
    """Moving the anchor back to match a cut chain needs the key: an edited line is refused."""
    key = AuditKey.from_file(key_file)
    log = AuditLog(audit, "events", key=key)
    entries = await append_many(log, 4)
    anchors = AnchorDirectory(tmp_path / "anchors", key)
    anchors.write("events", 2, entries[1]["hash"], datetime.now(UTC))
    anchors.write("events", 4, entries[3]["hash"], datetime.now(UTC))
    await audit.execute("DELETE FROM audit WHERE seq >= 3")
    lines = anchors.path("events").read_text().splitlines()
    lines[1] = lines[1].replace('"seq": 4', '"seq": 2').replace(entries[3]["hash"], entries[1]["hash"])
    anchors.path("events").write_text("\n".join(lines) + "\n")

    code, output = await verify_cli(
        "--database-url", audit_database_url, "--key-file", key_file, "--anchors", tmp_path / "anchors"
    )
    assert (code, output) == (1, "chain 'events': BROKEN, anchor line 2 (forged anchor), 1 anchors before it\n")
