"""Dispatch's repositories against a real PostgreSQL database (a throw-away one, no services): one
transaction per change (row, history and outbox rows), a lost race refused even when two instances write
at the same moment, the relay publishing every event in order, the periodic overdue check claiming its
cases (SKIP LOCKED + lease) so each is flagged once, and releases whose keys refuse a clash."""

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from uuid import uuid4

import pytest

from services.dispatch.adapters import ConcurrentChange
from services.dispatch.domain import (
    AnnounceRelease,
    ReportProgress,
    announce_release,
    dispatch_work_order,
    open_dispatch_case,
    report_progress,
    verify_delivery,
)
from services.dispatch.domain.commands import VerifyDelivery
from services.dispatch.handlers import flag_overdue_work_orders
from services.dispatch.tests.conftest import Stores, dispatch_stores
from services.dispatch.tests.factories import (
    BIZDIV,
    ITDIV,
    NOW,
    REQUESTER,
    TODAY,
    VENDOR,
    confirmed,
    dispatch_command,
)
from shared.clock import FixedClock
from shared.db import Database
from shared.errors import DomainError
from shared.events import SYSTEM, Envelope
from shared.outbox import OutboxRelay

pytestmark = pytest.mark.e2e

# 00:30 on 11 January 2027 in Beijing: the default plan (delivery 31 December 2026) is late by then.
LATE_CLOCK = FixedClock(datetime(2027, 1, 10, 16, 30, tzinfo=UTC))
LATE_TODAY = date(2027, 1, 11)


@pytest.fixture
async def instances(dispatch_database_url: str) -> AsyncIterator[tuple[Stores, Stores]]:
    """Dispatch's repositories of two service instances (two pools on one database), on empty tables."""
    first, second = Database(dispatch_database_url), Database(dispatch_database_url)
    await first.connect()
    await second.connect()
    await first.execute("TRUNCATE dispatch_cases, release_tickets, releases, outbox, inbox")
    try:
        yield dispatch_stores(first), dispatch_stores(second)
    finally:
        await first.close()
        await second.close()


@pytest.fixture
def stores(instances: tuple[Stores, Stores]) -> Stores:
    return instances[0]


async def stored(stores: Stores, **overrides):
    case = open_dispatch_case(confirmed(f"REQ-{uuid4().hex[:8]}"), BIZDIV, NOW)
    dispatch_work_order(case, dispatch_command(**overrides), ITDIV, NOW)
    cause = Envelope(
        type="Test", source="/tests", subject=case.ticket_id, dataschema="t", correlationid="c", actor=ITDIV, data={}
    )
    assert await stores.cases.add(case, actor=ITDIV, cause=cause)
    assert not await stores.cases.add(case, actor=ITDIV, cause=cause), "a second insert of the same case is skipped"
    return await stores.cases.get(case.ticket_id)


async def outbox_types(stores: Stores, key: str) -> list[str]:
    rows = await stores.db.fetch("SELECT envelope FROM outbox WHERE key = $1 ORDER BY position", key)
    return [row["envelope"]["type"] for row in rows]


async def test_a_change_is_one_transaction_of_state_history_and_events(stores: Stores) -> None:
    case = await stored(stores)
    assert report_progress(case, ReportProgress(case.work_order.id, "accepted"), VENDOR, NOW)
    await stores.cases.save(case, actor=VENDOR, correlation_id="corr")

    again = await stores.cases.get(case.ticket_id)
    assert (again.version, again.work_order.status) == (2, "accepted")
    assert [h.action for h in again.history] == ["adopted", "dispatched", "accepted"]
    assert again.history[0].at == NOW and again.adopted_at == NOW and again.work_order.dispatched_at == NOW
    assert again.work_order.planned_delivery == case.work_order.planned_delivery
    assert await outbox_types(stores, case.ticket_id) == ["WorkOrderDispatched", "WorkOrderProgressed"]
    assert (await stores.cases.by_work_order(case.work_order.id)).ticket_id == case.ticket_id
    assert await stores.cases.get("REQ-nowhere") is None


async def test_a_lost_race_is_refused_and_changes_nothing(stores: Stores) -> None:
    first = await stored(stores)
    second = await stores.cases.get(first.ticket_id)
    report_progress(first, ReportProgress(first.work_order.id, "in_testing"), VENDOR, NOW)
    report_progress(second, ReportProgress(second.work_order.id, "accepted"), VENDOR, NOW)
    await stores.cases.save(first, actor=VENDOR)
    with pytest.raises(ConcurrentChange) as error:
        await stores.cases.save(second, actor=VENDOR)
    assert error.value.status_code == 409
    final = await stores.cases.get(first.ticket_id)
    assert (final.version, final.work_order.status) == (2, "in_testing")
    assert [h.action for h in final.history][-1] == "in_testing", "the loser's history line is not kept"
    assert await outbox_types(stores, first.ticket_id) == ["WorkOrderDispatched", "WorkOrderProgressed"]


