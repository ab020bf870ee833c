"""A region after a few years: a million tickets in every service's tables, then the reads people make all
day, timed through the portal (its own API, the others through its gateway) as the browser makes them.

    make bench-million                                   # = python -m bench.million
    make bench-million BENCH_ARGS="--tickets 200000 --requests 100 --keep-state"

Starts its own stack as `make bench` does (free ports, a throw-away folder, its own databases and topics,
demo data, every service). One requirement and one problem go through the real procedure first (the API,
Kafka, every consumer); their rows are the templates. The seed then copies them inside PostgreSQL
(INSERT … SELECT over generate_series, in batches, with a progress line), spread over the region's 103
banners/counties, units, categories, statuses and 24 months: requirements in intake, review and the portal
(with three timeline lines each), problems in intake, review's problem cases (then review's SLA counters,
rebuilt in one pass) and the portal. Then ANALYZE.

Each read is timed `--requests` times, one after another, as the demo user whose page makes it:

| read | request |
|---|---|
| a county review queue | `GET /gw/review/api/review-tasks` as `county` |
| a unit's ticket list | `GET /api/tickets` as `submitter` |
| a keyword search | `GET /api/tickets?q=…` as `itdiv` (the whole region) |
| one ticket's timeline | `GET /api/tickets/{id}/timeline` as `itdiv` |
| the IT division's dashboard | `GET /api/dashboard` as `itdiv` |
| the SLA board | `GET /gw/review/api/problem-ledger?status=open&limit=50`, `/api/problems-sla/open`, `…/figures` |

The raw baselines, in the same run: `GET /healthz` of the portal and of review through the gateway (the HTTP
floors: no token, no database), and an indexed lookup of one ticket with plain asyncpg (the database floor).
Each service's resident memory (VmRSS) is read before and after. The figures go to a table and to
bench/results/million-<UTC>.json; docs/performance.md has the runs.
"""

import argparse
import asyncio
import json
import os
import statistics
import time
from datetime import UTC, datetime
from typing import Any

import asyncpg
import httpx

from bench.measure import percentile
from bench.run import RESULTS, bench_stack, machine, memory, progress
from infra.launcher import ROOT, ServiceProcess, Stack
from services.portal.passwords import DEMO_PASSWORD
from shared.clock import Clock, clock_settings
from shared.orgtree import divisions

BATCH = 50_000
COUNTIES = sorted(code for code, division in divisions().items() if division.level == "county")
# Every 997th copy belongs to the demo unit (bu-150102-01) and its submitter, so `submitter`'s list is a
# unit's real share; the rest spread over the units of every county.
OWN_UNIT_EVERY = 997


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tickets", type=int, default=1_000_000, help="tickets to seed (2/3 requirements)")
    parser.add_argument("--requests", type=int, default=200, help="timed requests per read")
    parser.add_argument("--keep-state", action="store_true", help="keep the stack's folder (data and logs)")
    return parser.parse_args()


# --- the procedure once, for real: the templates -------------------------------------------------------------


class Client:
    """The browser's way in: the portal's sign-in, then every service through `/gw/<service>`."""

    def __init__(self, portal: str) -> None:
        self.portal = portal
        self.http = httpx.AsyncClient(base_url=portal, timeout=30)
        self.tokens: dict[str, str] = {}

    async def sign_in(self, username: str) -> dict[str, str]:
        if username not in self.tokens:
            response = await self.http.post("/api/auth/login", json={"username": username, "password": DEMO_PASSWORD})
            response.raise_for_status()
            self.tokens[username] = response.json()["access_token"]
        return {"authorization": f"Bearer {self.tokens[username]}"}

    async def get(self, path: str, *, as_user: str, **params: Any) -> httpx.Response:
        return await self.http.get(path, headers=await self.sign_in(as_user), params=params or None)

    async def post(self, path: str, *, as_user: str, json_body: dict) -> httpx.Response:
        return await self.http.post(path, headers=await self.sign_in(as_user), json=json_body)

    async def until(self, probe, what: str, timeout: float = 60) -> Any:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if found := await probe():
                return found
            await asyncio.sleep(0.2)
        raise TimeoutError(f"waited {timeout} s for {what}")


