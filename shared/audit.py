"""The audit trail: an append-only, hash-chained log of every state change and administrative action.

Each entry names its chain and a sequence number (`_id` = "<chain>:<seq, 12 digits>") and carries
`prev_hash`, the hash of the entry before it ("0" * 64 for the first), and `hash`, the SHA-256 of the
canonical JSON of every field except `_id` and `hash`. Editing an entry breaks its own hash; recomputing
that hash breaks the next entry's link; deleting an entry leaves a gap in the sequence. `verify` finds
the first of these.

What the chain cannot show on its own: that entries were cut off at the end, or that the whole chain
was rewritten from some point on. For that keep an anchor elsewhere (`head()` gives `(seq, hash)`, to
log, publish or copy out of the database) and pass it to `verify(expected_head=...)`.

The database orders the appends (decision 0011): an append takes `pg_advisory_xact_lock` on its chain,
reads the chain's head and inserts the entry after it in one transaction, so any number of instances
writing to one chain keep one unbroken chain. Inside a consumer's transaction the lock is held until that
transaction commits, so the entry becomes visible with the event's inbox row.

    python -m shared.audit verify --database-url URL [--table audit] [--chain NAME] [--expected-head SEQ:HASH]
"""

import argparse
import asyncio
import hashlib
import json
import math
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from shared.db import Database
from shared.events import Actor, utcnow

DEFAULT_TABLE = "audit"
GENESIS_HASH = "0" * 64
UNHASHED_FIELDS = frozenset({"_id", "hash"})
_INT64 = (-(2**63), 2**63 - 1)
# Python writes floats this large in exponent form; JSONB gives them back as integers (another hash).
_LARGEST_FLOAT = 1e16
AUDIT_LOCK = 0x61756469  # first key of pg_advisory_xact_lock(AUDIT_LOCK, hashtext(chain)): one writer per chain
VERIFY_PAGE = 1000

# The table and indexes, for the migration of the service that keeps the trail (the portal's).
AUDIT_TABLE = """
CREATE TABLE audit (
    chain text NOT NULL,
    seq bigint NOT NULL,
    id text NOT NULL UNIQUE,
    at timestamptz NOT NULL,
    actor jsonb NOT NULL,
    action text NOT NULL,
    subject text NOT NULL,
    data jsonb NOT NULL,
    prev_hash text NOT NULL,
    hash text NOT NULL,
    PRIMARY KEY (chain, seq)
)
"""
AUDIT_INDEXES = (
    # The newest entries of one subject (a ticket), and "is this event recorded already".
    "CREATE INDEX audit_subject ON audit (chain, subject, seq DESC)",
    "CREATE INDEX audit_event ON audit (chain, (data->>'event_id'))",
)


@dataclass(frozen=True)
class VerificationResult:
    """`problem` is "modified", "broken link", "missing", "deleted tail" or "anchor mismatch".

    `checked` counts the entries read, the bad one included; `first_bad_seq` is the seq where the chain
    stops being trustworthy (for "missing" and "deleted tail": the first seq that is not there).
    """

    ok: bool
    checked: int
    first_bad_seq: int | None = None
    problem: str | None = None


def entry_id(chain: str, seq: int) -> str:
    return f"{chain}:{seq:012d}"


def to_millis(moment: datetime) -> datetime:
    """UTC, truncated to the millisecond: the precision entries are hashed with (and stored at)."""
    if moment.tzinfo is None:  # a naive datetime is taken as UTC
        moment = moment.replace(tzinfo=UTC)
    moment = moment.astimezone(UTC)
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def _json_default(value: Any) -> str:
    if isinstance(value, datetime):
        return to_millis(value).isoformat(timespec="milliseconds")
    raise TypeError(f"{type(value).__name__} has no canonical JSON form in the audit trail")


def canonical_json(value: Any) -> str:
    return json.dumps(
        value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), allow_nan=False, default=_json_default
    )


def entry_hash(entry: Mapping[str, Any]) -> str:
    """SHA-256 (hex) of every field except `_id` and `hash`; `prev_hash` is included, which makes the chain."""
    body = {key: value for key, value in entry.items() if key not in UNHASHED_FIELDS}
    return hashlib.sha256(canonical_json(body).encode("utf-8")).hexdigest()