async def test_two_concurrent_updates_of_one_case_from_two_instances_give_one_success_and_one_409(
    instances: tuple[Stores, Stores],
) -> None:
    one, other = instances
    for _ in range(10):
        case = await stored(one)
        mine, theirs = await one.cases.get(case.ticket_id), await other.cases.get(case.ticket_id)
        report_progress(mine, ReportProgress(mine.work_order.id, "accepted"), VENDOR, NOW)
        report_progress(theirs, ReportProgress(theirs.work_order.id, "in_testing"), VENDOR, NOW)
        outcomes = await asyncio.gather(
            one.cases.save(mine, actor=VENDOR), other.cases.save(theirs, actor=VENDOR), return_exceptions=True
        )
        assert sorted(type(outcome).__name__ for outcome in outcomes) == ["ConcurrentChange", "NoneType"]
        assert next(o for o in outcomes if o is not None).status_code == 409
        final = await one.cases.get(case.ticket_id)
        winner = mine if outcomes[0] is None else theirs
        assert (final.version, final.work_order.status) == (2, winner.work_order.status), "nothing lost"
        assert len(await outbox_types(one, case.ticket_id)) == 2, "only the winner's event"


async def test_of_five_truly_concurrent_saves_from_one_version_exactly_one_wins(stores: Stores) -> None:
    for _ in range(10):
        first = await stored(stores)
        copies = [await stores.cases.get(first.ticket_id) for _ in range(5)]
        for copy, stage in zip(
            copies, ["accepted", "in_development", "in_testing", "accepted", "in_testing"], strict=True
        ):
            report_progress(copy, ReportProgress(copy.work_order.id, stage), VENDOR, NOW)
        outcomes = await asyncio.gather(
            *(stores.cases.save(copy, actor=VENDOR) for copy in copies), return_exceptions=True
        )
        assert sum(outcome is None for outcome in outcomes) == 1
        assert all(isinstance(o, ConcurrentChange) for o in outcomes if o is not None)
        final = await stores.cases.get(first.ticket_id)
        assert final.version == 2 and len(await outbox_types(stores, first.ticket_id)) == 2


async def test_the_outbox_relay_publishes_every_event_once_in_order_and_never_undoes_a_save(
    stores: Stores, dispatch_database_url: str
) -> None:
    published: list[tuple[str, dict]] = []  # (key, envelope), in the order the relay handed them over
    expected = 4 * 8
    all_published = asyncio.Event()

    async def publish_batch(items: list[tuple[str, str, dict]]) -> None:
        published.extend((key, envelope) for _, key, envelope in items)
        if len({envelope["id"] for _, envelope in published}) >= expected:
            all_published.set()

    async def advance(ticket_id: str) -> None:
        for stage in ["accepted", "in_development", "in_testing"]:
            current = await stores.cases.get(ticket_id)
            report_progress(current, ReportProgress(current.work_order.id, stage), VENDOR, NOW)
            await stores.cases.save(current, actor=VENDOR)

    relay = OutboxRelay(dispatch_database_url, publish_batch, interval=0.05)
    ticket_ids = [(await stored(stores)).ticket_id for _ in range(8)]
    relay.start()
    try:
        await asyncio.gather(*(advance(ticket_id) for ticket_id in ticket_ids))
        await asyncio.wait_for(all_published.wait(), timeout=20)
    finally:
        await relay.stop()
    for ticket_id in ticket_ids:
        final = await stores.cases.get(ticket_id)
        assert (final.version, final.work_order.status) == (4, "in_testing"), "no save undone"
        assert [h.action for h in final.history][-3:] == ["accepted", "in_development", "in_testing"]
        assert await outbox_types(stores, ticket_id) == [], "no event left behind"
        stages = [e["data"].get("stage") for key, e in published if key == ticket_id]
        assert stages == [None, "accepted", "in_development", "in_testing"], "each ticket's events in order"
    assert len({envelope["id"] for _, envelope in published}) == expected == len(published), "none lost or doubled"


async def test_periodic_check_flags_an_overdue_work_order_once(stores: Stores) -> None:
    late = await stored(
        stores, planned_start=LATE_TODAY - timedelta(days=10), planned_delivery=LATE_TODAY - timedelta(days=1)
    )
    on_time = await stored(stores, planned_start=LATE_TODAY, planned_delivery=LATE_TODAY)

    assert await flag_overdue_work_orders(cases=stores.cases, clock=LATE_CLOCK) == 1
    assert await flag_overdue_work_orders(cases=stores.cases, clock=LATE_CLOCK) == 0, "once per work order"
    flagged = await stores.cases.get(late.ticket_id)
    assert flagged.work_order.overdue_reported is True and flagged.history[-1].actor_id == SYSTEM.user_id
    assert await outbox_types(stores, late.ticket_id) == ["WorkOrderDispatched", "WorkOrderOverdue"]
    assert await outbox_types(stores, on_time.ticket_id) == ["WorkOrderDispatched"]


