"""The audit trail: an append-only, hash-chained log of every state change and administrative action.

Each entry names its chain and a sequence number (`_id` = "<chain>:<seq, 12 digits>") and carries
`prev_hash`, the hash of the entry before it ("0" * 64 for the first), and `hash`, the HMAC-SHA256
("hmac-sha256:<hex>") of the canonical JSON of every field except `_id` and `hash`, keyed with a secret
read from a file the database does not hold (`AuditKey`, FD_AUDIT_KEY_FILE). Editing an entry breaks its
own hash, and without the key nobody can compute a hash that holds again; deleting an entry leaves a gap
in the sequence. `verify` finds the first of these.

What the chain cannot show on its own: that entries were cut off at the end. For that the portal writes
anchors outside the database (shared/audit_anchors.py: the head's seq and hash, signed with the key, to
append-only files) and `verify` compares the chain with them.

Chains written before keying (plain SHA-256, a hash without the "hmac-sha256:" prefix) were moved to the
table `audit_unkeyed` by the portal's migration 0004; `verify --table audit_unkeyed --unkeyed` checks them
as before. A keyed chain holds only keyed entries: an unkeyed one in it is "modified".

The database orders the appends (decision 0011): an append takes `pg_advisory_xact_lock` on its chain,
reads the chain's head and inserts the entry after it in one transaction, so any number of instances
writing to one chain keep one unbroken chain. Inside a consumer's transaction the lock is held until that
transaction commits, so the entry becomes visible with the event's inbox row.

    python -m shared.audit verify --database-url URL --key-file FILE [--anchors DIR] [--table audit]
        [--chain NAME] [--expected-head SEQ:HASH]
"""

import argparse
import asyncio
import hashlib
import hmac
import json
import math
import os
import secrets
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from shared.db import Database
from shared.events import Actor, utcnow

DEFAULT_TABLE = "audit"
GENESIS_HASH = "0" * 64
KEYED = "hmac-sha256:"  # the prefix of a keyed hash: the version marker of every entry and anchor
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


class AuditKey:
    """The secret the chain is keyed with. It lives in a file outside the database (FD_AUDIT_KEY_FILE, the
    portal's alone), so write access to the database is not enough to forge an entry that verifies."""

    def __init__(self, secret: bytes) -> None:
        if len(secret) < 32:
            raise ValueError("an audit key needs at least 32 bytes")
        self._secret = secret

    @classmethod
    def from_file(cls, path: Path) -> "AuditKey":
        """The key file holds the secret as hex (ensure_audit_key writes one)."""
        try:
            text = Path(path).read_text().strip()
        except FileNotFoundError:
            raise FileNotFoundError(f"no audit key at {path} (FD_AUDIT_KEY_FILE; see docs/operations.md)") from None
        return cls(bytes.fromhex(text))

    def mac(self, text: str) -> str:
        return KEYED + hmac.new(self._secret, text.encode("utf-8"), hashlib.sha256).hexdigest()

    def holds(self, text: str, mac: str) -> bool:
        return hmac.compare_digest(self.mac(text), mac)


def ensure_audit_key(path: Path) -> None:
    """Create a random audit key (mode 0600) if there is none: dev and test stacks, compose's keys job."""
    path = Path(path)
    if path.exists():
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as file:
        file.write(secrets.token_hex(32) + "\n")


