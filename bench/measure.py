"""How both systems are measured: a closed-loop load (or an open-loop one at a set rate), completions polled
with a deadline, nearest-rank percentiles, and consumer-group lag (a run starts when its path has caught up; what
else is behind is reported).

A closed loop finds the peak: N submitters, each sending its next submission as soon as the last was accepted,
keep the system saturated, so its latency there is mostly queueing. An open loop at a set rate (a fraction of
that peak) says what a user sees when the system is busy but not overrun: submissions leave on a fixed
schedule whether or not the earlier ones were answered, as a region's clerks do.

When is a flow complete? When its last document exists. The bench polls for it and takes the midpoint
between the last poll that did not find it and the first that did; the error is at most half a poll
period either way, and the same for both systems. Stored timestamps are not used for this: notify's
inbox document carries the time its delivery was *planned* (services/notify/channels/inbox.py), before
the delivery worker wrote it. They are still reported, as stages, where they tell where the time goes.

Times are wall-clock seconds (`time.time()`): stored timestamps come from other processes on the same
machine, which share the host clock.
"""

import asyncio
import math
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import pairwise
from typing import Protocol

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

# Pause between the lag checks that wait for a system's consumers to catch up.
POLL_INTERVAL = 0.2
# The last stage of every flow (see the module docstring).
SEEN = "seen by the bench"


class System(Protocol):
    """One implementation of the flow "durable write → event → consumer → second durable write"."""

    name: str
    # The consumer groups on the measured path: a run starts when they have nothing left to consume.
    groups: frozenset[str]
    # Per flow id, the moments (wall clock) it passed named stages; cleared before each measured run.
    stamps: dict[str, dict[str, float]]

    async def submit(self, index: int) -> tuple[str, float]:
        """Start one flow; answer its id and the moment it was accepted (wall clock)."""
        ...

    async def completions(self, since: datetime) -> set[str]:
        """Ids of flows whose last document exists, among those written at or after `since`."""
        ...

    async def pending(self) -> int:
        """Work accepted but not yet handed to Kafka (outbox entries); 0 when there is no outbox."""
        ...

    async def breakdown(self) -> dict[str, dict[str, float | None]]:
        """p50/p95 of the time between consecutive stages of the last run's flows (where the time goes)."""
        ...


@dataclass(frozen=True)
class RunResult:
    system: str
    concurrency: int  # submitters of a closed loop; 0 for an open loop
    offered_per_s: float | None  # the open loop's rate; None for a closed loop
    submitted: int
    accepted: int
    completed: int
    errors: int
    first_error: str | None
    accept_seconds: float
    complete_seconds: float
    accepted_per_s: float
    completed_per_s: float
    p50_ms: float | None
    p95_ms: float | None
    p99_ms: float | None
    max_ms: float | None
    # Request sent → accepted (intake's 201; the baseline's commit), per submission.
    accept_p50_ms: float | None
    accept_p95_ms: float | None
    accept_p99_ms: float | None
    # p95 of the time between two polls' starts: twice the worst error of a completion time.
    poll_period_p95_ms: float | None


