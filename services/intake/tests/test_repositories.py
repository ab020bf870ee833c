"""Intake's stores against a real PostgreSQL database: one state change and its events commit together,
a lost race is a 409, the attachment limit holds under concurrent uploads, an import key is taken once."""

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from services.intake import domain, problems
from services.intake.adapters import CalendarStore, ConcurrentChange, TicketIdTaken, add_new
from services.intake.domain import (
    Channel,
    RequirementCategory,
    RequirementForm,
    Submitter,
    WindowCheck,
    draft_requirement,
    submit_new_requirement,
)
from services.intake.problems import ProblemForm, Reporter, report_problem
from services.intake.tests.conftest import Stores, intake_stores
from shared.db import Database
from shared.events import (
    SYSTEM,
    CalendarDayCorrected,
    ConsultingDetails,
    OrganisationChanged,
    SubmissionWindowOpened,
)
from shared.outbox import Outbox, OutboxWriter
from shared.topics import Topics

NOW = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
OPEN = WindowCheck(open=True, next_opening=NOW.date())
FORM = RequirementForm(RequirementCategory.NEW, "指标导出", "在指标查询界面增加导出功能。")
UNIT = Submitter("u-1", "张敏", "bu-150102-01", "新城区教育局", ["150000", "150100", "150102", "bu-150102-01"])


@pytest.fixture(scope="module")
async def two_instances(intake_database_url: str) -> AsyncIterator[tuple[Stores, Stores]]:
    """The stores of two service instances: two pools on one database."""
    first, second = Database(intake_database_url), Database(intake_database_url)
    await first.connect()
    await second.connect()
    try:
        yield intake_stores(first), intake_stores(second)
    finally:
        await first.close()
        await second.close()


async def outbox_types(db: Database, ticket_id: str) -> list[str]:
    rows = await db.fetch("SELECT envelope FROM outbox WHERE key = $1 ORDER BY position", ticket_id)
    return [row["envelope"]["type"] for row in rows]


async def test_a_submission_and_its_event_are_stored_together(two_instances: tuple[Stores, Stores]) -> None:
    stores, _ = two_instances
    requirement = submit_new_requirement(FORM, UNIT, Channel.FORM, OPEN, NOW)
    assert await stores.requirements.add(requirement, actor=SYSTEM, correlation_id="c-1")

    doc = await stores.requirements.read(requirement.id)
    assert doc is not None and doc["status"] == "submitted" and doc["org"]["path"] == UNIT.org_path
    assert (doc["submitter"], doc["version"], doc["attachments"]) == ({"id": "u-1", "name": "张敏"}, 1, [])
    assert await outbox_types(stores.db, requirement.id) == ["RequirementSubmitted"]


async def test_two_concurrent_updates_of_one_requirement_give_one_success_and_one_409(
    two_instances: tuple[Stores, Stores],
) -> None:
    first, second = two_instances
    draft = draft_requirement(FORM, UNIT, Channel.FORM, NOW)
    assert await first.requirements.add(draft, actor=SYSTEM, correlation_id="c-2")
    mine, theirs = await first.requirements.get(draft.id), await second.requirements.get(draft.id)
    assert mine is not None and theirs is not None
    mine.submit(OPEN, "u-1", NOW)
    theirs.amend(RequirementForm(RequirementCategory.NEW, "另一个标题", "同时修改的说明。"), "u-1", NOW)

    outcomes = await asyncio.gather(
        first.requirements.save(mine, actor=SYSTEM),
        second.requirements.save(theirs, actor=SYSTEM),
        return_exceptions=True,
    )

    assert sorted(type(o).__name__ for o in outcomes) == ["ConcurrentChange", "NoneType"]
    assert all(getattr(o, "status_code", 409) == 409 for o in outcomes if o is not None)
    stored = await first.requirements.read(draft.id)
    assert stored is not None and stored["version"] == 2
    won = mine if outcomes[0] is None else theirs
    assert stored["history"][-1]["action"] == won.history[-1]["action"]
    # The loser's events went nowhere: the outbox holds exactly what the stored state produced.
    assert await outbox_types(first.db, draft.id) == (["RequirementSubmitted"] if won is mine else [])


