"""Background work a service does now and then (overdue checks, SLA clocks, delivery retries), started and
stopped with the service (Runtime.background). Several instances may run the same task at once, so its
action must be safe to repeat (version-checked writes)."""

import asyncio
from collections.abc import Awaitable, Callable

from shared.logs import get_logger

log = get_logger(__name__)


async def wait_for_wakeup(wakeup: asyncio.Event, seconds: float) -> None:
    """Wait until `wakeup` is set or `seconds` have passed, then clear it, for a loop that sleeps between passes.

    Not `asyncio.wait_for(wakeup.wait(), seconds)`: in Python 3.11 that returns normally when the event is set
    just as the waiting task is cancelled, swallowing the cancellation, so the loop around it never ends and its
    `stop()` waits forever (a stopping outbox relay went on publishing, woken by a last NOTIFY).
    `asyncio.timeout` waits in the task itself, so a cancellation always reaches it.
    """
    try:
        async with asyncio.timeout(seconds):
            await wakeup.wait()
    except TimeoutError:
        pass
    wakeup.clear()


class PeriodicTask:
    """Runs `action` now and then every `interval` seconds until stopped; a failed pass is logged and retried."""

    def __init__(self, name: str, action: Callable[[], Awaitable[object]], interval: float) -> None:
        self._name = name
        self._action = action
        self._interval = interval
        self._task: asyncio.Task | None = None
        self._stopping = False

    async def start(self) -> None:
        self._stopping = False
        self._task = asyncio.create_task(self._run(), name=self._name)

    async def stop(self) -> None:
        # The flag ends the loop even if a library's own wait swallows the cancellation.
        self._stopping = True
        if self._task:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    async def _run(self) -> None:
        while not self._stopping:
            try:
                await self._action()
            except asyncio.CancelledError:
                raise
            except Exception as error:  # noqa: BLE001 - database down: the next pass tries again
                log.warning("periodic task failed", task=self._name, error=repr(error))
            await asyncio.sleep(self._interval)
