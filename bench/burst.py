"""The window burst: the first morning of a submission window (第五条), when thousands of budget units send
their month's requirements within minutes. Every answer is counted, every accepted requirement is followed
into its county's review queue and its reviewers' inbox, and every consumer group's lag is sampled.

    make bench-burst                                     # = python -m bench.burst (100,000 from 5,000 accounts)
    make bench-burst BENCH_ARGS="--submissions 5000 --accounts 500 --keep-state"

Starts its own stack as `make bench` does (bench/run.py `bench_stack`: free ports, a throw-away folder, its
own databases and topics, a business clock inside the submission window, demo data, every service).

What it does, and the choices made:

- **Raw baseline, same run**: first the same `--submissions` from the same `--concurrency` clients through
  bench/baseline.py (plain asyncpg and aiokafka: insert with its outbox row, produce, consume, insert a
  receipt), on the same Kafka and PostgreSQL; the burst's accept rate is reported against it
  (`--no-baseline` skips it).
- **Accounts**: `--accounts` budget-unit submitters are written straight into the portal's `users` table
  by one INSERT … SELECT that copies the demo `submitter`'s row (its roles and its shared password hash),
  each at one of the 309 budget units of the region's 103 banners/counties (shared/orgtree.py), in turn.
  Their access tokens are minted by the bench with the stack's signing key, exactly as the portal's sign-in
  does (shared/auth.py `issue_access_token` over services/portal/domain.py `member_principal` of the row),
  but without a session id and with a day's lifetime, so that a long run's tokens do not expire half-way
  (a browser would refresh its 30-minute token). Sign-in is not what is measured: 5,000 argon2 checks
  would take minutes of the same two cores, and sign-in has its own rate limits.
- **Load**: `--concurrency` clients in a closed loop (each sends its next submission when the last one was
  answered) post `POST /gw/intake/api/requirements` to the portal, the way the web UI does (web/src/api.js:
  every service but the portal through its gateway). Submission i comes from account i mod `--accounts`,
  so each account's share is spread over the whole burst. The body is a small realistic requirement from
  REQUIREMENTS (category, title, description, module, urgency). Nothing is relaxed: the per-user limit is
  intake's own (FD_SUBMISSIONS_PER_MINUTE, 30 in fixed 60 s windows; services/intake/bootstrap.py), unlike
  `make bench`, which raises it because one account submits everything there. Answers are counted by
  status: 201; 429 (the per-user limit: allowed, counted apart); any other 4xx; 5xx (must be 0); and
  transport errors (no answer within 60 s; must be 0 as well). Accept latency is the time of each 201.
- **Lag**: every `--sample-interval` s, from the first request until the pipeline is empty, each consumer
  group's lag (end offsets minus committed offsets, summed over the partitions of the topics it commits on;
  bench/measure.py `KafkaLag`) and each service's outbox (rows not yet on Kafka) are sampled. Reported: each
  group's largest lag, when it was seen, and when the group was back at 0 for good.
- **Drain**: after the last answer, review's database is polled (every `--poll-interval` s, until
  `--drain-timeout`) until every accepted requirement is an open county-level case of its own county
  (`review_cases.current_level = 'county'` and `current_division` the unit's county: what a county reviewer's
  `GET /gw/review/api/review-tasks` reads), and notify's until each county's reviewers' inbox
  (`notifications.recipient = 'role:fb-<county>:reviewer'`) holds as many of the burst's tickets as the
  county had accepted. Drain time = last accept → the poll that found everything (within one poll period).
  Then one `GET /gw/review/api/review-tasks` as the demo reviewer `county` (新城区) checks the queue through
  the API. Pipeline empty = every sampled group at lag 0 and every outbox empty.
- **Also recorded**: each service's resident memory before and after (bench/run.py `memory`), the CPU
  seconds each service, the bench itself and the whole machine spent during the run (what limits it on two
  cores), the machine (bench/run.py `machine`).

Prints a progress line while submitting and draining, then a table, and writes
bench/results/burst-<UTC>.json. docs/performance.md has the runs ("The window burst").
"""