async def test_a_save_of_a_stale_copy_is_refused_and_changes_nothing(two_instances: tuple[Stores, Stores]) -> None:
    stores, _ = two_instances
    draft = draft_requirement(FORM, UNIT, Channel.FORM, NOW)
    await stores.requirements.add(draft, actor=SYSTEM, correlation_id="c-3")
    stale = await stores.requirements.get(draft.id)
    fresh = await stores.requirements.get(draft.id)
    assert stale is not None and fresh is not None
    fresh.submit(OPEN, "u-1", NOW)
    await stores.requirements.save(fresh, actor=SYSTEM)
    stale.submit(OPEN, "u-1", NOW)
    with pytest.raises(ConcurrentChange):
        await stores.requirements.save(stale, actor=SYSTEM)
    assert await outbox_types(stores.db, draft.id) == ["RequirementSubmitted"]


async def test_a_spreadsheet_import_key_is_taken_once_and_form_entries_need_none(
    two_instances: tuple[Stores, Stores],
) -> None:
    first, second = two_instances
    rows = [submit_new_requirement(FORM, UNIT, Channel.SPREADSHEET, OPEN, NOW) for _ in range(2)]
    added = await asyncio.gather(
        *(
            stores.requirements.add(row, actor=SYSTEM, correlation_id="c-4", import_key="bu-150102-01:abc")
            for stores, row in zip((first, second), rows, strict=True)
        )
    )
    assert sorted(added) == [False, True]
    loser = rows[added.index(False)]
    assert await first.requirements.get(loser.id) is None and await outbox_types(first.db, loser.id) == []
    # Form entries carry no import key: any number of them.
    forms = [submit_new_requirement(FORM, UNIT, Channel.FORM, OPEN, NOW) for _ in range(3)]
    assert [await first.requirements.add(f, actor=SYSTEM, correlation_id="c-5") for f in forms] == [True] * 3


class Draws:
    """secrets.token_hex for a ticket module, drawing the given ids' random parts first, then fresh ones."""

    def __init__(self, *first: str) -> None:
        self._first = list(first)

    def token_hex(self, nbytes: int) -> str:
        import secrets

        return self._first.pop(0) if self._first else secrets.token_hex(nbytes)


async def test_a_new_requirement_whose_random_id_is_taken_is_stored_under_a_fresh_one(
    two_instances: tuple[Stores, Stores], monkeypatch: pytest.MonkeyPatch
) -> None:
    """In a busy month (100,000 submissions) about one random id drawn is already taken: the submitter is
    answered with a new id of their own requirement, never with the other's (which stays as it was)."""
    stores, _ = two_instances
    theirs = submit_new_requirement(FORM, UNIT, Channel.FORM, OPEN, NOW)
    assert await stores.requirements.add(theirs, actor=SYSTEM, correlation_id="c-ids")
    taken = theirs.id.rsplit("-", 1)[1].lower()
    mine_form = RequirementForm(RequirementCategory.NEW, "预算执行表增加合计行", "执行表底部增加合计行。")
    with pytest.raises(TicketIdTaken):
        monkeypatch.setattr(domain, "secrets", Draws(taken))
        await stores.requirements.add(
            submit_new_requirement(mine_form, UNIT, Channel.FORM, OPEN, NOW), actor=SYSTEM, correlation_id="c-ids"
        )

    monkeypatch.setattr(domain, "secrets", Draws(taken, taken))
    mine, added = await add_new(
        lambda: submit_new_requirement(mine_form, UNIT, Channel.FORM, OPEN, NOW),
        lambda new: stores.requirements.add(new, actor=SYSTEM, correlation_id="c-ids"),
    )
    assert added and mine.id != theirs.id and mine.id.startswith("REQ-202612-")
    stored, kept = await stores.requirements.read(mine.id), await stores.requirements.read(theirs.id)
    assert stored is not None and stored["title"] == mine_form.title
    assert kept is not None and (kept["title"], kept["version"]) == (FORM.title, 1), "the other's is untouched"
    assert await outbox_types(stores.db, theirs.id) == ["RequirementSubmitted"], "no event under the other's id"
    assert await outbox_types(stores.db, mine.id) == ["RequirementSubmitted"]