async def test_two_instances_checking_at_once_flag_each_overdue_work_order_once(
    instances: tuple[Stores, Stores],
) -> None:
    one, other = instances
    late = [(await stored(one)).ticket_id for _ in range(30)]
    counts = await asyncio.gather(
        flag_overdue_work_orders(cases=one.cases, clock=LATE_CLOCK),
        flag_overdue_work_orders(cases=other.cases, clock=LATE_CLOCK),
    )
    assert sum(counts) == 30
    for ticket_id in late:
        assert await outbox_types(one, ticket_id) == ["WorkOrderDispatched", "WorkOrderOverdue"]


async def test_a_claim_of_an_instance_that_died_is_taken_over_when_its_lease_ends(
    instances: tuple[Stores, Stores],
) -> None:
    dead, alive = instances
    case = await stored(dead)
    # The first instance claims the late case and is killed before it flags it.
    claimed = await dead.cases.claim_overdue_candidates(LATE_TODAY, lease_seconds=0.5)
    assert [c.ticket_id for c in claimed] == [case.ticket_id]
    assert await flag_overdue_work_orders(cases=alive.cases, clock=LATE_CLOCK) == 0, "still leased"
    await asyncio.sleep(0.6)
    assert await flag_overdue_work_orders(cases=alive.cases, clock=LATE_CLOCK) == 1, "taken over"
    assert await outbox_types(alive, case.ticket_id) == ["WorkOrderDispatched", "WorkOrderOverdue"]


async def verified(stores: Stores) -> str:
    case = await stored(stores)
    report_progress(case, ReportProgress(case.work_order.id, "delivered", "v1.0.0"), VENDOR, NOW)
    await stores.cases.save(case, actor=VENDOR)
    case = await stores.cases.get(case.ticket_id)
    verify_delivery(case, VerifyDelivery(case.ticket_id, passed=True, reason="导出功能验证正常"), REQUESTER, NOW)
    await stores.cases.save(case, actor=REQUESTER)
    return case.ticket_id


async def release_of(stores: Stores, version: str, ticket_ids: list[str]):
    command = AnnounceRelease(version, TODAY, "预算指标导出上线", "", tuple(ticket_ids))
    return announce_release(
        command,
        await stores.cases.get_many(ticket_ids),
        released_in=await stores.releases.released_in(ticket_ids),
        release_id=f"REL-{uuid4().hex[:6]}",
        today=TODAY,
        actor=ITDIV,
        at=NOW,
    )


async def test_a_release_its_tickets_and_its_events_are_stored_together(stores: Stores) -> None:
    tickets = [await verified(stores) for _ in range(2)]
    release = await release_of(stores, "v2026.12.1", tickets)
    document = await stores.releases.add(release, correlation_id="corr")
    assert await stores.releases.released_in([*tickets, "REQ-other"]) == dict.fromkeys(tickets, release.id)
    [latest] = await stores.releases.latest(limit=10, skip=0)
    assert latest == document and latest["release_date"] == TODAY and latest["ticket_ids"] == tickets
    assert await outbox_types(stores, release.id) == ["ReleaseAnnounced"]
    for ticket_id in tickets:
        assert (await outbox_types(stores, ticket_id))[-1] == "RequirementReleased"


async def test_a_released_version_or_ticket_is_refused_and_changes_nothing(stores: Stores) -> None:
    first, second = await verified(stores), await verified(stores)
    await stores.releases.add(await release_of(stores, "v1", [first]), correlation_id="c")
    again = await release_of(stores, "v1", [second])
    with pytest.raises(DomainError) as error:
        await stores.releases.add(again, correlation_id="c")
    assert (error.value.code, error.value.status_code) == ("release_version_exists", 409)
    assert await stores.releases.released_in([second]) == {}
    assert await outbox_types(stores, again.id) == [] and await outbox_types(stores, second) == [
        "WorkOrderDispatched",
        "WorkOrderProgressed",
        "VerificationRequested",
        "VerificationPassed",
    ]


async def test_two_releases_announced_at_once_with_one_ticket_let_only_one_take_it(
    instances: tuple[Stores, Stores],
) -> None:
    one, other = instances
    ticket_id = await verified(one)
    releases = [await release_of(one, "v2", [ticket_id]), await release_of(other, "v3", [ticket_id])]
    outcomes = await asyncio.gather(
        one.releases.add(releases[0], correlation_id="c"),
        other.releases.add(releases[1], correlation_id="c"),
        return_exceptions=True,
    )
    [refused] = [outcome for outcome in outcomes if isinstance(outcome, Exception)]
    assert isinstance(refused, DomainError) and refused.code == "ticket_already_released"
    winner = releases[0] if isinstance(outcomes[0], dict) else releases[1]
    assert await one.releases.released_in([ticket_id]) == {ticket_id: winner.id}
    assert [r["id"] for r in await one.releases.latest(limit=10, skip=0)] == [winner.id]
    assert (await outbox_types(one, ticket_id)).count("RequirementReleased") == 1
