"""An upgrade that brings a default rule for a new event type reaches a database seeded by an older release,
without undoing what administrators changed (against a scratch PostgreSQL database); and two
administrators saving on the same version: one wins, the other gets 409, nothing is overwritten."""

import asyncio
from datetime import UTC, datetime

import pytest

from services.notify.config_store import SchemeConflict, SchemeStore
from services.notify.scheme_defaults import default_rules, superseded_rules
from shared.db import Database

NOW = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)


async def test_new_event_types_get_their_default_rules_in_a_new_version(notify_db: Database) -> None:
    schemes = SchemeStore(notify_db)
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


async def test_seeding_twice_keeps_one_first_version(notify_db: Database, second_instance: Database) -> None:
    seeded = await asyncio.gather(
        SchemeStore(notify_db).seed(default_rules(), NOW), SchemeStore(second_instance).seed(default_rules(), NOW)
    )
    assert sorted(seeded) == [False, True]
    assert [v["_id"] for v in await SchemeStore(notify_db).history(10)] == [1]


async def test_two_administrators_saving_on_one_version_at_once_one_wins_the_other_gets_409(
    notify_db: Database, second_instance: Database
) -> None:
    await SchemeStore(notify_db).seed(default_rules(), NOW)
    rule = default_rules()["ReviewTaskOpened"][0]
    first, second = SchemeStore(notify_db), SchemeStore(second_instance)
    outcomes = await asyncio.gather(
        first.save(1, "RequirementSubmitted", [rule], by="u-admin", note="提交即通知", now=NOW),
        second.save(1, "RequirementRejected", [], by="u-itdiv", note="不通知", now=NOW),
        return_exceptions=True,
    )
    [saved] = [o for o in outcomes if isinstance(o, dict)]
    [lost] = [o for o in outcomes if isinstance(o, Exception)]
    assert isinstance(lost, SchemeConflict) and lost.status_code == 409
    assert saved["_id"] == 2
    # Nothing of the loser's change slipped in, nothing of the winner's was overwritten.
    active = await first.active()
    assert active["_id"] == 2 and active["created_by"] == saved["created_by"]
    changed = "RequirementSubmitted" if saved["created_by"] == "u-admin" else "RequirementRejected"
    untouched = {"RequirementSubmitted", "RequirementRejected"} - {changed}
    defaults = {e: [r.model_dump(mode="json") for r in rs] for e, rs in default_rules().items()}
    for event in untouched:
        assert active["events"].get(event) == defaults.get(event)


async def test_saving_on_an_old_version_is_refused(notify_db: Database) -> None:
    schemes = SchemeStore(notify_db)
    await schemes.seed(default_rules(), NOW)
    await schemes.save(1, "RequirementRejected", [], by="u-admin", note="", now=NOW)
    with pytest.raises(SchemeConflict):
        await schemes.save(1, "RequirementRejected", [], by="u-itdiv", note="", now=NOW)
    with pytest.raises(SchemeConflict):
        await schemes.save(7, "RequirementRejected", [], by="u-itdiv", note="", now=NOW)
    assert (await schemes.active())["_id"] == 2


async def test_an_upgrade_corrects_a_default_left_unchanged_and_keeps_one_an_administrator_changed(
    notify_db: Database, second_instance: Database
) -> None:
    """Before the correction every new problem went to the IT division "to refine", business questions
    included: a scheme still holding that default gets the desk-by-desk rules; an edited one is kept."""
    defaults, superseded = default_rules(), superseded_rules()
    [old_opened] = superseded["ProblemCaseOpened"]
    older = {**defaults, "ProblemCaseOpened": old_opened}
    schemes = SchemeStore(notify_db)
    await schemes.seed(older, NOW)

    assert await schemes.add_new_defaults(defaults, NOW, superseded) == ["ProblemCaseOpened"]
    rules = (await schemes.active_rules())[1]["ProblemCaseOpened"]
    assert {rule.when.get("owner_role") for rule in rules} == {
        "it_division",
        "it_or_support",
        "reviewer",
        "business_division",
    }
    assert await schemes.add_new_defaults(defaults, NOW, superseded) == []

    edited = SchemeStore(second_instance)
    await notify_db.execute("TRUNCATE scheme_versions")
    await edited.seed(older, NOW)
    mine = [old_opened[0].model_copy(update={"channels": ["inbox"]})]
    await edited.save(1, "ProblemCaseOpened", mine, by="u-admin", note="只发站内信", now=NOW)
    assert await edited.add_new_defaults(defaults, NOW, superseded) == []
    assert (await edited.active_rules())[1]["ProblemCaseOpened"] == mine
