"""The organisations intake resolves a caller's unit against (第九条: the duty operator records a call for
the caller's organisation): the region's tree as shipped, kept up to date by the portal's
OrganisationChanged events, so a unit the administrators add or rename is known here without a release.

Intake's copy is a collection of its own ("organisations"), written only from the events; an organisation
not in it yet is looked up in the shipped tree (shared/orgtree.py).
"""

from datetime import datetime

from pymongo.asynchronous.collection import AsyncCollection

from shared.events import Envelope, OrganisationChanged
from shared.orgtree import Organisation, demo_organisations


class OrganisationDirectory:
    def __init__(self, collection: AsyncCollection) -> None:
        self._collection = collection
        self._shipped = {org.id: org for org in demo_organisations()}

    async def get(self, org_id: str) -> tuple[Organisation, bool] | None:
        """The organisation and whether it is active; None when the region has no such organisation."""
        doc = await self._collection.find_one({"_id": org_id})
        if doc is not None:
            org = Organisation(doc["_id"], doc["name"], doc["kind"], doc["division_code"], tuple(doc["domains"]))
            return org, doc["active"]
        shipped = self._shipped.get(org_id)
        return (shipped, True) if shipped else None

    async def apply(self, changed: OrganisationChanged, at: datetime) -> None:
        """Keep the newest state of each organisation: one consumer applies the events in order, and an older
        event delivered again after a newer one changes nothing."""
        existing = await self._collection.find_one({"_id": changed.org_id}, {"changed_at": 1})
        if existing is not None and existing["changed_at"] > at:
            return
        state = {
            "name": changed.name,
            "kind": changed.kind,
            "division_code": changed.division_code,
            "domains": list(changed.domains),
            "active": changed.active,
            "changed_at": at,
        }
        await self._collection.replace_one({"_id": changed.org_id}, state, upsert=True)


async def when_organisation_changed_keep_it(envelope: Envelope, *, directory: OrganisationDirectory) -> None:
    event = envelope.event()
    assert isinstance(event, OrganisationChanged)
    await directory.apply(event, envelope.time)
