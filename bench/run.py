"""Throughput and end-to-end latency of the walking skeleton against a raw asyncpg + aiokafka baseline.

    make bench                                   # = python -m bench.run
    make bench BENCH_ARGS="--loads 1,8 --submissions 100 --keep-state"
    make bench BENCH_ARGS="--review-instances 1,2"  # every load with one review instance, then with two
    make bench BENCH_ARGS="--loads 32 --paced 0.5 --submissions 300"  # the peak, then half of it

Starts its own stack as the tests do (free ports, a throw-away folder, its own database and topic
prefix), runs every load against the baseline and then fiscaldesk on the same Kafka and PostgreSQL,
prints a table per load and writes bench/results/<UTC timestamp>.json. See docs/performance.md.

The loads are closed loops (`--loads`: N submitters, each sending again as soon as it is answered), which
find each system's peak accept rate. Then, for each `--paced` fraction, an open loop sends the same number of
submissions at that fraction of the system's own peak of this run (submission i at i / rate s), which is
where latency means what a user waits rather than a queue the bench itself built.
"""

import argparse
import asyncio
import json
import logging
import os
import platform
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import uuid4

from bench.baseline import Baseline
from bench.measure import KafkaLag, System, measure
from bench.skeleton import Skeleton
from infra.launcher import ROOT, SERVICES, Ports, ServiceProcess, Stack

RESULTS = ROOT / "bench" / "results"
# As the test stack does (conftest.py): the services' business clock starts inside a submission window
# (第五条, the first working days of a month), so intake accepts submissions whatever day the bench runs.
WINDOW_OPEN = "2026-12-01T10:00:00+08:00"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--loads", default="1,4,16", help="concurrent submitters per run, comma-separated")
    parser.add_argument("--submissions", type=int, default=100, help="submissions per run (all submitters)")
    parser.add_argument("--warmup", type=int, default=10, help="unmeasured submissions per system first")
    parser.add_argument(
        "--poll-interval", type=float, default=0.1, help="seconds between completion polls (precision vs. load)"
    )
    parser.add_argument("--timeout", type=float, default=180, help="seconds to wait for completions after a load")
    parser.add_argument(
        "--paced",
        default="0.5",
        help="fractions of each system's peak accept rate to send at in an open loop after the loads, "
        "comma-separated ('' for none)",
    )
    parser.add_argument("--keep-state", action="store_true", help="keep the stack's folder (data and logs)")
    parser.add_argument(
        "--review-instances",
        default="1",
        help="review instances per round, comma-separated and rising (1,2: every load with one, then with two)",
    )
    args = parser.parse_args()
    args.loads = [int(load) for load in args.loads.split(",")]
    args.review_instances = [int(count) for count in args.review_instances.split(",")]
    args.paced = [float(fraction) for fraction in args.paced.split(",") if fraction.strip()]
    if any(not 0 < fraction <= 1 for fraction in args.paced):
        parser.error("--paced: fractions above 0 and at most 1 (of the peak accept rate the loads found)")
    if args.review_instances != sorted(args.review_instances) or args.review_instances[0] < 1:
        parser.error("--review-instances: counts of at least 1, rising (instances are added, never stopped)")
    return args


async def warm_up(system: System, count: int, timeout: float) -> None:
    """Unmeasured flows first: connections are opened, consumer groups have joined, code paths are warm."""
    result = await measure(system, 1, count, timeout, poll_interval=0.5)
    if result.completed < count:
        raise RuntimeError(f"{system.name} warm-up: {result.completed}/{count} completed ({result.first_error})")