async def test_a_new_problem_whose_random_id_is_taken_is_stored_under_a_fresh_one(
    two_instances: tuple[Stores, Stores], monkeypatch: pytest.MonkeyPatch
) -> None:
    stores, _ = two_instances
    reporter = Reporter("u-1", "张敏", "bu-150102-01", "新城区教育局", "budget_unit", UNIT.org_path)
    form = ProblemForm(
        "consulting", "指标怎么调剂", "想知道指标调剂的操作步骤。", ConsultingDetails(question_type="business")
    )
    theirs = report_problem(form, reporter, "form", NOW)
    await stores.problems.add(theirs, actor=SYSTEM, correlation_id="c-ids")

    monkeypatch.setattr(problems, "secrets", Draws(theirs.id.rsplit("-", 1)[1].lower()))
    mine, _ = await add_new(
        lambda: report_problem(form, reporter, "form", NOW),
        lambda new: stores.problems.add(new, actor=SYSTEM, correlation_id="c-ids"),
    )
    assert mine.id != theirs.id and await stores.problems.read(mine.id) is not None
    assert await outbox_types(stores.db, theirs.id) == ["ProblemReported"], "no second report under the other's id"


async def test_concurrent_uploads_never_take_a_requirement_past_its_attachment_limit(
    two_instances: tuple[Stores, Stores],
) -> None:
    first, second = two_instances
    requirement = submit_new_requirement(FORM, UNIT, Channel.FORM, OPEN, NOW)
    await first.requirements.add(requirement, actor=SYSTEM, correlation_id="c-6")

    def description(n: int) -> dict:
        return {
            "id": f"ATT-{requirement.id}-{n}",
            "name": f"{n}.png",
            "media_type": "image/png",
            "at": NOW,
            "by": "u-1",
        }

    outcomes = [
        refusal is None
        for refusal in await asyncio.gather(
            *(
                (first if n % 2 else second).attachments.add(
                    requirement.id, description(n), b"\x89PNG-%d" % n, 10, 1 << 30
                )
                for n in range(16)
            )
        )
    ]

    assert outcomes.count(True) == 10
    doc = await first.requirements.read(requirement.id)
    assert doc is not None and len(doc["attachments"]) == 10
    kept = [n for n, ok in enumerate(outcomes) if ok]
    assert sorted(a["id"] for a in doc["attachments"]) == sorted(description(n)["id"] for n in kept)
    assert (
        await first.db.fetchval("SELECT count(*) FROM attachment_files WHERE requirement_id = $1", requirement.id) == 10
    )
    assert await second.attachments.content(description(kept[0])["id"]) == b"\x89PNG-%d" % kept[0]
    refused = [n for n, ok in enumerate(outcomes) if not ok]
    assert await first.attachments.content(description(refused[0])["id"]) is None


async def test_a_users_uploads_of_a_day_stop_at_the_quota_whatever_the_tickets(
    two_instances: tuple[Stores, Stores],
) -> None:
    first, second = two_instances
    tickets = [submit_new_requirement(FORM, UNIT, Channel.FORM, OPEN, NOW) for _ in range(3)]
    for n, requirement in enumerate(tickets):
        await first.requirements.add(requirement, actor=SYSTEM, correlation_id=f"c-q{n}")
    uploader = f"u-quota-{tickets[0].id}"

    def upload(store: Stores, n: int, by: str = uploader):
        ticket = tickets[n % 3].id
        description = {
            "id": f"ATT-Q-{ticket}-{n}-{by}",
            "name": "a.png",
            "media_type": "image/png",
            "at": NOW,
            "by": by,
        }
        return store.attachments.add(ticket, description, b"\x89PNG" + b"x" * 995, 10, 5_000)  # 1,000 bytes

    outcomes = await asyncio.gather(*(upload(first if n % 2 else second, n) for n in range(8)))
    assert outcomes.count(None) == 5 and set(outcomes) == {None, "quota_reached"}, "5,000 bytes a day, over 3 tickets"
    assert await upload(first, 9, by="u-someone-else") is None, "the quota is the uploader's own"
    assert await first.db.fetchval("SELECT count(*) FROM attachment_files WHERE uploaded_by = $1", uploader) == 5