async def templates(client: Client) -> dict[str, str]:
    """A requirement forwarded by the county (so its timeline has lines) and a problem, through the API."""
    requirement = {
        "category": "optimisation",
        "title": "模板需求：指标查询增加导出",
        "description": "在指标查询界面增加按资金性质筛选和导出 Excel 的功能，便于月末核对。",
        "business_scenario": "月末核对",
        "expected_effect": "一键导出",
        "urgency": "normal",
        "module": "指标管理",
    }
    created = await client.post("/gw/intake/api/requirements", as_user="submitter", json_body=requirement)
    created.raise_for_status()
    requirement_id = created.json()["id"]
    problem = {
        "category": "bug",
        "title": "模板问题：凭证打印空白",
        "description": "打印记账凭证时页面空白，换浏览器也一样，影响月末结账。",
        "module": "核算管理",
        "details": {
            "kind": "bug",
            "error_text": "页面空白，无报错提示",
            "steps": "凭证管理 → 打印 → 选择凭证 → 打印预览",
            "os": "Windows 10",
            "browser": "Chrome",
            "browser_version": "120",
        },
    }
    reported = await client.post("/gw/intake/api/problems", as_user="submitter", json_body=problem)
    reported.raise_for_status()
    problem_id = reported.json()["id"]

    async def timeline_of(ticket_id: str, lines: int):
        response = await client.get(f"/api/tickets/{ticket_id}/timeline", as_user="itdiv")
        return response.status_code == 200 and len(response.json()["entries"]) >= lines

    await client.until(lambda: timeline_of(requirement_id, 2), f"{requirement_id}'s timeline")
    await client.until(lambda: timeline_of(problem_id, 2), f"{problem_id}'s timeline")

    async def problem_case():
        response = await client.get(f"/gw/review/api/problem-cases/{problem_id}", as_user="itdiv")
        return response.status_code == 200

    await client.until(problem_case, f"{problem_id}'s case")
    return {"requirement": requirement_id, "problem": problem_id}


# --- copies made by the database ----------------------------------------------------------------------------


async def copy_rows(
    conn: asyncpg.Connection, table: str, where: str, total: int, overrides: dict[str, str], label: str
) -> None:
    """`total` copies of the row(s) `where` selects, every column the template's unless `overrides` gives an
    SQL expression of it (over `n`, the copy's number, and `code`, its county); in batches, with progress."""
    columns = [
        row["column_name"]
        for row in await conn.fetch(
            "SELECT column_name FROM information_schema.columns WHERE table_name = $1 AND is_generated = 'NEVER'"
            " ORDER BY ordinal_position",
            table,
        )
    ]
    values = ", ".join(overrides.get(column, f"t.{column}") for column in columns)
    statement = (
        f"INSERT INTO {table} ({', '.join(columns)}) SELECT {values}"
        " FROM generate_series($1::bigint, $2::bigint) AS n,"
        " LATERAL (SELECT ($3::text[])[1 + n % array_length($3::text[], 1)] AS code) AS d,"
        f" (SELECT * FROM {table} WHERE {where}) AS t"
    )
    started = time.monotonic()
    for first in range(1, total + 1, BATCH):
        last = min(first + BATCH - 1, total)
        await conn.execute(statement, first, last, COUNTIES)
        progress(label, last, total, started)


async def rebuild(conn: asyncpg.Connection, label: str, function: str) -> None:
    """A read model recounted from the copied rows in one set-based pass (its SQL function), timed: the copy
    runs with the model's triggers off, which is faster than keeping it up to date row by row."""
    started = time.monotonic()
    progress(label, 0, 1, started, "rebuilding")
    rows = await conn.fetchval(f"SELECT {function}()")
    progress(label, 1, 1, started, f"{rows:,} rows" if isinstance(rows, int) else "")


def unit(n_expr: str = "n") -> str:
    """The copy's unit: the demo unit every OWN_UNIT_EVERY copies, else one of 30 of its county's units."""
    own = f"{n_expr} % {OWN_UNIT_EVERY} = 0"
    return f"CASE WHEN {own} THEN 'bu-150102-01' ELSE 'bu-' || d.code || '-' || ({n_expr} % 30) END"