async def bench(stack: Stack, services: dict[str, ServiceProcess], args: argparse.Namespace) -> dict[str, Any]:
    """Every load against the baseline, then every load against fiscaldesk.

    The baseline goes first, while nothing else is in flight: each fiscaldesk run leaves the portal's
    read model and audit trail behind (reported as `behind_after`), and their catching up would slow
    down a baseline run that came after it. fiscaldesk's later loads do pay for the earlier ones' backlog,
    as a real deployment under sustained load would.
    """
    skeleton = Skeleton(stack, services)
    baseline = Baseline(
        stack.kafka_bootstrap,
        stack.admin_database_url,
        db_prefix=stack.db_prefix,
        topic=f"{stack.topic_prefix}.baseline",
        log_path=stack.state_dir / "logs" / "baseline-consumer.log",
    )
    baseline_runs: list[dict[str, Any]] = []
    rounds: list[dict[str, Any]] = []
    try:
        async with KafkaLag(stack.kafka_bootstrap, stack.topic_prefix) as lag:
            await baseline.start()
            await warm_up(baseline, args.warmup, args.timeout)
            baseline_runs = [await run_one(baseline, load, lag, args) for load in args.loads]
            baseline_paced = await run_paced(baseline, baseline_runs, lag, args)
            await skeleton.start()
            for count in args.review_instances:
                # More review instances join the same consumer group: the requirements topic's partitions
                # are shared among them (shared/topics.py SPECS), so each takes a part of the submissions.
                await asyncio.to_thread(add_review_instances, stack, services, count)
                await warm_up(skeleton, args.warmup, args.timeout)
                ours = [await run_one(skeleton, load, lag, args) for load in args.loads]
                ours_paced = await run_paced(skeleton, ours, lag, args)
                rounds.append(
                    {
                        "review_instances": count,
                        "loads": combine({"baseline": baseline_runs, "fiscaldesk": ours}),
                        "paced": combine({"baseline": baseline_paced, "fiscaldesk": ours_paced}, args.paced),
                    }
                )
        visible = await skeleton.visible_to_reviewer(skeleton.last_ticket_id or "")
    finally:
        for system in (baseline, skeleton):
            await system.close()
    return {"reviewer_sees_last_ticket": visible, "rounds": rounds}


def add_review_instances(stack: Stack, services: dict[str, ServiceProcess], count: int) -> None:
    """Start review instances until `count` run (the first is the one every service has)."""
    for instance in range(1, count):
        label = f"review-{instance + 1}"
        if label not in services:
            services[label] = ServiceProcess("review", stack, instance=instance)
            services[label].start()
            services[label].wait_ready()


async def run_paced(
    system: System, loads: list[dict[str, Any]], lag: KafkaLag, args: argparse.Namespace
) -> list[dict[str, Any]]:
    """An open-loop run at each `--paced` fraction of the highest accept rate `loads` reached."""
    peak = max((run["accepted_per_s"] for run in loads), default=0.0)
    return [await run_one(system, 0, lag, args, rate=fraction * peak) for fraction in args.paced if peak]


async def run_one(
    system: System, load: int, lag: KafkaLag, args: argparse.Namespace, rate: float | None = None
) -> dict[str, Any]:
    """One measured run, started once the system's own consumers have caught up."""
    label = f"{load} submitters" if rate is None else f"{rate:.1f}/s"
    if not await lag.wait_until_caught_up(system.groups, system.pending):
        print(f"warning: {system.name}'s consumers had not caught up before the run at {label}", flush=True)
    system.stamps.clear()
    result = await measure(system, load, args.submissions, args.timeout, args.poll_interval, rate=rate)
    print(f"{system.name} at {label}: {result.completed}/{result.submitted} completed", flush=True)
    return {
        **asdict(result),
        "hops": await system.breakdown(),
        # Consumers still behind when the last flow completed: work the following runs compete with.
        "behind_after": {group: count for group, count in (await lag.by_group()).items() if count},
    }


def combine(runs: dict[str, list[dict[str, Any]]], fractions: list[float] | None = None) -> list[dict[str, Any]]:
    """Per load (or per `fractions` of the peak, for open loops): both systems side by side and the ratio
    fiscaldesk / baseline of every figure."""
    rows = []
    for index, (ours, base) in enumerate(zip(runs["fiscaldesk"], runs["baseline"], strict=True)):
        ratios = {field: ratio(ours[field], base[field]) for field, _ in FIGURES}
        row = {"concurrency": ours["concurrency"], "fiscaldesk": ours, "baseline": base, "ratio": ratios}
        if fractions is not None:
            row["fraction_of_peak"] = fractions[index]
        rows.append(row)
    return rows


