"""An upgrade that brings a default rule for a new event type reaches a database seeded by an older release,
without undoing what administrators changed (against the test stack's FerretDB)."""

import asyncio
from datetime import UTC, datetime
from uuid import uuid4

import pytest

from infra.launcher import Stack
from services.notify.config_store import SchemeStore
from services.notify.scheme_defaults import default_rules
from shared.store import make_client

pytestmark = pytest.mark.e2e
NOW = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)


def on_a_fresh_database(stack: Stack, scenario) -> None:
    async def main() -> None:
        client = make_client(stack.mongodb_url)
        database = client[f"{stack.db_prefix}_notify_upgrade_{uuid4().hex[:8]}"]
        try:
            await scenario(SchemeStore(database["notification_schemes"]))
        finally:
            await client.drop_database(database.name)
            await client.close()

    asyncio.run(main())


def test_new_event_types_get_their_default_rules_in_a_new_version(stack: Stack) -> None:
    async def scenario(schemes: SchemeStore) -> None:
        defaults = default_rules()
        older = {event: rules for event, rules in defaults.items() if event != "ReviewTaskOverdue"}
        await schemes.seed(older, NOW)
        # An administrator silenced rejections in the old release: the upgrade must keep that.
        await schemes.save(1, "RequirementRejected", [], by="u-admin", note="不通知", now=NOW)

        assert await schemes.add_new_defaults(defaults, NOW) == ["ReviewTaskOverdue"]
        version, rules = await schemes.active_rules()
        assert version == 3
        assert rules["ReviewTaskOverdue"] == defaults["ReviewTaskOverdue"]
        assert rules["RequirementRejected"] == []
        assert await schemes.add_new_defaults(defaults, NOW) == []  # the next start changes nothing
        assert (await schemes.active_rules())[0] == 3

    on_a_fresh_database(stack, scenario)
