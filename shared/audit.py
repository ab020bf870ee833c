"""The audit trail: an append-only, hash-chained log of every state change and administrative action.

Each entry names its chain and a sequence number (`_id` = "<chain>:<seq, 12 digits>") and carries
`prev_hash`, the hash of the entry before it ("0" * 64 for the first), and `hash`, the SHA-256 of the
canonical JSON of every field except `_id` and `hash`. Editing an entry breaks its own hash; recomputing
that hash breaks the next entry's link; deleting an entry leaves a gap in the sequence. `verify` finds
the first of these.

What the chain cannot show on its own: that entries were cut off at the end, or that the whole chain
was rewritten from some point on. For that keep an anchor elsewhere (`head()` gives `(seq, hash)`, to
log, publish or copy out of the database) and pass it to `verify(expected_head=...)`.

Only single-document writes are used (no transactions: FerretDB v1 has none). Two concurrent appends to
one chain compute the same next seq; the unique index on (chain, seq) lets exactly one insert win and
the other reads the new head and tries again.

    python -m shared.audit verify --mongodb-url URL --database DB [--collection audit] [--chain NAME]
        [--expected-head SEQ:HASH]
"""

import argparse
import asyncio
import hashlib
import json
import math
import random
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pymongo import AsyncMongoClient
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import DuplicateKeyError

from shared.events import Actor, utcnow
from shared.logs import get_logger
from shared.store import IndexSpec

log = get_logger(__name__)

DEFAULT_COLLECTION = "audit"
GENESIS_HASH = "0" * 64
UNHASHED_FIELDS = frozenset({"_id", "hash"})
_INT64 = (-(2**63), 2**63 - 1)


def audit_indexes(collection: str = DEFAULT_COLLECTION) -> list[IndexSpec]:
    """The unique (chain, seq) index makes the losing one of two concurrent appends fail and retry."""
    return [
        IndexSpec(collection, [("chain", 1), ("seq", 1)], unique=True, name="audit_chain_seq"),
        IndexSpec(collection, [("chain", 1), ("data.event_id", 1)], name="audit_event"),
        IndexSpec(collection, [("chain", 1), ("subject", 1)], name="audit_subject"),
    ]


INDEXES = audit_indexes()


class AuditAppendConflict(RuntimeError):
    """Every attempt to append lost the race for the next sequence number."""