import argparse
import asyncio
import json
import logging
import math
import resource
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from bench.baseline import Baseline
from bench.measure import KafkaLag, measure, percentile
from bench.run import RESULTS, bench_stack, cpu_seconds, machine, memory, progress
from infra.launcher import ROOT, SERVICES, ServiceProcess, Stack
from services.portal.domain import member_principal
from shared.auth import KeySet, issue_access_token
from shared.orgtree import Organisation, demo_organisations, divisions, org_path
from shared.settings import Settings

# The accounts' tokens live this long (see the module docstring): longer than any run.
TOKEN_MINUTES = 24 * 60
# Intake's per-user submission limit counts in fixed windows of this many seconds (services/intake/bootstrap.py).
LIMIT_WINDOW_SECONDS = 60
SUBMIT_PATH = "/gw/intake/api/requirements"
# The demo reviewer whose queue is read through the API at the end: 新城区 (150102) finance bureau.
REVIEWER = ("county", "150102")
# category, title, description, module: what budget units send at the start of a month.
REQUIREMENTS = (
    (
        "optimisation",
        "指标查询增加导出功能",
        "在指标查询界面增加按资金性质筛选和导出 Excel 的功能，便于月末核对。",
        "指标管理",
    ),
    (
        "new",
        "新增政府采购合同备案提醒",
        "合同签订后十个工作日内未备案的，系统在首页提醒经办人和单位管理员。",
        "政府采购",
    ),
    ("report", "增加项目支出进度月报", "按项目汇总当月及累计支出进度，与预算批复数对比，可按科目下钻。", "预算执行"),
    (
        "optimisation",
        "用款计划审批页面显示附件",
        "审批用款计划时在同一页面预览附件，不必下载后再打开核对。",
        "国库支付",
    ),
    ("new", "工资代发明细导入校验", "导入工资代发明细时校验身份证号和银行账号格式，错误行标红并可导出。", "工资统发"),
    ("report", "资产卡片按使用部门统计", "按使用部门统计资产卡片的数量和原值，支持按资产分类筛选并导出。", "资产管理"),
)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--submissions", type=int, default=100_000, help="requirements submitted in the burst")
    parser.add_argument("--accounts", type=int, default=5_000, help="budget-unit submitter accounts")
    parser.add_argument("--concurrency", type=int, default=32, help="clients submitting at once (closed loop)")
    parser.add_argument("--sample-interval", type=float, default=1.0, help="seconds between lag samples")
    parser.add_argument("--poll-interval", type=float, default=1.0, help="seconds between drain polls")
    parser.add_argument(
        "--drain-timeout", type=float, default=1800, help="seconds after the last answer to wait for the drain"
    )
    parser.add_argument(
        "--no-baseline", dest="baseline", action="store_false", help="skip the raw baseline's run of the same burst"
    )
    parser.add_argument("--keep-state", action="store_true", help="keep the stack's folder (data and logs)")
    args = parser.parse_args()
    if min(args.submissions, args.accounts, args.concurrency) < 1:
        parser.error("--submissions, --accounts and --concurrency: at least 1")
    return args


# --- the accounts --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Account:
    user_id: str
    username: str
    county: str
    headers: dict[str, str]


def county_units() -> list[Organisation]:
    """The demo budget units of every banner/county, in code order."""
    return sorted(
        (o for o in demo_organisations() if o.kind == "budget_unit" and divisions()[o.division_code].level == "county"),
        key=lambda o: o.id,
    )


COPY_SUBMITTER = """
INSERT INTO users (id, username, name, org, org_path, roles, password_hash, vendor_id, active)
SELECT a.id, a.username, a.name, a.org, ARRAY(SELECT jsonb_array_elements_text(a.org_path)),
       t.roles, t.password_hash, NULL, true
FROM jsonb_to_recordset($1::jsonb) AS a(id text, username text, name text, org jsonb, org_path jsonb),
     users t
WHERE t.username = 'submitter'
"""
USER_ROWS = "SELECT id, username, name, org, org_path, roles, vendor_id FROM users WHERE username = ANY($1::text[])"


