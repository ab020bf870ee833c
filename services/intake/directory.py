"""The organisations intake resolves a caller's unit against (第九条: the duty operator records a call for
the caller's organisation): the region's tree as shipped, kept up to date by the portal's
OrganisationChanged events, so a unit the administrators add or rename is known here without a release.

Intake's copy is a table of its own ("organisations"), written only from the events, in the consumer's
transaction (its inbox row commits with it); an organisation not in it yet is looked up in the shipped
tree (shared/orgtree.py).
"""

from datetime import datetime

from shared.db import Database
from shared.events import Envelope, OrganisationChanged
from shared.orgtree import Organisation, demo_organisations

# Keep the newest state of each organisation: an older event delivered again after a newer one changes nothing.
KEEP_NEWEST = """
INSERT INTO organisations (id, name, kind, division_code, domains, active, changed_at)
VALUES ($1, $2, $3, $4, $5, $6, $7)
ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, kind = EXCLUDED.kind,
    division_code = EXCLUDED.division_code, domains = EXCLUDED.domains, active = EXCLUDED.active,
    changed_at = EXCLUDED.changed_at
WHERE organisations.changed_at <= EXCLUDED.changed_at
"""


class OrganisationDirectory:
    def __init__(self, db: Database) -> None:
        self._db = db
        self._shipped = {org.id: org for org in demo_organisations()}

    async def get(self, org_id: str) -> tuple[Organisation, bool] | None:
        """The organisation and whether it is active; None when the region has no such organisation."""
        row = await self._db.fetchrow(
            "SELECT id, name, kind, division_code, domains, active FROM organisations WHERE id = $1", org_id
        )
        if row is not None:
            org = Organisation(row["id"], row["name"], row["kind"], row["division_code"], tuple(row["domains"]))
            return org, row["active"]
        shipped = self._shipped.get(org_id)
        return (shipped, True) if shipped else None

    async def apply(self, changed: OrganisationChanged, at: datetime) -> None:
        """Record the organisation's state as of `at`, unless a newer one is recorded already (one statement,
        in the consumer's transaction)."""
        await self._db.execute(
            KEEP_NEWEST,
            changed.org_id,
            changed.name,
            changed.kind,
            changed.division_code,
            list(changed.domains),
            changed.active,
            at,
        )


async def when_organisation_changed_keep_it(envelope: Envelope, *, directory: OrganisationDirectory) -> None:
    event = envelope.event()
    assert isinstance(event, OrganisationChanged)
    await directory.apply(event, envelope.time)