def path(n_expr: str = "n") -> str:
    return (
        f"CASE WHEN {n_expr} % {OWN_UNIT_EVERY} = 0 THEN ARRAY['150000', '150100', '150102', 'bu-150102-01']"
        f" ELSE ARRAY['150000', left(d.code, 4) || '00', d.code, {unit(n_expr)}] END"
    )


MONTHS_BACK = "((n % 24) * interval '30 days' + (n % 1440) * interval '1 minute')"


async def seed(stack: Stack, template: dict[str, str], tickets: int) -> dict[str, float]:
    requirements = tickets * 2 // 3
    problems = tickets - requirements
    req_id = "'REQ-M' || lpad(n::text, 9, '0')"
    prb_id = "'PRB-M' || lpad(n::text, 9, '0')"
    seconds: dict[str, float] = {}

    async def timed(service: str, work) -> None:
        started = time.monotonic()
        conn = await asyncpg.connect(stack.database_url(service))
        try:
            await conn.execute("SET synchronous_commit = off")
            await work(conn)
            await conn.execute("ANALYZE")
        finally:
            await conn.close()
        seconds[service] = round(time.monotonic() - started, 1)

    requirement, problem = template["requirement"], template["problem"]

    async def intake(conn: asyncpg.Connection) -> None:
        await copy_rows(conn, "requirements", f"id = '{requirement}'", requirements, {
            "id": req_id, "org_path": path(), "import_key": "NULL",
            "submitter_id": f"CASE WHEN n % {OWN_UNIT_EVERY} = 0 THEN t.submitter_id ELSE 'u-' || (n % 50000) END",
            "submitted_at": f"t.submitted_at - {MONTHS_BACK}", "updated_at": f"t.updated_at - {MONTHS_BACK}",
            "status": "(ARRAY['submitted', 'submitted', 'submitted', 'returned', 'rejected', 'draft'])[1 + n % 6]",
        }, "intake requirements")  # fmt: skip
        await copy_rows(conn, "problems", f"id = '{problem}'", problems, {
            "id": prb_id, "org_path": path(), "reported_at": f"t.reported_at - {MONTHS_BACK}",
            "category": "(ARRAY['bug', 'consulting', 'configuration', 'data_repair'])[1 + n % 4]",
        }, "intake problems")  # fmt: skip

    async def review(conn: asyncpg.Connection) -> None:
        await copy_rows(conn, "review_cases", f"id = '{requirement}'", requirements, {
            "id": req_id, "org_id": unit(), "org_path": path(),
            "title": "t.title || ' ' || n", "description": "t.description || ' 第' || n || '号'",
            "status": "(ARRAY['in_review', 'awaiting_refinement', 'awaiting_confirmation', 'confirmed', 'published',"
                      " 'rejected'])[1 + n % 6]",
            "current_level": "CASE WHEN n % 6 = 0 THEN 'county' END",
            "current_division": "CASE WHEN n % 6 = 0 THEN d.code END",
            "current_opened_at": f"CASE WHEN n % 6 = 0 THEN t.opened_at - {MONTHS_BACK} END",
            "current_overdue_at": "CASE WHEN n % 18 = 0 THEN t.opened_at END",
            "submitted_month": "to_char(t.opened_at - " + MONTHS_BACK + ", 'YYYY-MM')",
            "opened_at": f"t.opened_at - {MONTHS_BACK}", "updated_at": f"t.updated_at - {MONTHS_BACK}",
        }, "review cases")  # fmt: skip
        # The figures' counters (decision 0018) are rebuilt in one pass after the copy, not row by row.
        await conn.execute("ALTER TABLE problem_cases DISABLE TRIGGER problem_sla_counters")
        await copy_rows(conn, "problem_cases", f"id = '{problem}'", problems, {
            "id": prb_id, "org_id": unit(), "org_path": path(),
            "category": "(ARRAY['bug', 'consulting', 'configuration', 'data_repair'])[1 + n % 4]",
            "status": "CASE WHEN n % 20 = 0 THEN t.status ELSE 'closed' END",
            "opened_at": f"t.opened_at - {MONTHS_BACK}",
            "opened_month": "to_char(t.opened_at - " + MONTHS_BACK + ", 'YYYY-MM')",
            "sla_state": "(ARRAY['on_time', 'warning', 'breached'])[1 + n % 3]",
            "sla_next_check_at": "CASE WHEN n % 20 = 0 THEN t.sla_next_check_at END",
            "owner_division": "d.code", "owner_org_id": "'fb-' || d.code",
        }, "review problem cases")  # fmt: skip
        await conn.execute("ALTER TABLE problem_cases ENABLE TRIGGER problem_sla_counters")
        await rebuild(conn, "review SLA counters", "problem_sla_counters_rebuild")

    async def portal(conn: asyncpg.Connection) -> None:
        # The dashboard's counters (decision 0017): not moved row by row during the copy but rebuilt after it
        # in one grouped pass, on the stack's business calendar (the services' offset, to the seconds between
        # their start and now).
        await conn.execute("ALTER TABLE tickets DISABLE TRIGGER USER")
        await copy_tickets(conn)
        await conn.execute("ALTER TABLE tickets ENABLE TRIGGER USER")
        offset = clock_settings(Clock(datetime.fromisoformat(stack.clock_start) if stack.clock_start else None))
        await conn.execute("SELECT set_config('fiscaldesk.clock_offset', $1, false)", *offset.values())
        await rebuild(conn, "portal dashboard counters", "dashboard_rebuild")

    async def copy_tickets(conn: asyncpg.Connection) -> None:
        for kind, template_id, total, ticket_id in (
            ("requirement", requirement, requirements, req_id),
            ("problem", problem, problems, prb_id),
        ):
            await copy_rows(conn, "tickets", f"id = '{template_id}'", total, {
                "id": ticket_id, "org_id": unit(), "org_path": path(),
                "title": "t.title || ' ' || n || ' ' || md5(n::text)",
                "submitter_id": f"CASE WHEN n % {OWN_UNIT_EVERY} = 0 THEN t.submitter_id ELSE 'u-' || (n % 50000) END",
                "submitted_at": f"t.submitted_at - {MONTHS_BACK}", "status_at": f"t.status_at - {MONTHS_BACK}",
                "updated_at": f"t.updated_at - {MONTHS_BACK}",
            }, f"portal {kind} tickets")  # fmt: skip
            await copy_rows(conn, "timeline", f"ticket_id = '{template_id}'", total, {
                "id": f"t.id || ':' || {ticket_id}", "ticket_id": ticket_id, "at": f"t.at - {MONTHS_BACK}",
            }, f"portal {kind} timelines")  # fmt: skip

    await timed("intake", intake)
    await timed("review", review)
    await timed("portal", portal)
    return seconds