async def create_accounts(stack: Stack, count: int) -> list[Account]:
    """`count` submitters at the county units in turn, in one statement; then a token for each."""
    units = county_units()
    accounts = []
    for n in range(count):
        unit = units[n % len(units)]
        accounts.append({"id": f"u-burst-{n:05d}", "username": f"burst{n:05d}", "name": f"录入员{n:05d}",
                         "org": unit.to_dict(), "org_path": org_path(unit)})  # fmt: skip
    conn = await asyncpg.connect(stack.database_url("portal"))
    try:
        await conn.execute(COPY_SUBMITTER, json.dumps(accounts, ensure_ascii=False))
        rows = await conn.fetch(USER_ROWS, [a["username"] for a in accounts])
    finally:
        await conn.close()
    if len(rows) != count:
        raise RuntimeError(f"{len(rows)} of {count} accounts were created")
    keys = KeySet(stack.state_dir / "keys")
    by_name = {row["username"]: row for row in rows}
    return [mint(keys, by_name[a["username"]]) for a in accounts]


def mint(keys: KeySet, row: asyncpg.Record) -> Account:
    """An access token for a user row, signed as the portal's sign-in signs it."""
    user = {**dict(row), "org": json.loads(row["org"]) if isinstance(row["org"], str) else row["org"]}
    token = issue_access_token(keys, member_principal(user), TOKEN_MINUTES)
    return Account(row["id"], row["username"], user["org_path"][2], {"authorization": f"Bearer {token}"})


async def reviewer_account(stack: Stack) -> Account:
    conn = await asyncpg.connect(stack.database_url("portal"))
    try:
        row = (await conn.fetch(USER_ROWS, [REVIEWER[0]]))[0]
    finally:
        await conn.close()
    return mint(KeySet(stack.state_dir / "keys"), row)


# --- the burst -----------------------------------------------------------------------------------------------


@dataclass
class Burst:
    """What the clients saw: answers by status, the accepted tickets' counties, accept latencies."""

    total: int
    started: float = 0.0  # wall clock, the first request
    last_answer: float = 0.0
    last_accept: float = 0.0
    statuses: Counter = field(default_factory=Counter)
    transport_errors: int = 0
    accepted: dict[str, str] = field(default_factory=dict)  # ticket id → its county
    accept_ms: list[float] = field(default_factory=list)
    examples: dict[str, str] = field(default_factory=dict)  # the first answer of each kind other than 201

    @property
    def answered(self) -> int:
        return sum(self.statuses.values()) + self.transport_errors

    def summary(self) -> str:
        other_4xx = sum(n for code, n in self.statuses.items() if 400 <= code < 500 and code != 429)
        server = sum(n for code, n in self.statuses.items() if code >= 500)
        return (
            f"201 {self.statuses[201]:,}  429 {self.statuses[429]:,}  4xx {other_4xx:,}  5xx {server:,}"
            f"  no answer {self.transport_errors:,}"
        )


def requirement(n: int) -> dict[str, str]:
    category, title, description, module = REQUIREMENTS[n % len(REQUIREMENTS)]
    return {"category": category, "title": f"{title}（{n}）", "description": description, "module": module,
            "urgency": "urgent" if n % 10 == 0 else "normal"}  # fmt: skip


async def submit_all(http: httpx.AsyncClient, accounts: list[Account], burst: Burst, concurrency: int) -> None:
    indices = iter(range(burst.total))  # shared: together the clients send exactly `total`

    async def client() -> None:
        for n in indices:
            account = accounts[n % len(accounts)]
            sent = time.perf_counter()
            try:
                response = await http.post(SUBMIT_PATH, json=requirement(n), headers=account.headers)
            except httpx.HTTPError as error:
                # How long it took tells a stale kept-alive connection (at once) from a timeout (60 s).
                burst.transport_errors += 1
                burst.examples.setdefault("no answer", f"{error!r} after {time.perf_counter() - sent:.3f} s")
                continue
            finally:
                burst.last_answer = time.time()
            status = response.status_code
            burst.statuses[status] += 1
            if status == 201:
                burst.accept_ms.append((time.perf_counter() - sent) * 1000)
                burst.accepted[response.json()["id"]] = account.county
                burst.last_accept = burst.last_answer
            else:
                burst.examples.setdefault(str(status), response.text[:300])

    await asyncio.gather(*(client() for _ in range(concurrency)))