def percentile(values: list[float], p: float) -> float | None:
    """Nearest-rank percentile: the smallest value with at least p % of the values at or below it."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


@dataclass
class _Load:
    accepted: dict[str, float] = field(default_factory=dict)
    accept_ms: list[float] = field(default_factory=list)
    errors: int = 0
    first_error: str | None = None


async def _submit(system: System, index: int, load: _Load) -> None:
    sent_at = time.time()
    try:
        key, accepted_at = await system.submit(index)
    except Exception as error:  # noqa: BLE001 - a failed submission is counted and reported, the run goes on
        load.errors += 1
        load.first_error = load.first_error or repr(error)
        return
    load.accepted[key] = accepted_at
    load.accept_ms.append((accepted_at - sent_at) * 1000)


async def _closed_loop(system: System, concurrency: int, total: int) -> _Load:
    """`concurrency` submitters, each sending its next submission as soon as the last one was accepted."""
    load = _Load()
    indices = iter(range(total))  # shared: together the workers send exactly `total` submissions

    async def worker() -> None:
        for index in indices:
            await _submit(system, index, load)

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return load


async def _open_loop(system: System, rate: float, total: int) -> _Load:
    """Submission i leaves at start + i / `rate` s, whether or not the earlier ones have been answered."""
    load = _Load()
    start = time.monotonic()
    in_flight = []
    for index in range(total):
        await asyncio.sleep(max(0.0, start + index / rate - time.monotonic()))
        in_flight.append(asyncio.create_task(_submit(system, index, load)))
    await asyncio.gather(*in_flight)
    return load


@dataclass
class _Polls:
    seen: dict[str, float] = field(default_factory=dict)  # id → estimated completion time
    periods: list[float] = field(default_factory=list)


async def _poll_completions(
    system: System, started: float, load_task: asyncio.Task[_Load], timeout: float, interval: float
) -> _Polls:
    """Poll until every accepted flow is complete, or `timeout` s after the load ended."""
    polls = _Polls()
    # A second of slack: stored times are truncated to milliseconds; ids of earlier runs are ignored later.
    since = datetime.fromtimestamp(started - 1, UTC)
    previous = started
    deadline: float | None = None
    while True:
        poll_started = time.time()
        midpoint = (previous + poll_started) / 2  # it appeared after `previous` and before `poll_started`
        for key in await system.completions(since) - polls.seen.keys():
            polls.seen[key] = midpoint
        polls.periods.append(poll_started - previous)
        previous = poll_started
        if load_task.done():
            if load_task.result().accepted.keys() <= polls.seen.keys():
                return polls
            deadline = deadline or time.monotonic() + timeout
            if time.monotonic() > deadline:
                return polls
        await asyncio.sleep(interval)


async def measure(
    system: System, concurrency: int, total: int, timeout: float, poll_interval: float, rate: float | None = None
) -> RunResult:
    """One run: `total` submissions from `concurrency` submitters (or, given a `rate`, sent at that many a
    second), each followed to its completion (polled every `poll_interval` s plus the query's own time)."""
    started = time.time()
    loop = _closed_loop(system, concurrency, total) if rate is None else _open_loop(system, rate, total)
    load_task = asyncio.create_task(loop)
    polls = await _poll_completions(system, started, load_task, timeout, poll_interval)
    load = load_task.result()
    done = {key: polls.seen[key] for key in load.accepted.keys() & polls.seen.keys()}
    for key, at in done.items():
        system.stamps.setdefault(key, {})[SEEN] = at
    latencies_ms = [(done[key] - load.accepted[key]) * 1000 for key in done]
    accept_seconds = max(load.accepted.values(), default=started) - started
    complete_seconds = max(done.values(), default=started) - started
    return RunResult(
        system=system.name,
        concurrency=0 if rate is not None else concurrency,
        offered_per_s=None if rate is None else round(rate, 1),
        submitted=total,
        accepted=len(load.accepted),
        completed=len(done),
        errors=load.errors,
        first_error=load.first_error,
        accept_seconds=round(accept_seconds, 3),
        complete_seconds=round(complete_seconds, 3),
        accepted_per_s=round(len(load.accepted) / accept_seconds, 1) if accept_seconds > 0 else 0.0,
        completed_per_s=round(len(done) / complete_seconds, 1) if complete_seconds > 0 else 0.0,
        p50_ms=_round(percentile(latencies_ms, 50)),
        p95_ms=_round(percentile(latencies_ms, 95)),
        p99_ms=_round(percentile(latencies_ms, 99)),
        max_ms=_round(max(latencies_ms, default=None)),
        accept_p50_ms=_round(percentile(load.accept_ms, 50)),
        accept_p95_ms=_round(percentile(load.accept_ms, 95)),
        accept_p99_ms=_round(percentile(load.accept_ms, 99)),
        poll_period_p95_ms=_round(percentile([p * 1000 for p in polls.periods[1:]], 95)),
    )


def stage_percentiles(stamps: dict[str, dict[str, float]], stages: list[str]) -> dict[str, dict[str, float | None]]:
    """For each pair of consecutive stages, p50 and p95 in ms over the flows that passed both."""
    result: dict[str, dict[str, float | None]] = {}
    for first, second in pairwise(stages):
        spans = [(s[second] - s[first]) * 1000 for s in stamps.values() if first in s and second in s]
        result[f"{first} → {second}"] = {
            "p50_ms": _round(percentile(spans, 50)),
            "p95_ms": _round(percentile(spans, 95)),
        }
    return result


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


class KafkaLag:
    """How far each consumer group is behind on one stack's topics (used as `async with`)."""

    def __init__(self, bootstrap: str, topic_prefix: str) -> None:
        self._prefix = f"{topic_prefix}."
        self._admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
        self._reader = AIOKafkaConsumer(bootstrap_servers=bootstrap)  # no group: only reads end offsets

    async def __aenter__(self) -> "KafkaLag":
        await self._admin.start()
        await self._reader.start()
        return self

    async def __aexit__(self, *_: object) -> None:
        await asyncio.sleep(0)  # aiokafka 0.14 raises CancelledError when stopped in the same tick
        await self._reader.stop()
        await self._admin.close()

    async def by_group(self) -> dict[str, int]:
        """Messages each group has not committed yet, on the topics it has committed on at least once."""
        lags = {}
        for group, *_ in await self._admin.list_consumer_groups():
            committed = await self._admin.list_consumer_group_offsets(group)
            topics = sorted({tp.topic for tp in committed if tp.topic.startswith(self._prefix)})
            if not topics:
                continue
            partitions = [
                TopicPartition(description["topic"], p["partition"])
                for description in await self._admin.describe_topics(topics)
                for p in description["partitions"]
            ]
            ends = await self._reader.end_offsets(partitions)
            # A partition the group never committed on counts from 0 (offset -1 means "none").
            lags[group] = sum(end - max(committed[tp].offset if tp in committed else 0, 0) for tp, end in ends.items())
        return lags

    async def wait_until_caught_up(
        self, groups: frozenset[str], pending: Callable[[], Awaitable[int]], timeout: float = 120
    ) -> bool:
        """Wait until nothing is left in outboxes and `groups` have consumed everything (False on timeout).

        Outboxes are checked first: once they are empty, every event is on Kafka and counted by the lag.
        """
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if await pending() == 0:
                lags = await self.by_group()
                if all(lags.get(group, 0) == 0 for group in groups):
                    return True
            await asyncio.sleep(POLL_INTERVAL)
        return False