# --- the reads -----------------------------------------------------------------------------------------------


def percentiles(samples: list[float]) -> dict[str, float]:
    """Nearest-rank p50, p95, p99 (bench/measure.py) and the mean, in ms to a tenth."""
    figures = {f"p{p}_ms": round(percentile(samples, p) or 0.0, 1) for p in (50, 95, 99)}
    return {**figures, "mean_ms": round(statistics.fmean(samples), 1)}


async def timed_reads(client: Client, name: str, path: str, as_user: str | None, count: int, **params) -> dict:
    samples, statuses, sizes = [], set(), []
    headers = await client.sign_in(as_user) if as_user else {}
    for _ in range(count):
        started = time.perf_counter()
        response = await client.http.get(path, headers=headers, params=params or None)
        samples.append((time.perf_counter() - started) * 1000)
        statuses.add(response.status_code)
        sizes.append(len(response.content))
    result = {"read": name, "path": path, "params": params, "as": as_user, "requests": count,
              "statuses": sorted(statuses), "bytes": int(statistics.fmean(sizes)), **percentiles(samples)}  # fmt: skip
    print(f"  {name:<34}{result['p50_ms']:>9}{result['p95_ms']:>9}{result['p99_ms']:>9}  {result['statuses']}")
    return result


async def database_floor(stack: Stack, ticket_id: str, count: int) -> dict:
    conn = await asyncpg.connect(stack.database_url("portal"))
    try:
        samples = []
        for _ in range(count):
            started = time.perf_counter()
            await conn.fetchrow("SELECT id, title, status FROM tickets WHERE id = $1", ticket_id)
            samples.append((time.perf_counter() - started) * 1000)
    finally:
        await conn.close()
    result = {"read": "baseline: asyncpg lookup by id", "requests": count, **percentiles(samples)}
    print(f"  {result['read']:<34}{result['p50_ms']:>9}{result['p95_ms']:>9}{result['p99_ms']:>9}")
    return result