def ratio(a: float | None, b: float | None) -> float | None:
    return round(a / b, 2) if a is not None and b else None


FIGURES = (
    ("accepted_per_s", "accepted /s"),
    ("completed_per_s", "end-to-end completed /s"),
    ("p50_ms", "latency p50 ms"),
    ("p95_ms", "latency p95 ms"),
    ("p99_ms", "latency p99 ms"),
    ("max_ms", "latency max ms"),
    ("accept_p50_ms", "accept p50 ms"),
    ("accept_p95_ms", "accept p95 ms"),
    ("accept_p99_ms", "accept p99 ms"),
)


def print_row(row: dict[str, Any]) -> None:
    ours, base = row["fiscaldesk"], row["baseline"]
    if "fraction_of_peak" in row:
        rates = f"fiscaldesk {ours['offered_per_s']:g}/s, baseline {base['offered_per_s']:g}/s"
        print(f"\nopen loop at {row['fraction_of_peak']:g} of each system's peak ({rates}): ", end="")
    else:
        print(f"\nconcurrency {row['concurrency']}: ", end="")
    print(f"{ours['submitted']} submissions per system")
    print(f"  {'':<24}{'fiscaldesk':>12}{'baseline':>12}{'ratio':>8}")
    for field, label in FIGURES:
        print(f"  {label:<24}{_cell(ours[field]):>12}{_cell(base[field]):>12}{_cell(row['ratio'][field]):>8}")
    for result in (ours, base):
        if result["completed"] < result["submitted"] or result["errors"]:
            done = f"{result['completed']}/{result['submitted']} completed"
            print(f"  {result['system']}: {done}, {result['errors']} errors; first: {result['first_error']}")
    periods = f"{_cell(ours['poll_period_p95_ms'])} / {_cell(base['poll_period_p95_ms'])} ms"
    print(f"  completion times are within half a poll period; poll period p95: {periods}")
    for result in (ours, base):
        print(f"  {result['system']} hops (p50 / p95 ms):")
        for span, values in result["hops"].items():
            print(f"    {span:<66}{_cell(values['p50_ms']):>9} /{_cell(values['p95_ms']):>9}")
    behind = ", ".join(f"{group} {count}" for group, count in ours["behind_after"].items()) or "none"
    print(f"  events not yet consumed when fiscaldesk's last flow completed: {behind}")


def _cell(value: float | None) -> str:
    return "-" if value is None else f"{value:g}"


def machine() -> dict[str, Any]:
    meminfo = Path("/proc/meminfo")
    total_kb = int(meminfo.read_text().split()[1]) if meminfo.exists() else 0
    return {
        "nproc": len(os.sched_getaffinity(0)),
        "memory_gib": round(total_kb / 2**20, 1),
        "python": platform.python_version(),
        "platform": platform.platform(),
        # Other work on the machine moves every figure: recorded so a reader can discount a noisy run.
        "load_average_1_5_15": [round(x, 2) for x in os.getloadavg()],
    }


