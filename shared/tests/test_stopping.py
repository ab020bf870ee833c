"""A service's background loops stop when the service stops, even when they are woken in that very instant.

In Python 3.11 `asyncio.wait_for(event.wait(), …)` swallows a cancellation that arrives just as the event is
set; a loop sleeping that way never ended, its `stop()` waited forever, and a stopped outbox relay went on
publishing (and deleting) the rows of a database it no longer served.
"""

import asyncio
import time

from infra.launcher import Stack
from shared.db import Database
from shared.outbox import OutboxRelay
from shared.periodic import wait_for_wakeup
from tests.databases import scratch_database


async def test_a_loop_woken_as_it_is_cancelled_ends() -> None:
    async def loop(wakeup: asyncio.Event, waiting: asyncio.Event) -> None:
        while True:
            waiting.set()
            await wait_for_wakeup(wakeup, 30)

    for yields in range(6):  # every interleaving of the wakeup and the cancellation, one step apart
        wakeup, waiting = asyncio.Event(), asyncio.Event()
        task = asyncio.create_task(loop(wakeup, waiting))
        await waiting.wait()
        await asyncio.sleep(0)
        wakeup.set()
        for _ in range(yields):
            await asyncio.sleep(0)
        task.cancel()
        done, _ = await asyncio.wait([task], timeout=5)
        assert done == {task} and task.cancelled(), f"the loop ended (cancelled {yields} steps after its wakeup)"


async def test_a_relay_stopped_as_a_commit_wakes_it_stops(
    stack: Stack,
) -> None:
    async with scratch_database(stack.admin_database_url, "dispatch") as url:
        db = Database(url)
        await db.connect()
        published: list[str] = []

        async def publish_batch(items: list[tuple[str, str, dict]]) -> None:
            published.extend(envelope["id"] for _, _, envelope in items)

        async def add_row(event_id: str) -> None:
            await db.execute(
                "INSERT INTO outbox (event_id, topic, key, envelope) VALUES ($1, 't', 'k', $2)",
                event_id,
                {"id": event_id, "type": "Test"},
            )

        try:
            for yields in range(6):
                relay = OutboxRelay(url, publish_batch, interval=30)
                relay.start()
                await add_row(f"before-{yields}")
                deadline = time.monotonic() + 30
                while f"before-{yields}" not in published or await db.fetchval("SELECT count(*) FROM outbox"):
                    assert time.monotonic() < deadline, "the relay published the row saved while it ran"
                    await asyncio.sleep(0.02)
                relay.wake()  # the NOTIFY of a commit arriving as the service shuts down
                for _ in range(yields):
                    await asyncio.sleep(0)
                stopping = asyncio.ensure_future(relay.stop())
                done, _ = await asyncio.wait([stopping], timeout=15)
                assert done == {stopping}, f"the relay stopped (woken {yields} steps before)"
                assert not relay.active, "and gave up its lock, for the next instance to take over"
        finally:
            await db.close()