async def bench(stack: Stack, services: dict[str, ServiceProcess], args: argparse.Namespace) -> dict:
    client = Client(services["portal"].url)
    try:
        template = await templates(client)
        memory_before = memory(services)
        print(f"seeding {args.tickets:,} tickets (templates {template['requirement']}, {template['problem']})")
        seed_seconds = await seed(stack, template, args.tickets)
        month = datetime.now(UTC).strftime("%Y-%m")
        some_ticket = f"REQ-M{args.tickets // 3:09d}"
        n = args.requests
        print(f"\n  {'read':<34}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}  statuses")
        reads = [
            await timed_reads(client, "baseline: portal GET /healthz", "/healthz", None, n),
            await timed_reads(client, "baseline: review GET /healthz (gw)", "/gw/review/healthz", None, n),
            await database_floor(stack, some_ticket, n),
        ]
        board_page = {"status": "open", "limit": 50, "view": "board"}  # what SlaBoard.vue asks every 30 s
        for name, path, user, params in [
            ("county review queue", "/gw/review/api/review-tasks", "county", {}),
            ("a unit's ticket list", "/api/tickets", "submitter", {"limit": 20}),
            ("keyword search (region)", "/api/tickets", "itdiv", {"q": "导出 12345"}),
            ("one ticket's timeline", f"/api/tickets/{some_ticket}/timeline", "itdiv", {}),
            ("IT division's dashboard", "/api/dashboard", "itdiv", {}),
            ("SLA board: open problems", "/gw/review/api/problem-ledger", "itdiv", board_page),
            ("SLA board: open counts", "/gw/review/api/problems-sla/open", "itdiv", {}),
            ("SLA board: figures", "/gw/review/api/problems-sla/figures", "itdiv", {"month": month}),
        ]:
            reads.append(await timed_reads(client, name, path, user, n, **params))
        # Each read against the HTTP floor of its way in: the portal's own API, or a service behind the gateway.
        floors = {"portal": reads[0]["p95_ms"], "gateway": reads[1]["p95_ms"]}
        for read in reads[3:]:
            floor = floors["gateway" if read["path"].startswith("/gw/") else "portal"]
            read["p95_ratio_to_http_floor"] = round(read["p95_ms"] / floor, 1) if floor else None
        return {"templates": template, "seed_seconds": seed_seconds, "reads": reads,
                "memory_mb_before_seed": memory_before, "memory_mb_after_reads": memory(services)}  # fmt: skip
    finally:
        await client.http.aclose()


def main() -> None:
    args = parse_args()
    os.environ.setdefault("FD_SUBMISSIONS_PER_MINUTE", str(1_000_000))
    started = datetime.now(UTC)
    at_start = machine()
    with bench_stack("million", keep_state=args.keep_state) as (stack, services):
        report = asyncio.run(bench(stack, services, args))
        print(f"memory (MB) after the reads: {report['memory_mb_after_reads']}")
        RESULTS.mkdir(parents=True, exist_ok=True)
        path = RESULTS / f"million-{started:%Y%m%dT%H%M%SZ}.json"
        document = {
            "started_at": started.isoformat(), "finished_at": datetime.now(UTC).isoformat(),
            "machine_at_start": at_start, "machine_at_end": machine(), "args": vars(args), **report,
        }  # fmt: skip
        path.write_text(json.dumps(document, ensure_ascii=False, indent=2) + "\n")
        print(f"results: {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