# --- lag, outboxes and the drain -----------------------------------------------------------------------------


class Databases:
    """One small pool per service database, with the service's own role (read by the bench only)."""

    def __init__(self, stack: Stack) -> None:
        self._stack = stack
        self._pools: dict[str, asyncpg.Pool] = {}

    async def pool(self, service: str) -> asyncpg.Pool:
        if service not in self._pools:
            self._pools[service] = await asyncpg.create_pool(self._stack.database_url(service), min_size=1, max_size=2)
        return self._pools[service]

    async def outboxes(self) -> dict[str, int]:
        """Events each service has written but not yet handed to Kafka."""
        return {name: await (await self.pool(name)).fetchval("SELECT count(*) FROM outbox") for name in SERVICES}

    async def close(self) -> None:
        for pool in self._pools.values():
            await pool.close()


@dataclass
class Sample:
    at: float  # seconds since the first request
    accepted: int
    lag: dict[str, int]
    outbox: dict[str, int]

    @property
    def empty(self) -> bool:
        return not any(self.lag.values()) and not any(self.outbox.values())


async def sample_until(
    lag: KafkaLag, dbs: Databases, burst: Burst, interval: float, stop: asyncio.Event, samples: list[Sample]
) -> None:
    """A sample every `interval` s until `stop` is set (the caller sets it once the pipeline is empty)."""
    while not stop.is_set():
        started = time.monotonic()
        samples.append(
            Sample(time.time() - burst.started, len(burst.accepted), await lag.by_group(), await dbs.outboxes())
        )
        try:
            await asyncio.wait_for(stop.wait(), max(0.0, interval - (time.monotonic() - started)))
        except TimeoutError:
            pass


def group_lags(samples: list[Sample], last_accept_at: float) -> dict[str, dict[str, float | int | None]]:
    """Per consumer group: its largest lag, when (s since the first request), and when it was back at 0 for
    good, since the first request and since the last accept (None: it never was, within the run)."""
    groups = sorted({group for sample in samples for group in sample.lag})
    result = {}
    for group in groups:
        lags = [(s.at, s.lag.get(group, 0)) for s in samples]
        peak_at, peak = max(lags, key=lambda pair: pair[1])
        behind = [i for i, (_, value) in enumerate(lags) if value]
        back_at = None if not behind else lags[behind[-1] + 1][0] if behind[-1] + 1 < len(lags) else None
        result[group] = {
            "max_lag": peak,
            "max_at_s": round(peak_at, 1),
            "back_to_0_at_s": None if back_at is None else round(back_at, 1),
            "back_to_0_after_last_accept_s": None if back_at is None else round(back_at - last_accept_at, 1),
        }
    return result


STORED = "SELECT count(*) FROM requirements WHERE submitter_id = ANY($1::text[]) AND status = 'submitted'"
OPEN_CASES = "SELECT id, current_level, current_division FROM review_cases WHERE id = ANY($1::text[])"
INBOXES = (
    "SELECT recipient, count(DISTINCT ticket_id) AS tickets FROM notifications"
    " WHERE recipient = ANY($1::text[]) AND created_at >= $2 GROUP BY recipient"
)


def inbox_of(county: str) -> str:
    """The inbox of a county finance bureau's reviewers (a role at an organisation, services/notify)."""
    return f"role:fb-{county}:reviewer"


@dataclass
class Drain:
    in_queue: int = 0
    notified: int = 0  # accepted tickets counted in their county reviewers' inboxes
    queues_done_s: float | None = None  # after the last accept
    inboxes_done_s: float | None = None
    misplaced: dict[str, str] = field(default_factory=dict)  # ticket → where it is instead (at the end)
    polls: int = 0


