"""The vendors dispatch may send work orders to, and which of them this deployment serves.

The org directory is the portal's; dispatch keeps the vendors of it in a table of its own ("vendors"),
written only from the portal's OrganisationChanged events in the consumer's transaction (the inbox row
commits with it). A vendor not in it yet is looked up among the shipped ones (shared/orgtree.py).

When a vendor appears, dispatch creates its two topics (shared/topics.py: its work orders, its progress)
before recording it, so by the time a work order can be dispatched to it, its topic exists: the broker
creates no topic (decision 0015). Creating a topic that exists changes nothing, so a redelivered event is
harmless. Every running consumer subscribed by pattern (dispatch's of the progress, the portal's audit and
timelines, notify's of the work orders) starts reading the new topics within FD_TOPIC_DISCOVERY_SECONDS,
without a restart.

A dispatch deployment serves a set of vendors (FD_DISPATCH_VENDORS, FD_DISPATCH_VENDORS_EXCEPT): it reads
the progress topics of those alone. Every deployment reads them in the one consumer group
dispatch-progress, whose assignor gives a topic's partitions only to members subscribed to that topic: two
deployments for different vendors never take each other's reports, two serving the same vendor share its
partitions, and the inbox (keyed by group) records each report once whichever took it. A vendor no running
deployment serves keeps its reports in its topic, uncommitted, until one does.
"""

import re
from dataclasses import dataclass
from datetime import datetime

from shared.db import Database
from shared.events import Envelope, OrganisationChanged
from shared.orgtree import VENDORS
from shared.runtime import Runtime
from shared.topics import VENDOR_ID, Topics

KEEP_NEWEST = """
INSERT INTO vendors (id, name, active, changed_at) VALUES ($1, $2, $3, $4)
ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, active = EXCLUDED.active, changed_at = EXCLUDED.changed_at
WHERE vendors.changed_at <= EXCLUDED.changed_at
"""
SHIPPED = dict(VENDORS)


@dataclass(frozen=True)
class VendorSelection:
    """The vendors a dispatch deployment serves: `only` these (None: every vendor, those added later too),
    except those of `but`."""

    only: frozenset[str] | None = None
    but: frozenset[str] = frozenset()

    @classmethod
    def parse(cls, only: str, but: str = "") -> "VendorSelection":
        """FD_DISPATCH_VENDORS ("vendor-a,vendor-b"; empty or "*": every vendor) and FD_DISPATCH_VENDORS_EXCEPT
        ("vendor-a"): ValueError naming the setting and the rule for anything else."""
        named = _ids("FD_DISPATCH_VENDORS", only) if only.strip() not in ("", "*") else None
        return cls(named, _ids("FD_DISPATCH_VENDORS_EXCEPT", but) if but.strip() else frozenset())

    def serves(self, vendor_id: str) -> bool:
        return (self.only is None or vendor_id in self.only) and vendor_id not in self.but

    def progress_pattern(self, topics: Topics) -> str:
        return topics.vendor_progress_pattern(self.only, self.but)

    def describe(self) -> str:
        served = "every vendor" if self.only is None else ", ".join(sorted(self.only))
        return f"{served} except {', '.join(sorted(self.but))}" if self.but else served


def _ids(setting: str, value: str) -> frozenset[str]:
    ids = frozenset(part.strip() for part in re.split(r"[,\s]+", value) if part.strip())
    wrong = sorted(i for i in ids if not re.fullmatch(VENDOR_ID, i) or len(i) > 64)
    if wrong or not ids:
        raise ValueError(
            f"{setting} must be vendor ids separated by commas (lower-case letters, digits and '-'), "
            f"or '*' for every vendor; not {', '.join(wrong) or repr(value)}"
        )
    return ids


class VendorDirectory:
    def __init__(self, db: Database, runtime: Runtime) -> None:
        self._db = db
        self._runtime = runtime

    async def active(self, vendor_id: str) -> frozenset[str]:
        """{vendor_id} when it is an active vendor of the directory, else {} (one row by primary key)."""
        row = await self._db.fetchrow("SELECT active FROM vendors WHERE id = $1", vendor_id)
        known = row["active"] if row is not None else vendor_id in SHIPPED
        return frozenset({vendor_id}) if known else frozenset()

    async def apply(self, changed: OrganisationChanged, at: datetime) -> None:
        """A vendor added or changed: its topics first (idempotent), then its row, unless a newer one is there."""
        if changed.kind != "vendor":
            return
        if changed.active:
            # Strict: a vendor whose topic could not be created is not recorded (its work orders would stop
            # the outbox relay); the broker's error leaves the event unacknowledged, so it comes again.
            await self._runtime.ensure_topics(self._runtime.topics.of_vendor(changed.org_id), strict=True)
        await self._db.execute(KEEP_NEWEST, changed.org_id, changed.name, changed.active, at)


async def when_organisation_changed_keep_vendors(envelope: Envelope, *, vendors: VendorDirectory) -> None:
    event = envelope.event()
    assert isinstance(event, OrganisationChanged)
    await vendors.apply(event, envelope.time)