def entry_hash(entry: Mapping[str, Any], key: AuditKey | None = None) -> str:
    """The keyed hash ("hmac-sha256:<hex>") of every field except `_id` and `hash`; `prev_hash` is included,
    which makes the chain. Without a key: the plain SHA-256 (hex) of the chains written before keying."""
    body = canonical_json({name: value for name, value in entry.items() if name not in UNHASHED_FIELDS})
    if key is None:
        return hashlib.sha256(body.encode("utf-8")).hexdigest()
    return key.mac(body)


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
    """One chain of audit entries in `table`; several chains may share a table.

    `key` keys the hashes; without it the log only reads and verifies a chain written before keying."""

    def __init__(self, db: Database, chain: str, *, key: AuditKey | None, table: str = DEFAULT_TABLE) -> None:
        if not chain:
            raise ValueError("an audit chain needs a name")
        if not table.isidentifier():
            raise ValueError(f"not a table name: {table!r}")
        self._db = db
        self.chain = chain
        self._key = key
        self._table = table

    async def append(self, actor: Actor, action: str, subject: str, data: Mapping[str, Any] | None = None) -> dict:
        """Record `actor` doing `action` to `subject`; returns the stored entry."""
        if self._key is None:
            raise RuntimeError("appending needs the audit key: the chains written before it are closed")
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
            entry["hash"] = entry_hash(entry, self._key)
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

    async def verify(
        self, expected_head: tuple[int, str] | None = None, *, anchors: Iterable[tuple[int, str]] = ()
    ) -> VerificationResult:
        """Read the chain in seq order (a page at a time) and stop at the first entry that does not hold.

        Without anchors a chain whose newest entries were deleted still verifies: nothing inside it points
        forward. With anchors (seq, hash) taken earlier (`expected_head` is one more), the entry at each
        anchor's seq must exist and carry its hash, so the chain reaches at least the newest anchor.
        """
        checked = 0
        prev_seq, prev_hash = 0, GENESIS_HASH
        expected: dict[int, set[str]] = {}
        for seq, digest in [*anchors, *([expected_head] if expected_head else [])]:
            expected.setdefault(seq, set()).add(digest)
        newest_anchor = max(expected, default=0)
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
                if not self._intact(entry):
                    return VerificationResult(False, checked, seq, "modified")
                if entry["prev_hash"] != prev_hash:
                    return VerificationResult(False, checked, seq, "broken link")
                if seq in expected and expected[seq] != {entry["hash"]}:
                    return VerificationResult(False, checked, seq, "anchor mismatch")
                prev_seq, prev_hash = seq, entry["hash"]
            if len(page) < VERIFY_PAGE:
                break
        if prev_seq < newest_anchor:
            return VerificationResult(False, checked, prev_seq + 1, "deleted tail")
        return VerificationResult(True, checked)

    def _intact(self, entry: dict) -> bool:
        """The entry's hash is the one its fields give: keyed in a keyed chain (an unkeyed entry there is a
        forgery by someone without the key), plain SHA-256 in a chain from before keying."""
        if entry["_id"] != entry_id(self.chain, entry["seq"]):
            return False
        if (self._key is not None) != entry["hash"].startswith(KEYED):
            return False
        try:
            return hmac.compare_digest(entry["hash"], entry_hash(entry, self._key))
        except (TypeError, ValueError):  # a value append never writes
            return False

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
    if not seq.isdigit() or len(digest.removeprefix(KEYED)) != 64:
        raise argparse.ArgumentTypeError("expected SEQ:HASH, e.g. 42:hmac-sha256:<64 hex digits>")
    return int(seq), digest.lower()


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m shared.audit", description="Check hash-chained audit trails.")
    commands = parser.add_subparsers(dest="command", required=True)
    verify = commands.add_parser("verify", help="verify one chain, or every chain in the table")
    verify.add_argument("--database-url", required=True, help="the portal's database (postgresql://…)")
    verify.add_argument("--table", default=DEFAULT_TABLE)
    verify.add_argument("--chain", help="the chain to check (default: every chain in the table or the anchors)")
    keys = verify.add_mutually_exclusive_group()
    keys.add_argument(
        "--key-file",
        type=Path,
        default=os.environ.get("FD_AUDIT_KEY_FILE"),
        help="the audit key (default: $FD_AUDIT_KEY_FILE)",
    )
    keys.add_argument("--unkeyed", action="store_true", help="the chains from before keying (table audit_unkeyed)")
    verify.add_argument(
        "--anchors", type=Path, metavar="DIR", help="the anchor files the portal exported (FD_AUDIT_ANCHOR_DIR)"
    )
    verify.add_argument(
        "--expected-head", type=_parse_anchor, metavar="SEQ:HASH", help="an anchor kept elsewhere (needs --chain)"
    )
    return parser


async def _verify_command(args: argparse.Namespace) -> int:
    from shared.audit_anchors import AnchorDirectory  # it builds on this module

    key = None if args.unkeyed else AuditKey.from_file(args.key_file)
    anchors = AnchorDirectory(args.anchors, key) if args.anchors and key else None
    db = Database(args.database_url)
    await db.connect(timeout=5)
    try:
        if args.chain:
            chains = [args.chain]
        else:
            rows = await db.fetch(f"SELECT DISTINCT chain FROM {args.table} ORDER BY chain")
            # A chain deleted whole is still named by its anchors.
            chains = sorted({row["chain"] for row in rows} | set(anchors.chains() if anchors else []))
        if not chains:
            print(f"no audit chains in {args.table}")
        broken = 0
        for chain in chains:
            log = AuditLog(db, chain, key=key, table=args.table)
            exported = anchors.read(chain) if anchors else None
            against = f", {len(exported.anchors)} anchors" if exported else ""
            if exported is not None and exported.forged_at is not None:
                broken += 1
                print(f"chain {chain!r}: BROKEN, anchor line {exported.forged_at} (forged anchor){against} before it")
                continue
            points = [(anchor.seq, anchor.hash) for anchor in exported.anchors] if exported else []
            result = await log.verify(expected_head=args.expected_head, anchors=points)
            if result.ok:
                print(f"chain {chain!r}: ok, {result.checked} entries{against}")
            else:
                broken += 1
                where = f"seq {result.first_bad_seq} ({result.problem})"
                print(f"chain {chain!r}: BROKEN at {where}, {result.checked} entries read{against}")
        return 1 if broken else 0
    finally:
        await db.close()


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.expected_head and not args.chain:
        parser.error("--expected-head needs --chain")
    if not args.table.isidentifier():
        parser.error(f"not a table name: {args.table}")
    if not args.unkeyed and not args.key_file:
        parser.error("--key-file (or FD_AUDIT_KEY_FILE) is needed: the chain is keyed")
    if args.anchors and args.unkeyed:
        parser.error("anchors are signed with the key: --anchors needs --key-file")
    return asyncio.run(_verify_command(args))


if __name__ == "__main__":
    sys.exit(main())