async def drain(dbs: Databases, burst: Burst, interval: float, timeout: float) -> Drain:
    """Poll review's and notify's databases until every accepted requirement is in its county's queue and
    counted in its reviewers' inbox, or `timeout` s after the last answer."""
    state = Drain()
    waiting = dict(burst.accepted)  # not yet found in its county's queue
    expected = Counter(burst.accepted.values())
    inboxes = [inbox_of(county) for county in expected]
    since = datetime.fromtimestamp(burst.started - 1, UTC)
    deadline = time.monotonic() + timeout
    started = time.monotonic()
    while True:
        state.polls += 1
        if waiting:
            for row in await (await dbs.pool("review")).fetch(OPEN_CASES, list(waiting)):
                if row["current_level"] == "county" and row["current_division"] == waiting[row["id"]]:
                    del waiting[row["id"]]
                else:
                    state.misplaced[row["id"]] = f"{row['current_level']}/{row['current_division']}"
            state.in_queue = len(burst.accepted) - len(waiting)
            state.misplaced = {k: v for k, v in state.misplaced.items() if k in waiting}
            if not waiting:
                state.queues_done_s = round(time.time() - burst.last_accept, 1)
        if state.inboxes_done_s is None:
            counts = {
                row["recipient"]: row["tickets"]
                for row in await (await dbs.pool("notify")).fetch(INBOXES, inboxes, since)
            }
            state.notified = sum(min(counts.get(inbox_of(c), 0), n) for c, n in expected.items())
            if state.notified == len(burst.accepted):
                state.inboxes_done_s = round(time.time() - burst.last_accept, 1)
        total = len(burst.accepted)
        done = min(state.in_queue, state.notified)  # the bar ends once both are complete
        progress("drain", done, total, started, f"in county queues {state.in_queue:,}  in inboxes {state.notified:,}")
        if (not waiting and state.inboxes_done_s is not None) or time.monotonic() > deadline:
            if done < total:
                progress("drain", total, total, started, "(timed out)")
            return state
        await asyncio.sleep(interval)


async def wait_until_empty(samples: list[Sample], deadline: float, interval: float) -> bool:
    """Until the sampler has seen every group at lag 0 and every outbox empty (after the drain), with a
    progress line of what is left (events not yet consumed, summed over the groups, and not yet relayed)."""
    seen, started = len(samples), time.monotonic()
    first = None
    while time.monotonic() < deadline:
        latest = samples[-1] if samples else None
        if latest is not None:
            left = sum(latest.lag.values()) + sum(latest.outbox.values())
            first = first or max(left, 1)
            behind = ", ".join(f"{group} {lag:,}" for group, lag in sorted(latest.lag.items()) if lag)
            progress("pipeline: events left", first - min(left, first), first, started, behind)
            if len(samples) > seen and latest.empty:
                return True
        await asyncio.sleep(interval)
    return False


# --- the run -------------------------------------------------------------------------------------------------