@dataclass(frozen=True)
class VerificationResult:
    """`problem` is "modified", "broken link", "missing", "duplicate", "deleted tail" or "anchor mismatch".

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
    """UTC, truncated to the millisecond: what MongoDB stores, so the hash survives the round trip."""
    if moment.tzinfo is None:  # a client without tz_aware=True reads UTC back as naive datetimes
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
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, int):
        if not _INT64[0] <= value <= _INT64[1]:
            raise ValueError(f"{path}: integer outside the 64-bit range")
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"{path}: NaN and infinities cannot be stored")
        return value
    if isinstance(value, datetime):
        return to_millis(value)
    if isinstance(value, Mapping):
        copy = {}
        for key, item in value.items():
            # FerretDB v1 refuses such keys, so the code must not rely on them (docs INFRA-NOTES).
            if not isinstance(key, str) or "." in key or key.startswith("$"):
                raise ValueError(f"{path}: key {key!r} must be a string without '.' and not starting with '$'")
            copy[key] = _storable(item, f"{path}.{key}")
        return copy
    if isinstance(value, list | tuple):
        if in_list:
            raise ValueError(f"{path}: nested arrays cannot be stored")
        return [_storable(item, f"{path}[{index}]", in_list=True) for index, item in enumerate(value)]
    raise TypeError(f"{path}: {type(value).__name__} cannot be recorded in the audit trail")


class AuditLog:
    """One chain of audit entries in `collection`; several chains may share a collection."""

    def __init__(
        self,
        collection: AsyncCollection,
        chain: str,
        *,
        max_attempts: int = 20,
        backoff_seconds: float = 0.005,
    ) -> None:
        if not chain:
            raise ValueError("an audit chain needs a name")
        self._collection = collection
        self.chain = chain
        self._max_attempts = max_attempts
        self._backoff = backoff_seconds

    async def append(self, actor: Actor, action: str, subject: str, data: Mapping[str, Any] | None = None) -> dict:
        """Record `actor` doing `action` to `subject`; returns the stored entry."""
        body = {
            "actor": {"user_id": actor.user_id, "name": actor.name, "org_id": actor.org_id, "roles": list(actor.roles)},
            "action": action,
            "subject": subject,
            "data": _storable(dict(data or {}), "data"),
        }
        for attempt in range(1, self._max_attempts + 1):
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
            try:
                await self._collection.insert_one(entry)
                return entry
            except DuplicateKeyError:
                # Another writer took this seq first; read the new head and chain onto it.
                log.debug("audit append lost a race", chain=self.chain, seq=seq, attempt=attempt)
                await asyncio.sleep(random.uniform(0, self._backoff * 2 ** min(attempt, 5)))
        raise AuditAppendConflict(f"audit chain {self.chain!r}: no free seq after {self._max_attempts} attempts")

    async def contains_event(self, event_id: str) -> bool:
        """Whether an entry recording the event `event_id` (data.event_id) is already in this chain."""
        return await self._collection.find_one({"chain": self.chain, "data.event_id": event_id}, {"_id": 1}) is not None

    async def entries(self, *, subject: str | None, limit: int) -> list[dict]:
        """The newest entries first, optionally of one subject (a ticket id)."""
        query: dict[str, Any] = {"chain": self.chain}
        if subject:
            query["subject"] = subject
        return await self._collection.find(query).sort("seq", -1).limit(limit).to_list()

    async def head(self) -> tuple[int, str] | None:
        """(seq, hash) of the newest entry: the anchor to keep outside this database for `verify`."""
        last = await self._last()
        return (last["seq"], last["hash"]) if last else None

    async def verify(self, expected_head: tuple[int, str] | None = None) -> VerificationResult:
        """Read the chain in seq order and stop at the first entry that does not hold.

        Without `expected_head` a chain whose newest entries were deleted (or that was rewritten from
        some entry on, hashes and all) still verifies: nothing inside it points forward. With the anchor
        (seq, hash) taken earlier, the entry at that seq must exist and carry that hash.
        """
        checked = 0
        prev_seq, prev_hash = 0, GENESIS_HASH
        anchor_seq, anchor_hash = expected_head if expected_head else (None, None)
        async for entry in self._collection.find({"chain": self.chain}).sort("seq", 1):
            checked += 1
            seq = entry.get("seq")
            if not isinstance(seq, int) or isinstance(seq, bool):
                return VerificationResult(False, checked, prev_seq + 1, "modified")
            if seq > prev_seq + 1:
                return VerificationResult(False, checked, prev_seq + 1, "missing")
            if seq <= prev_seq:
                return VerificationResult(False, checked, seq, "duplicate")
            try:
                intact = entry.get("hash") == entry_hash(entry) and entry["_id"] == entry_id(self.chain, seq)
            except (TypeError, ValueError):  # a value append never writes (e.g. NaN, an ObjectId)
                intact = False
            if not intact:
                return VerificationResult(False, checked, seq, "modified")
            if entry.get("prev_hash") != prev_hash:
                return VerificationResult(False, checked, seq, "broken link")
            if seq == anchor_seq and entry["hash"] != anchor_hash:
                return VerificationResult(False, checked, seq, "anchor mismatch")
            prev_seq, prev_hash = seq, entry["hash"]
        if anchor_seq is not None and prev_seq < anchor_seq:
            return VerificationResult(False, checked, prev_seq + 1, "deleted tail")
        return VerificationResult(True, checked)

    async def _last(self) -> dict | None:
        return await self._collection.find_one({"chain": self.chain}, sort=[("seq", -1)])


def _parse_anchor(text: str) -> tuple[int, str]:
    seq, _, digest = text.partition(":")
    if not seq.isdigit() or len(digest) != 64:
        raise argparse.ArgumentTypeError("expected SEQ:HASH, e.g. 42:<64 hex digits>")
    return int(seq), digest.lower()


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m shared.audit", description="Check hash-chained audit trails.")
    commands = parser.add_subparsers(dest="command", required=True)
    verify = commands.add_parser("verify", help="verify one chain, or every chain in the collection")
    verify.add_argument("--mongodb-url", required=True)
    verify.add_argument("--database", required=True)
    verify.add_argument("--collection", default=DEFAULT_COLLECTION)
    verify.add_argument("--chain", help="the chain to check (default: every chain in the collection)")
    verify.add_argument(
        "--expected-head", type=_parse_anchor, metavar="SEQ:HASH", help="an anchor kept elsewhere (needs --chain)"
    )
    return parser


async def _verify_command(args: argparse.Namespace) -> int:
    client: AsyncMongoClient = AsyncMongoClient(args.mongodb_url, serverSelectionTimeoutMS=5000, tz_aware=True)
    try:
        collection = client[args.database][args.collection]
        chains = [args.chain] if args.chain else sorted(await collection.distinct("chain"))
        if not chains:
            print(f"no audit chains in {args.database}.{args.collection}")
        broken = 0
        for chain in chains:
            result = await AuditLog(collection, chain).verify(expected_head=args.expected_head)
            if result.ok:
                print(f"chain {chain!r}: ok, {result.checked} entries")
            else:
                broken += 1
                where = f"seq {result.first_bad_seq} ({result.problem})"
                print(f"chain {chain!r}: BROKEN at {where}, {result.checked} entries read")
        return 1 if broken else 0
    finally:
        await client.close()


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.expected_head and not args.chain:
        _parser().error("--expected-head needs --chain")
    return asyncio.run(_verify_command(args))


if __name__ == "__main__":
    sys.exit(main())
