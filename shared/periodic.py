"""Background work a service does now and then (overdue checks, SLA clocks, delivery retries), started and
stopped with the service (Runtime.background). Several instances may run the same task at once, so its
action must be safe to repeat (version-checked writes)."""

import asyncio
from collections.abc import Awaitable, Callable

from shared.logs import get_logger

log = get_logger(__name__)


class PeriodicTask:
    """Runs `action` now and then every `interval` seconds until stopped; a failed pass is logged and retried."""

    def __init__(self, name: str, action: Callable[[], Awaitable[object]], interval: float) -> None:
        self._name = name
        self._action = action
        self._interval = interval
        self._task: asyncio.Task | None = None

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=self._name)

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    async def _run(self) -> None:
        while True:
            try:
                await self._action()
            except asyncio.CancelledError:
                raise
            except Exception as error:  # noqa: BLE001 - database down: the next pass tries again
                log.warning("periodic task failed", task=self._name, error=repr(error))
            await asyncio.sleep(self._interval)