def machine_cpu() -> tuple[int, int]:
    """(busy, total) jiffies of the whole machine so far (/proc/stat): every core, every process."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + values[4]  # idle and iowait
    return sum(values) - idle, sum(values)


def own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def show_progress(burst: Burst, stop: asyncio.Event) -> None:
    started = time.monotonic()
    while not stop.is_set():
        elapsed = time.time() - burst.started if burst.started else 0
        rate = len(burst.accepted) / elapsed if elapsed > 0 else 0
        progress("submitting", burst.answered, burst.total, started, f"{rate:5.1f} accepted/s  {burst.summary()}")
        try:
            await asyncio.wait_for(stop.wait(), 1)
        except TimeoutError:
            pass
    progress("submitting", burst.total, burst.total, started, burst.summary())


async def raw_baseline(stack: Stack, args: argparse.Namespace) -> dict[str, Any] | None:
    """The same number of submissions from the same number of clients through the raw baseline
    (bench/baseline.py: plain asyncpg and aiokafka doing the same durable work: insert and outbox row, produce,
    consume, insert), on the same Kafka and PostgreSQL, before the burst: the floor its figures are divided by."""
    if not args.baseline:
        return None
    baseline = Baseline(
        stack.kafka_bootstrap,
        stack.admin_database_url,
        db_prefix=stack.db_prefix,
        topic=f"{stack.topic_prefix}.baseline",
        log_path=stack.state_dir / "logs" / "baseline-consumer.log",
    )
    print(f"raw baseline: {args.submissions:,} submissions from {args.concurrency} clients")
    try:
        await baseline.start()
        result = await measure(baseline, args.concurrency, args.submissions, args.drain_timeout, args.poll_interval)
    finally:
        await baseline.close()
    return {
        "accepted": result.accepted,
        "completed": result.completed,
        "accepted_per_s": result.accepted_per_s,
        "accept_seconds": result.accept_seconds,
        "drained_s_after_last_accept": round(result.complete_seconds - result.accept_seconds, 1),
        "end_to_end_ms": {"p50": result.p50_ms, "p95": result.p95_ms, "p99": result.p99_ms},
    }


async def bench(stack: Stack, services: dict[str, ServiceProcess], args: argparse.Namespace) -> dict[str, Any]:
    baseline = await raw_baseline(stack, args)
    limit = Settings(service_name="intake").submissions_per_minute  # the services' environment is ours
    share = math.ceil(args.submissions / args.accounts)
    print(f"creating {args.accounts:,} accounts at {len(county_units())} county units; per-user limit {limit} a minute,"
          f" each account's share {share}")  # fmt: skip
    made = time.monotonic()
    accounts = await create_accounts(stack, args.accounts)
    reviewer = await reviewer_account(stack)
    accounts_seconds = round(time.monotonic() - made, 1)
    print(f"  {len(accounts):,} accounts and tokens in {accounts_seconds} s")
    memory_before = memory(services)
    dbs = Databases(stack)
    burst = Burst(total=args.submissions)
    samples: list[Sample] = []
    stop_sampling, stop_progress = asyncio.Event(), asyncio.Event()
    background: list[asyncio.Task] = []  # the sampler and the progress line, cancelled if the run fails
    # Idle connections are dropped after 2 s, before uvicorn closes them (its keep-alive is 5 s): reusing a
    # connection the server is closing at that moment fails the request with no answer (as the portal's
    # gateway does towards the services).
    http = httpx.AsyncClient(
        base_url=services["portal"].url,
        timeout=60,
        limits=httpx.Limits(max_connections=args.concurrency, keepalive_expiry=2.0),
    )
    try:
        async with KafkaLag(stack.kafka_bootstrap, stack.topic_prefix) as lag:
            cpu_before, own_before, machine_before = cpu_seconds(services), own_cpu(), machine_cpu()
            burst.started = time.time()
            sampler = asyncio.create_task(sample_until(lag, dbs, burst, args.sample_interval, stop_sampling, samples))
            shown = asyncio.create_task(show_progress(burst, stop_progress))
            background += [sampler, shown]
            await submit_all(http, accounts, burst, args.concurrency)
            stop_progress.set()
            await shown
            cpu_burst, own_burst, machine_burst = cpu_seconds(services), own_cpu(), machine_cpu()
            last_accept = burst.last_accept or burst.last_answer
            burst.last_accept = last_accept
            drained = await drain(dbs, burst, args.poll_interval, args.drain_timeout)
            deadline = time.monotonic() + max(0.0, args.drain_timeout - (time.time() - last_accept))
            empty = await wait_until_empty(samples, deadline, args.sample_interval)
            pipeline_empty_s = round(time.time() - last_accept, 1) if empty else None
            stop_sampling.set()
            await sampler
            cpu_after, own_after, machine_after = cpu_seconds(services), own_cpu(), machine_cpu()
        # Whether a request that got no answer was stored all the same (a client would submit it again).
        stored = await (await dbs.pool("intake")).fetchval(STORED, [a.user_id for a in accounts])
        queue = await http.get("/gw/review/api/review-tasks", params={"limit": 500}, headers=reviewer.headers)
        own_county = sum(1 for county in burst.accepted.values() if county == REVIEWER[1])
        tasks = queue.json() if queue.status_code == 200 else []
        seen = sum(1 for task in tasks if task.get("_id") in burst.accepted)  # a case's id is its ticket's
    finally:
        for task in background:
            task.cancel()
        await asyncio.gather(*background, return_exceptions=True)
        await http.aclose()
        await dbs.close()
    burst_seconds = last_accept - burst.started
    other_4xx = {str(c): n for c, n in sorted(burst.statuses.items()) if 400 <= c < 500 and c != 429}
    server = {str(c): n for c, n in sorted(burst.statuses.items()) if c >= 500}
    accepted_per_s = round(len(burst.accepted) / burst_seconds, 1) if burst_seconds > 0 else 0.0
    return {
        "baseline": baseline,
        "ratio_to_baseline": {
            "accepted_per_s": round(accepted_per_s / baseline["accepted_per_s"], 3) if baseline else None,
        },
        "per_user_limit": {"requests": limit, "window_seconds": LIMIT_WINDOW_SECONDS, "share_per_account": share},
        "accounts_seconds": accounts_seconds,
        "counties": len(set(a.county for a in accounts)),
        "answers": {
            "201": burst.statuses[201],
            "429": burst.statuses[429],
            "other_4xx": other_4xx,
            "5xx": server,
            "no_answer": burst.transport_errors,
            "stored_by_intake": stored,
            "examples": burst.examples,
        },
        "burst_seconds": round(burst_seconds, 1),
        "accepted_per_s": accepted_per_s,
        "answered_per_s": round(burst.answered / (burst.last_answer - burst.started), 1),
        "accept_latency_ms": {f"p{p}": round(percentile(burst.accept_ms, p) or 0.0, 1) for p in (50, 95, 99)}
        | {"max": round(max(burst.accept_ms, default=0.0), 1)},
        "drain": {
            "accepted": len(burst.accepted),
            "in_county_queues": drained.in_queue,
            "in_reviewers_inboxes": drained.notified,
            "queues_s_after_last_accept": drained.queues_done_s,
            "inboxes_s_after_last_accept": drained.inboxes_done_s,
            "pipeline_empty_s_after_last_accept": pipeline_empty_s,
            "poll_interval_s": args.poll_interval,
            "not_in_their_queue": dict(list(drained.misplaced.items())[:20]),
        },
        "reviewer_api_check": {
            "user": REVIEWER[0],
            "status": queue.status_code,
            "accepted_in_county": own_county,
            "seen_in_first_500": seen,
            "ok": seen == min(own_county, 500),
        },
        "consumer_groups": group_lags(samples, last_accept - burst.started),
        "max_outbox": {name: max((s.outbox.get(name, 0) for s in samples), default=0) for name in SERVICES},
        "cpu_seconds": {
            "burst": _cpu(cpu_before, cpu_burst, own_before, own_burst, machine_before, machine_burst),
            "drain": _cpu(cpu_burst, cpu_after, own_burst, own_after, machine_burst, machine_after),
        },
        "memory_mb_before": memory_before,
        "memory_mb_after": memory(services),
        "samples": [
            {"at_s": round(s.at, 1), "accepted": s.accepted, "lag": s.lag, "outbox": s.outbox} for s in samples
        ],
    }


def _cpu(
    before: dict[str, float], after: dict[str, float], own_before: float, own_after: float,
    machine_before: tuple[int, int], machine_after: tuple[int, int],
) -> dict[str, Any]:  # fmt: skip
    busy, total = (
        after_value - before_value for after_value, before_value in zip(machine_after, machine_before, strict=True)
    )
    return {
        "services": {name: round(after[name] - before[name], 1) for name in after},
        "bench": round(own_after - own_before, 1),
        "machine_busy_percent": round(100 * busy / total, 1) if total else None,
    }


def print_table(report: dict[str, Any], args: argparse.Namespace) -> None:
    answers, drain_, latency = report["answers"], report["drain"], report["accept_latency_ms"]
    print(f"\nwindow burst: {args.submissions:,} submissions from {args.accounts:,} accounts in {report['counties']}"
          f" counties, {args.concurrency} clients, {SUBMIT_PATH}")  # fmt: skip
    other, server = sum(answers["other_4xx"].values()), sum(answers["5xx"].values())
    print(f"  answers                 201 {answers['201']:,}  429 {answers['429']:,}  other 4xx {other:,}"
          f"  5xx {server:,}  no answer {answers['no_answer']:,}")  # fmt: skip
    print(f"  stored by intake        {answers['stored_by_intake']:,} submitted requirements of the burst's accounts")
    for kind, text in answers["examples"].items():
        print(f"    first {kind}: {text[:160]}")
    limit = report["per_user_limit"]
    print(f"  per-user limit          {limit['requests']} per {limit['window_seconds']} s; each account's share"
          f" {limit['share_per_account']}")  # fmt: skip
    print(f"  burst                   {report['burst_seconds']:,} s, {report['accepted_per_s']} accepted/s")
    if base := report["baseline"]:
        print(f"  raw baseline            {base['accept_seconds']:,} s, {base['accepted_per_s']} accepted/s"
              f" (ratio {report['ratio_to_baseline']['accepted_per_s']}); all consumed"
              f" {_s(base['drained_s_after_last_accept'])} after its last accept")  # fmt: skip
    print(f"  accept latency ms       p50 {latency['p50']}  p95 {latency['p95']}  p99 {latency['p99']}"
          f"  max {latency['max']}")  # fmt: skip
    print(f"  in county queues        {drain_['in_county_queues']:,}/{drain_['accepted']:,},"
          f" {_s(drain_['queues_s_after_last_accept'])} after the last accept")  # fmt: skip
    print(f"  in reviewers' inboxes   {drain_['in_reviewers_inboxes']:,}/{drain_['accepted']:,},"
          f" {_s(drain_['inboxes_s_after_last_accept'])} after the last accept")  # fmt: skip
    print(f"  pipeline empty          {_s(drain_['pipeline_empty_s_after_last_accept'])} after the last accept")
    check = report["reviewer_api_check"]
    who = f"reviewer '{check['user']}' sees"
    print(f"  {who:<24}{check['seen_in_first_500']} of {check['accepted_in_county']} (first 500) through"
          f" GET /gw/review/api/review-tasks: {'ok' if check['ok'] else 'NOT OK'}")  # fmt: skip
    print(f"\n  {'consumer group':<34}{'max lag':>9}{'at s':>8}{'back to 0 at s':>16}{'after last accept':>19}")
    for group, figures in report["consumer_groups"].items():
        print(f"  {group:<34}{figures['max_lag']:>9,}{figures['max_at_s']:>8}{_s(figures['back_to_0_at_s']):>16}"
              f"{_s(figures['back_to_0_after_last_accept_s']):>19}")  # fmt: skip
    print(f"  largest outbox: {', '.join(f'{k} {v:,}' for k, v in report['max_outbox'].items())}")
    for phase, cpu in report["cpu_seconds"].items():
        services = ", ".join(f"{k} {v}" for k, v in cpu["services"].items())
        busy = cpu["machine_busy_percent"]
        print(f"  CPU s during the {phase}: {services}, bench {cpu['bench']}; machine busy {busy} %")
    print(f"  memory MB after: {', '.join(f'{k} {v}' for k, v in report['memory_mb_after'].items())}")


def _s(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds:g} s"


def main() -> None:
    args = parse_args()
    logging.getLogger("aiokafka").setLevel(logging.ERROR)  # rebalance chatter is not a result
    started = datetime.now(UTC)
    at_start = machine()
    if at_start["load_average_1_5_15"][0] > at_start["nproc"] / 2:
        print(f"warning: load average {at_start['load_average_1_5_15']} before the bench: the figures will be noisy")
    with bench_stack("burst", keep_state=args.keep_state) as (stack, services):
        report = asyncio.run(bench(stack, services, args))
        print_table(report, args)
        RESULTS.mkdir(parents=True, exist_ok=True)
        path = RESULTS / f"burst-{started:%Y%m%dT%H%M%SZ}.json"
        document = {
            "started_at": started.isoformat(), "finished_at": datetime.now(UTC).isoformat(),
            "machine_at_start": at_start, "machine_at_end": machine(), "args": vars(args), **report,
        }  # fmt: skip
        path.write_text(json.dumps(document, ensure_ascii=False, indent=2) + "\n")
        print(f"results: {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
