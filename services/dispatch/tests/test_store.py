"""Dispatch's repository against the session's real FerretDB (no services): one version-checked write per
change, a lost race refused even when the writers are truly concurrent, the outbox relay never undoing a
save, and the periodic overdue check emitting WorkOrderOverdue once."""

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from uuid import uuid4

import pytest
from pymongo import AsyncMongoClient

from infra.launcher import Stack
from services.dispatch.adapters import ConcurrentChange, DispatchCaseRepository
from services.dispatch.domain import ReportProgress, dispatch_work_order, open_dispatch_case, report_progress
from services.dispatch.handlers import flag_overdue_work_orders
from services.dispatch.tests.factories import BIZDIV, ITDIV, NOW, VENDOR, confirmed, dispatch_command
from shared.clock import FixedClock
from shared.events import SYSTEM, Envelope
from shared.outbox import OutboxRelay, OutboxWriter
from shared.store import DocumentLocks, SerializedCollection
from shared.topics import Topics

pytestmark = pytest.mark.e2e


@pytest.fixture
async def cases(stack: Stack) -> AsyncIterator[DispatchCaseRepository]:
    client = AsyncMongoClient(stack.mongodb_url, tz_aware=True)
    raw = client[f"{stack.db_prefix}_dispatch_store_test"][f"cases_{uuid4().hex[:8]}"]
    collection = SerializedCollection(raw, DocumentLocks())
    yield DispatchCaseRepository(collection, OutboxWriter(Topics("t"), source="/tests"), lambda: None)
    await raw.drop()
    await client.close()


async def stored(cases: DispatchCaseRepository, **overrides):
    case = open_dispatch_case(confirmed(f"REQ-{uuid4().hex[:8]}"), BIZDIV, NOW)
    dispatch_work_order(case, dispatch_command(**overrides), ITDIV, NOW)
    cause = Envelope(
        type="Test", source="/tests", subject=case.ticket_id, dataschema="t", correlationid="c", actor=ITDIV, data={}
    )
    assert await cases.add(case, actor=ITDIV, cause=cause)
    assert not await cases.add(case, actor=ITDIV, cause=cause), "a second insert of the same case is skipped"
    return await cases.get(case.ticket_id)


async def outbox_types(cases: DispatchCaseRepository, ticket_id: str) -> list[str]:
    document = await cases._collection.find_one({"_id": ticket_id})
    return [entry["envelope"]["type"] for entry in document["outbox"]]


async def test_a_change_is_one_write_of_state_history_and_events(cases: DispatchCaseRepository) -> None:
    case = await stored(cases)
    assert report_progress(case, ReportProgress(case.work_order.id, "accepted"), VENDOR, NOW)
    await cases.save(case, actor=VENDOR, correlation_id="corr")

    again = await cases.get(case.ticket_id)
    assert (again.version, again.work_order.status) == (2, "accepted")
    assert [h.action for h in again.history] == ["adopted", "dispatched", "accepted"]
    assert await outbox_types(cases, case.ticket_id) == ["WorkOrderDispatched", "WorkOrderProgressed"]
    assert (await cases.by_work_order(case.work_order.id)).ticket_id == case.ticket_id


async def test_a_lost_race_is_refused_and_changes_nothing(cases: DispatchCaseRepository) -> None:
    first, second = await stored(cases), None
    second = await cases.get(first.ticket_id)
    report_progress(first, ReportProgress(first.work_order.id, "in_testing"), VENDOR, NOW)
    report_progress(second, ReportProgress(second.work_order.id, "accepted"), VENDOR, NOW)
    await cases.save(first, actor=VENDOR)
    with pytest.raises(ConcurrentChange) as error:
        await cases.save(second, actor=VENDOR)
    assert error.value.status_code == 409
    assert (await cases.get(first.ticket_id)).work_order.status == "in_testing"


async def test_periodic_check_flags_an_overdue_work_order_once(cases: DispatchCaseRepository) -> None:
    clock = FixedClock(datetime(2027, 1, 10, 16, 30, tzinfo=UTC))  # 00:30 on 11 January in Beijing
    today = date(2027, 1, 11)
    late = await stored(cases, planned_start=today - timedelta(days=10), planned_delivery=today - timedelta(days=1))
    on_time = await stored(cases, planned_start=today, planned_delivery=today)

    assert await flag_overdue_work_orders(cases=cases, clock=clock) == 1
    assert await flag_overdue_work_orders(cases=cases, clock=clock) == 0, "once per work order"
    assert (await cases.get(late.ticket_id)).work_order.overdue_reported is True
    assert await outbox_types(cases, late.ticket_id) == ["WorkOrderDispatched", "WorkOrderOverdue"]
    assert await outbox_types(cases, on_time.ticket_id) == ["WorkOrderDispatched"]
    assert (await cases.get(late.ticket_id)).history[-1].actor_id == SYSTEM.user_id


async def test_of_five_truly_concurrent_saves_from_one_version_exactly_one_wins(cases: DispatchCaseRepository) -> None:
    # FerretDB v1 alone lets several win (its update is a read, then a write): shared/store.py SerializedCollection.
    for _ in range(10):
        first = await stored(cases)
        copies = [await cases.get(first.ticket_id) for _ in range(5)]
        for copy, stage in zip(
            copies, ["accepted", "in_development", "in_testing", "accepted", "in_testing"], strict=True
        ):
            report_progress(copy, ReportProgress(copy.work_order.id, stage), VENDOR, NOW)
        outcomes = await asyncio.gather(*(cases.save(copy, actor=VENDOR) for copy in copies), return_exceptions=True)
        assert sum(outcome is None for outcome in outcomes) == 1
        assert all(isinstance(o, ConcurrentChange) for o in outcomes if o is not None)
        final = await cases.get(first.ticket_id)
        assert final.version == 2 and len(await outbox_types(cases, first.ticket_id)) == 2


async def test_the_outbox_relay_never_undoes_a_save_or_loses_an_event(cases: DispatchCaseRepository) -> None:
    published: dict[str, str] = {}  # id → type; at least once, so an id may come twice
    expected = 4 * 8
    all_published = asyncio.Event()

    async def publish(topic: str, key: str, envelope: dict) -> None:
        published[envelope["id"]] = envelope["type"]
        if len(published) >= expected:
            all_published.set()

    async def advance(ticket_id: str) -> None:
        for stage in ["accepted", "in_development", "in_testing"]:
            current = await cases.get(ticket_id)
            report_progress(current, ReportProgress(current.work_order.id, stage), VENDOR, NOW)
            await cases.save(current, actor=VENDOR)
            relay.wake()

    relay = OutboxRelay([cases._collection], publish, interval=0.001)
    ticket_ids = [(await stored(cases)).ticket_id for _ in range(8)]
    relay.start()
    try:
        await asyncio.gather(*(advance(ticket_id) for ticket_id in ticket_ids))
        await asyncio.wait_for(all_published.wait(), timeout=20)
    finally:
        await relay.stop()
    for ticket_id in ticket_ids:
        final = await cases.get(ticket_id)
        assert (final.version, final.work_order.status) == (4, "in_testing"), "no save undone"
        assert [h.action for h in final.history][-3:] == ["accepted", "in_development", "in_testing"]
        assert await outbox_types(cases, ticket_id) == [], "no event left behind"
    assert sorted(set(published.values())) == ["WorkOrderDispatched", "WorkOrderProgressed"]
    assert len(published) == expected, "no event lost"