def memory(services: dict[str, ServiceProcess]) -> dict[str, int]:
    """Each service's resident memory in MB."""
    found = {}
    for name, process in services.items():
        status = Path(f"/proc/{process.process.pid}/status").read_text() if process.process else ""
        kb = next((int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS:")), 0)
        found[name] = kb // 1024
    return found


def cpu_seconds(services: dict[str, ServiceProcess]) -> dict[str, float]:
    """CPU time (user + system) each service process has used since it started, in seconds."""
    tick = os.sysconf("SC_CLK_TCK")
    found = {}
    for name, process in services.items():
        stat = Path(f"/proc/{process.process.pid}/stat").read_text() if process.process else ""
        # Fields after the command name (which may hold spaces, hence the last ")"): utime is the 12th, stime the 13th.
        fields = stat.rpartition(")")[2].split()
        found[name] = round((int(fields[11]) + int(fields[12])) / tick, 1) if len(fields) > 12 else 0.0
    return found


def progress(label: str, done: int, total: int, started: float, extra: str = "") -> None:
    """One line, rewritten in place: a bar, `done`/`total`, the seconds since `started` (monotonic), `extra`."""
    width = 30
    filled = int(width * done / total) if total else width
    bar = "#" * filled + "." * (width - filled)
    line = f"\r  {label:<28}[{bar}] {done:>9,}/{total:,}  {time.monotonic() - started:6.1f} s  {extra}"
    sys.stdout.write(line.rstrip().ljust(160))  # longer than the line before: nothing of it is left
    sys.stdout.flush()
    if done >= total:
        sys.stdout.write("\n")


def write_json(started: datetime, machine_at_start: dict[str, Any], args: argparse.Namespace, report: dict) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{started:%Y%m%dT%H%M%SZ}.json"
    document = {
        "started_at": started.isoformat(),
        "finished_at": datetime.now(UTC).isoformat(),
        "machine_at_start": machine_at_start,
        "machine_at_end": machine(),
        "args": {k: v for k, v in vars(args).items() if k != "keep_state"},
        "latency": "fiscaldesk: intake's 201 received → the notification is found in notify's database; "
        "baseline: first insert returned → the receipt is found (bench/measure.py). ratio = fiscaldesk / baseline.",
        **report,
    }
    path.write_text(json.dumps(document, ensure_ascii=False, indent=2) + "\n")
    return path


def start_all(stack: Stack, services: dict[str, ServiceProcess]) -> None:
    """What `start_services` does, but into a dict the caller already holds, so that a service failing
    to start does not leave the others running: the caller's `finally` stops every one that started."""
    for name in SERVICES:
        services[name] = ServiceProcess(name, stack)
        services[name].start()
    for process in services.values():
        process.wait_ready()


@contextmanager
def bench_stack(name: str, *, keep_state: bool) -> Iterator[tuple[Stack, dict[str, ServiceProcess]]]:
    """A stack of the bench's own (free ports, a throw-away folder, databases and topics named `name` + a run
    id, keys, demo data, every service), stopped afterwards; its folder is kept when asked or on a failure."""
    run_id = uuid4().hex[:8]
    state_dir = Path(tempfile.mkdtemp(prefix=f"fiscaldesk-{name}-"))
    stack = Stack(
        state_dir=state_dir,
        ports=Ports.free(),
        db_prefix=f"{name}{run_id}",
        topic_prefix=f"{name}{run_id}",
        clock_start=WINDOW_OPEN,
    )
    services: dict[str, ServiceProcess] = {}
    finished = False
    try:
        stack.start_infra()
        stack.ensure_keys()
        stack.seed()
        start_all(stack, services)
        yield stack, services
        finished = True
    finally:
        for process in services.values():
            process.stop()
        stack.stop_infra()
        if finished and not keep_state:
            shutil.rmtree(state_dir, ignore_errors=True)
        else:
            print(f"stack data and logs kept in {state_dir}")


def main() -> None:
    args = parse_args()
    logging.getLogger("aiokafka").setLevel(logging.ERROR)  # rebalance chatter is not a result
    # One demo account stands for every submitter here; intake's per-user limit (30 a minute) would
    # answer 429 after 30 submissions. The limiter still runs on every request: only the ceiling moves.
    os.environ.setdefault("FD_SUBMISSIONS_PER_MINUTE", str(1_000_000))
    started = datetime.now(UTC)
    machine_at_start = machine()
    load_average = machine_at_start["load_average_1_5_15"]
    if load_average[0] > machine_at_start["nproc"] / 2:
        print(f"warning: load average {load_average} before the bench: other work will make the figures noisy")
    with bench_stack("bench", keep_state=args.keep_state) as (stack, services):
        report = asyncio.run(bench(stack, services, args))
        for round_ in report["rounds"]:
            print(f"\n== {round_['review_instances']} review instance(s)")
            for row in round_["loads"] + round_["paced"]:
                print_row(row)
        visible = report["reviewer_sees_last_ticket"]
        print(f"\nreviewer 'county' sees the last ticket through GET /api/notifications: {visible}")
        print(f"results: {write_json(started, machine_at_start, args, report).relative_to(ROOT)}")


if __name__ == "__main__":
    main()