def _storable(value: Any, path: str, *, in_list: bool = False) -> Any:
    """A copy of `value` that reads back from the store exactly as written (and hashes the same)."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, str):
        if "\x00" in value:
            raise ValueError(f"{path}: NUL characters cannot be stored")
        return value
    if isinstance(value, int):
        if not _INT64[0] <= value <= _INT64[1]:
            raise ValueError(f"{path}: integer outside the 64-bit range")
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"{path}: NaN and infinities cannot be stored")
        if abs(value) >= _LARGEST_FLOAT:
            raise ValueError(f"{path}: floats of 1e16 and more do not read back as written")
        return value
    if isinstance(value, datetime):
        # JSONB keeps no datetimes: store the canonical text, so what is read back hashes the same.
        return _json_default(value)
    if isinstance(value, Mapping):
        copy = {}
        for key, item in value.items():
            # Kept from the document store: keys stay plain, so the trail can be exported to any store.
            if not isinstance(key, str) or "." in key or key.startswith("$") or "\x00" in key:
                raise ValueError(f"{path}: key {key!r} must be a string without '.' and not starting with '$'")
            copy[key] = _storable(item, f"{path}.{key}")
        return copy
    if isinstance(value, list | tuple):
        if in_list:
            raise ValueError(f"{path}: nested arrays cannot be stored")
        return [_storable(item, f"{path}[{index}]", in_list=True) for index, item in enumerate(value)]
    raise TypeError(f"{path}: {type(value).__name__} cannot be recorded in the audit trail")


class AuditLog:
    """One chain of audit entries in `table`; several chains may share a table."""

    def __init__(self, db: Database, chain: str, *, table: str = DEFAULT_TABLE) -> None:
        if not chain:
            raise ValueError("an audit chain needs a name")
        if not table.isidentifier():
            raise ValueError(f"not a table name: {table!r}")
        self._db = db
        self.chain = chain
        self._table = table

    async def append(self, actor: Actor, action: str, subject: str, data: Mapping[str, Any] | None = None) -> dict:
        """Record `actor` doing `action` to `subject`; returns the stored entry."""
        body = {
            "actor": {"user_id": actor.user_id, "name": actor.name, "org_id": actor.org_id, "roles": list(actor.roles)},
            "action": action,
            "subject": subject,
            "data": _storable(dict(data or {}), "data"),
        }
        async with self._db.transaction() as conn:
            # The appends of every instance to this chain take turns here, until the transaction ends.
            await conn.execute("SELECT pg_advisory_xact_lock($1, hashtext($2))", AUDIT_LOCK, self.chain)
            head = await self._last()
            seq = head["seq"] + 1 if head else 1
            entry = {
                "_id": entry_id(self.chain, seq),
                "chain": self.chain,
                "seq": seq,
                "at": to_millis(utcnow()),
                **body,
                "prev_hash": head["hash"] if head else GENESIS_HASH,
            }
            entry["hash"] = entry_hash(entry)
            await conn.execute(
                f"INSERT INTO {self._table} (chain, seq, id, at, actor, action, subject, data, prev_hash, hash)"
                " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
                *(entry[key] for key in ("chain", "seq", "_id", "at", "actor", "action", "subject", "data")),
                entry["prev_hash"],
                entry["hash"],
            )
        return entry

    async def contains_event(self, event_id: str) -> bool:
        """Whether an entry recording the event `event_id` (data.event_id) is already in this chain."""
        found = await self._db.fetchval(
            f"SELECT true FROM {self._table} WHERE chain = $1 AND data->>'event_id' = $2 LIMIT 1", self.chain, event_id
        )
        return bool(found)

    async def entries(self, *, subject: str | None, limit: int) -> list[dict]:
        """The newest entries first, optionally of one subject (a ticket id)."""
        if subject:
            rows = await self._db.fetch(
                f"SELECT {_COLUMNS} FROM {self._table} WHERE chain = $1 AND subject = $2 ORDER BY seq DESC LIMIT $3",
                self.chain,
                subject,
                limit,
            )
        else:
            rows = await self._db.fetch(
                f"SELECT {_COLUMNS} FROM {self._table} WHERE chain = $1 ORDER BY seq DESC LIMIT $2", self.chain, limit
            )
        return [_entry(row) for row in rows]

    async def head(self) -> tuple[int, str] | None:
        """(seq, hash) of the newest entry: the anchor to keep outside this database for `verify`."""
        last = await self._last()
        return (last["seq"], last["hash"]) if last else None

    async def verify(self, expected_head: tuple[int, str] | None = None) -> VerificationResult:
        """Read the chain in seq order (a page at a time) and stop at the first entry that does not hold.

        Without `expected_head` a chain whose newest entries were deleted (or that was rewritten from
        some entry on, hashes and all) still verifies: nothing inside it points forward. With the anchor
        (seq, hash) taken earlier, the entry at that seq must exist and carry that hash.
        """
        checked = 0
        prev_seq, prev_hash = 0, GENESIS_HASH
        anchor_seq, anchor_hash = expected_head if expected_head else (None, None)
        while True:
            page = await self._db.fetch(
                f"SELECT {_COLUMNS} FROM {self._table} WHERE chain = $1 AND seq > $2 ORDER BY seq LIMIT $3",
                self.chain,
                prev_seq,
                VERIFY_PAGE,
            )
            for row in page:
                entry = _entry(row)
                checked += 1
                seq = entry["seq"]
                if seq > prev_seq + 1:
                    return VerificationResult(False, checked, prev_seq + 1, "missing")
                try:
                    intact = entry["hash"] == entry_hash(entry) and entry["_id"] == entry_id(self.chain, seq)
                except (TypeError, ValueError):  # a value append never writes
                    intact = False
                if not intact:
                    return VerificationResult(False, checked, seq, "modified")
                if entry["prev_hash"] != prev_hash:
                    return VerificationResult(False, checked, seq, "broken link")
                if seq == anchor_seq and entry["hash"] != anchor_hash:
                    return VerificationResult(False, checked, seq, "anchor mismatch")
                prev_seq, prev_hash = seq, entry["hash"]
            if len(page) < VERIFY_PAGE:
                break
        if anchor_seq is not None and prev_seq < anchor_seq:
            return VerificationResult(False, checked, prev_seq + 1, "deleted tail")
        return VerificationResult(True, checked)

    async def _last(self) -> dict | None:
        row = await self._db.fetchrow(
            f"SELECT seq, hash FROM {self._table} WHERE chain = $1 ORDER BY seq DESC LIMIT 1", self.chain
        )
        return dict(row) if row else None


_COLUMNS = "id, chain, seq, at, actor, action, subject, data, prev_hash, hash"


def _entry(row: Mapping[str, Any]) -> dict:
    """An entry as it was appended (`_id` first), from its row."""
    entry = {"_id": row["id"], **{key: row[key] for key in _COLUMNS.split(", ")[1:]}}
    entry["at"] = entry["at"].astimezone(UTC)
    return entry


def _parse_anchor(text: str) -> tuple[int, str]:
    seq, _, digest = text.partition(":")
    if not seq.isdigit() or len(digest) != 64:
        raise argparse.ArgumentTypeError("expected SEQ:HASH, e.g. 42:<64 hex digits>")
    return int(seq), digest.lower()


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m shared.audit", description="Check hash-chained audit trails.")
    commands = parser.add_subparsers(dest="command", required=True)
    verify = commands.add_parser("verify", help="verify one chain, or every chain in the table")
    verify.add_argument("--database-url", required=True, help="the portal's database (postgresql://…)")
    verify.add_argument("--table", default=DEFAULT_TABLE)
    verify.add_argument("--chain", help="the chain to check (default: every chain in the table)")
    verify.add_argument(
        "--expected-head", type=_parse_anchor, metavar="SEQ:HASH", help="an anchor kept elsewhere (needs --chain)"
    )
    return parser


async def _verify_command(args: argparse.Namespace) -> int:
    db = Database(args.database_url)
    await db.connect(timeout=5)
    try:
        if args.chain:
            chains = [args.chain]
        else:
            rows = await db.fetch(f"SELECT DISTINCT chain FROM {args.table} ORDER BY chain")
            chains = [row["chain"] for row in rows]
        if not chains:
            print(f"no audit chains in {args.table}")
        broken = 0
        for chain in chains:
            result = await AuditLog(db, chain, table=args.table).verify(expected_head=args.expected_head)
            if result.ok:
                print(f"chain {chain!r}: ok, {result.checked} entries")
            else:
                broken += 1
                where = f"seq {result.first_bad_seq} ({result.problem})"
                print(f"chain {chain!r}: BROKEN at {where}, {result.checked} entries read")
        return 1 if broken else 0
    finally:
        await db.close()


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.expected_head and not args.chain:
        _parser().error("--expected-head needs --chain")
    if not args.table.isidentifier():
        _parser().error(f"not a table name: {args.table}")
    return asyncio.run(_verify_command(args))


if __name__ == "__main__":
    sys.exit(main())
