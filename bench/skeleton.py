"""The walking skeleton as the benchmark drives it: submit over HTTP as "submitter", and look for the
notification for the 新城区 finance bureau's reviewers straight in notify's database (asyncpg).

Why the database and not GET /api/notifications: one query per poll, by the bench alone, instead of
signed-in requests through notify's HTTP stack as well, which would load the service being measured more. Why
not the notification's `created_at` as the completion time: it is when notify *planned* the delivery,
before its delivery worker wrote the document (see bench/measure.py). One request at the end checks,
through the API, that the notification is visible to the demo reviewer "county".
"""

import time
from datetime import datetime

import asyncpg
import httpx

from bench.measure import SEEN, stage_percentiles
from infra.launcher import ServiceProcess, Stack
from services.portal.seed import DEMO_PASSWORD

# "submitter" works at 新城区教育局 (150102), so the first review — and the notification — goes to the
# reviewers of that county's finance bureau (shared.auth.REVIEWER at org fb-150102).
REVIEWERS = "role:fb-150102:reviewer"
REQUIREMENT = {
    "category": "optimisation",
    "title": "指标查询增加导出功能",
    "description": "在指标查询界面增加按条件导出 Excel 的功能，便于核对年度指标。",
    "urgency": "normal",
}
# The services whose outbox rows the measured consumers read: intake's RequirementSubmitted for review,
# review's ReviewTaskOpened for notify.
OUTBOXES = ("intake", "review")
STAGES = ["request sent", "201 received", "review case opened", "delivery planned (notification created_at)", SEEN]


class Skeleton:
    """fiscaldesk's intake → review → notify, every service its own process (started by the launcher)."""

    name = "fiscaldesk"
    groups = frozenset({"review", "notify"})  # the consumer groups of services.review and services.notify

    def __init__(self, stack: Stack, services: dict[str, ServiceProcess]) -> None:
        self._stack = stack
        self._services = services
        # Enough connections for the highest concurrency; 30 s so a slow answer is measured, not dropped.
        self._http = httpx.AsyncClient(timeout=30, limits=httpx.Limits(max_connections=64))
        self._pools: dict[str, asyncpg.Pool] = {}
        self._headers: dict[str, str] = {}
        self._reviewer_headers: dict[str, str] = {}
        self.last_ticket_id: str | None = None
        self.stamps: dict[str, dict[str, float]] = {}

    def _url(self, service: str, path: str) -> str:
        return f"{self._services[service].url}{path}"

    async def _db(self, service: str) -> asyncpg.Pool:
        """The service's own database, with the role the service uses (read by the bench only)."""
        if service not in self._pools:
            self._pools[service] = await asyncpg.create_pool(self._stack.database_url(service), min_size=1, max_size=2)
        return self._pools[service]

    async def _token(self, username: str) -> str:
        response = await self._http.post(
            self._url("portal", "/api/auth/login"), json={"username": username, "password": DEMO_PASSWORD}
        )
        response.raise_for_status()
        return response.json()["access_token"]

    async def start(self) -> None:
        """Sign in once per user: access tokens last 30 minutes, longer than the whole bench, and sign-in
        is rate-limited."""
        self._headers = {"authorization": f"Bearer {await self._token('submitter')}"}
        self._reviewer_headers = {"authorization": f"Bearer {await self._token('county')}"}

    async def submit(self, index: int) -> tuple[str, float]:
        sent_at = time.time()
        response = await self._http.post(
            self._url("intake", "/api/requirements"), json=REQUIREMENT, headers=self._headers
        )
        accepted_at = time.time()  # the moment intake's 201 arrived
        if response.status_code != 201:
            raise RuntimeError(f"intake answered {response.status_code}: {response.text[:200]}")
        self.last_ticket_id = ticket_id = response.json()["id"]
        self.stamps[ticket_id] = {STAGES[0]: sent_at, STAGES[1]: accepted_at}
        return ticket_id, accepted_at

    async def completions(self, since: datetime) -> set[str]:
        rows = await (await self._db("notify")).fetch(
            "SELECT ticket_id FROM notifications WHERE recipient = $1 AND created_at >= $2", REVIEWERS, since
        )
        return {row["ticket_id"] for row in rows}

    async def pending(self) -> int:
        total = 0
        for service in OUTBOXES:
            total += await (await self._db(service)).fetchval("SELECT count(*) FROM outbox")
        return total

    async def breakdown(self) -> dict[str, dict[str, float | None]]:
        """Adds when review opened each case and when notify planned each delivery (stored times) to the
        bench's own stamps, then splits the latency into its hops."""
        ids = list(self.stamps)
        opened = "SELECT id, opened_at AS at FROM review_cases WHERE id = ANY($1::text[])"
        await self._stamp(STAGES[2], "review", opened, ids)
        planned = "SELECT ticket_id AS id, created_at AS at FROM notifications WHERE ticket_id = ANY($1::text[])"
        await self._stamp(STAGES[3], "notify", planned + " AND recipient = $2", ids, REVIEWERS)
        return stage_percentiles(self.stamps, STAGES)

    async def _stamp(self, stage: str, service: str, query: str, *args: object) -> None:
        for row in await (await self._db(service)).fetch(query, *args):
            if row["id"] in self.stamps and row["at"] is not None:
                self.stamps[row["id"]][stage] = row["at"].timestamp()

    async def visible_to_reviewer(self, ticket_id: str) -> bool:
        """Whether the demo reviewer "county" sees the ticket's notification through notify's API."""
        response = await self._http.get(
            self._url("notify", "/api/notifications"), params={"limit": 200}, headers=self._reviewer_headers
        )
        response.raise_for_status()
        return any(item["ticket_id"] == ticket_id for item in response.json())

    async def close(self) -> None:
        await self._http.aclose()
        for pool in self._pools.values():
            await pool.close()
