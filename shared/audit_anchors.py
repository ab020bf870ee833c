"""Anchors of the audit chains, kept outside the database: what shows that a chain's end was cut off.

An anchor is the head of one chain at some moment — chain, seq, hash, time — signed with the audit key
(`mac`, HMAC-SHA256 over its canonical JSON). The portal appends one line per anchor to
`<dir>/<chain>.anchors` (JSON lines, opened for appending only) every FD_AUDIT_ANCHOR_MINUTES and when it
stops (`AnchorExport`). Whoever can write the database cannot change these files, and whoever can change
the files but lacks the key cannot forge a line that verifies.

`python -m shared.audit verify --anchors DIR` checks that the entry at every anchor's seq carries the
anchor's hash (a rewrite after the anchor, a cut-off end) and so that the chain reaches the newest anchor.
Copy the directory off the host as well (docs/operations.md): an anchor is worth as much as its copies.
"""

import json
import os
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from shared.audit import AuditKey, AuditLog, canonical_json, to_millis
from shared.events import utcnow
from shared.logs import get_logger
from shared.periodic import PeriodicTask

log = get_logger(__name__)

SUFFIX = ".anchors"
_CHAIN_NAME = re.compile(r"^[A-Za-z0-9_-]+$")  # a chain's name is its file's name


@dataclass(frozen=True)
class Anchor:
    chain: str
    seq: int
    hash: str
    at: str  # ISO 8601, UTC, milliseconds

    def body(self) -> str:
        return canonical_json({"chain": self.chain, "seq": self.seq, "hash": self.hash, "at": self.at})


@dataclass(frozen=True)
class ExportedAnchors:
    """The anchors of one chain in file order; `forged_at` is the line number of the first line that is not
    an anchor signed with the key (then nothing in the file is believed)."""

    anchors: list[Anchor]
    forged_at: int | None = None


class AnchorDirectory:
    def __init__(self, directory: Path, key: AuditKey) -> None:
        self._dir = Path(directory)
        self._key = key

    def path(self, chain: str) -> Path:
        if not _CHAIN_NAME.match(chain):
            raise ValueError(f"no anchor file for a chain named {chain!r}")
        return self._dir / f"{chain}{SUFFIX}"

    def chains(self) -> list[str]:
        if not self._dir.is_dir():
            return []
        return sorted(path.name.removesuffix(SUFFIX) for path in self._dir.glob(f"*{SUFFIX}"))

    def write(self, chain: str, seq: int, digest: str, at: datetime) -> Anchor:
        """Append one signed line (O_APPEND: instances writing at once each append whole lines)."""
        anchor = Anchor(chain, seq, digest, to_millis(at).isoformat(timespec="milliseconds"))
        line = json.dumps({**json.loads(anchor.body()), "mac": self._key.mac(anchor.body())}) + "\n"
        self._dir.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(self.path(chain), os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(descriptor, line.encode("utf-8"))
            os.fsync(descriptor)
        finally:
            os.close(descriptor)
        return anchor

    def read(self, chain: str) -> ExportedAnchors:
        path = self.path(chain)
        if not path.exists():
            return ExportedAnchors([])
        anchors = []
        for number, line in enumerate(path.read_text("utf-8").splitlines(), start=1):
            try:
                fields = json.loads(line)
                anchor = Anchor(fields["chain"], int(fields["seq"]), fields["hash"], fields["at"])
                signed = self._key.holds(anchor.body(), fields["mac"]) and anchor.chain == chain
            except (ValueError, KeyError, TypeError):
                signed = False
            if not signed:
                return ExportedAnchors(anchors, forged_at=number)
            anchors.append(anchor)
        return ExportedAnchors(anchors)


class AnchorExport:
    """The portal's background task: the heads of its chains to the anchor directory, now, every
    `interval` seconds, and once more when it stops (a head that did not move is not written again)."""

    def __init__(self, logs: list[AuditLog], anchors: AnchorDirectory, interval: float) -> None:
        self._logs = logs
        self._anchors = anchors
        self._written: dict[str, tuple[int, str]] = {}
        self._task = PeriodicTask("audit-anchors", self.export, interval)

    async def export(self) -> list[Anchor]:
        written = []
        for audit in self._logs:
            head = await audit.head()
            if head is None or self._written.get(audit.chain) == head:
                continue
            written.append(self._anchors.write(audit.chain, *head, utcnow()))
            self._written[audit.chain] = head
        return written

    async def start(self) -> None:
        await self._task.start()

    async def stop(self) -> None:
        await self._task.stop()
        try:
            await self.export()
        except Exception as error:  # noqa: BLE001 - the database may be gone already: the last pass stands
            log.warning("audit anchor not written at stop", error=repr(error))
