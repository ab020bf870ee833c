"""Notify reads every ticket topic but handles only the events its active scheme names (or announces), so
the others cost no inbox read and write; a rule saved in this process applies to the very next event."""

from datetime import UTC, datetime

from services.notify.bootstrap import build_notify
from services.notify.handlers import wants_event
from services.notify.scheme_defaults import default_rules
from shared.db import Database
from shared.events import SYSTEM, Envelope

NOW = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)


def event(event_type: str) -> Envelope:
    return Envelope(
        type=event_type, source="/tests", subject="REQ-1", dataschema=f"fiscaldesk:{event_type}:v1",
        correlationid="c", actor=SYSTEM, data={},
    )  # fmt: skip


async def test_only_events_the_scheme_names_or_announces_are_handled(notify_db: Database) -> None:
    notify = build_notify(notify_db, scheme_cache_seconds=60)
    assert await wants_event(event("RequirementSubmitted"), notify=notify)  # nothing seeded yet: handle
    await notify.schemes.seed(default_rules(), NOW)

    assert await wants_event(event("ReviewTaskOpened"), notify=notify)
    assert await wants_event(event("PublicationPublished"), notify=notify)  # announced to everyone
    assert not await wants_event(event("RequirementSubmitted"), notify=notify)  # no rule names it

    rule = default_rules()["ReviewTaskOpened"][0]
    await notify.schemes.save(1, "RequirementSubmitted", [rule], by="u-admin", note="提交即通知", now=NOW)
    assert await wants_event(event("RequirementSubmitted"), notify=notify)  # despite the 60 s cache