async def test_an_older_directory_event_delivered_after_a_newer_one_changes_nothing(
    two_instances: tuple[Stores, Stores],
) -> None:
    stores, _ = two_instances

    def changed(name: str, active: bool) -> OrganisationChanged:
        return OrganisationChanged(
            org_id="bu-150102-99",
            change="updated",
            name=name,
            kind="budget_unit",
            division_code="150102",
            active=active,
        )

    await stores.directory.apply(changed("新单位", True), NOW)
    await stores.directory.apply(changed("新单位（停用）", False), NOW + timedelta(minutes=1))
    async with stores.db.transaction():  # as in a consumer: the write joins the open transaction
        await stores.directory.apply(changed("新单位", True), NOW)
    found = await stores.directory.get("bu-150102-99")
    assert found is not None and (found[0].name, found[1]) == ("新单位（停用）", False)
    shipped = await stores.directory.get("bu-150102-01")
    assert shipped is not None and shipped[1] is True
    assert await stores.directory.get("nowhere") is None


async def test_calendar_corrections_and_extra_windows_commit_with_their_events(
    two_instances: tuple[Stores, Stores],
) -> None:
    calendar, db = two_instances[0].calendar, two_instances[0].db

    async def correct(day: str, is_workday: bool | None) -> None:
        state = {"is_workday": is_workday, "note": "元旦", "by": "u-itd", "at": NOW}
        event = CalendarDayCorrected(day=day, is_workday=is_workday, note="元旦")
        await calendar.set_override(day, state, [event], SYSTEM, "c-7")

    await correct("2027-01-01", False)
    await correct("2027-01-01", None)  # withdrawn: kept for the record, no longer in force
    await correct("2027-01-04", False)
    assert [o["_id"] for o in await calendar.overrides(NOW.date())] == ["2027-01-04"]
    assert await outbox_types(db, "calendar-2027-01-01") == ["CalendarDayCorrected"] * 2

    closes = NOW + timedelta(days=2)
    window = {"_id": "WIN-1", "opens_at": NOW, "closes_at": closes, "reason": "补充征集", "by": "u-itd"}
    event = SubmissionWindowOpened(
        window_id="WIN-1", opens_at=NOW.isoformat(), closes_at=closes.isoformat(), reason="补充征集"
    )
    await calendar.add_window(window, [event], SYSTEM, "c-8")
    assert [w["_id"] for w in await calendar.extra_windows(NOW + timedelta(days=1))] == ["WIN-1"]
    assert await calendar.extra_windows(closes) == []
    assert await outbox_types(db, "WIN-1") == ["SubmissionWindowOpened"]


async def test_the_window_reads_kept_for_a_moment_see_this_instances_changes_at_once_and_others_soon(
    two_instances: tuple[Stores, Stores],
) -> None:
    """Every submission checks the window (第五条): its two reads are kept for FD_WINDOW_CACHE_SECONDS."""
    outbox = Outbox(OutboxWriter(Topics("test"), source="/fiscaldesk/intake"))
    first = CalendarStore(two_instances[0].db, outbox, cache_seconds=0.5)
    second = CalendarStore(two_instances[1].db, outbox, cache_seconds=0.5)
    at = NOW + timedelta(days=30)
    assert [w["_id"] for w in await second.extra_windows(at)] == []  # kept by the second instance now

    closes = at + timedelta(days=1)
    window = {"_id": "WIN-CACHE", "opens_at": at, "closes_at": closes, "reason": "补充征集", "by": "u-itd"}
    event = SubmissionWindowOpened(
        window_id="WIN-CACHE", opens_at=at.isoformat(), closes_at=closes.isoformat(), reason="补充征集"
    )
    await first.add_window(window, [event], SYSTEM, "c-9")
    assert [w["_id"] for w in await first.extra_windows(at)] == ["WIN-CACHE"], "its own change, at once"

    deadline = asyncio.get_running_loop().time() + 5
    while [w["_id"] for w in await second.extra_windows(at)] != ["WIN-CACHE"]:
        assert asyncio.get_running_loop().time() < deadline, "another instance's change within the cache time"
        await asyncio.sleep(0.05)
    # A kept list still answers for a later moment: a window that has closed since is not open any more.
    assert await second.extra_windows(closes) == []
