"""The walking skeleton as the benchmark drives it: submit over HTTP as "submitter", and look for the
notification for the 新城区 finance bureau's reviewers straight in notify's database (pymongo).

Why the database and not GET /api/notifications: one query per poll, by the bench alone, instead of
signed-in requests through notify's HTTP stack as well, which would load the service being measured more. Why
not the notification's `created_at` as the completion time: it is when notify *planned* the delivery,
before its delivery worker wrote the document (see bench/measure.py). One request at the end checks,
through the API, that the notification is visible to the demo reviewer "county".
"""

import time
from datetime import datetime
from typing import Any

import httpx
from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

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
# The outboxes whose events the measured consumers read (database suffix, collection): intake's
# RequirementSubmitted for review, review's ReviewTaskOpened for notify.
OUTBOXES = (("intake", "requirements"), ("review", "review_cases"))
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
        self._mongo: AsyncMongoClient = AsyncMongoClient(stack.mongodb_url, tz_aware=True)
        self._headers: dict[str, str] = {}
        self._reviewer_headers: dict[str, str] = {}
        self.last_ticket_id: str | None = None
        self.stamps: dict[str, dict[str, float]] = {}

    def _url(self, service: str, path: str) -> str:
        return f"{self._services[service].url}{path}"

    def _db(self, service: str) -> AsyncDatabase:
        return self._mongo[f"{self._stack.db_prefix}_{service}"]

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
        cursor = self._db("notify")["notifications"].find(
            {"recipient": REVIEWERS, "created_at": {"$gte": since}}, {"ticket_id": 1}
        )
        return {doc["ticket_id"] async for doc in cursor}

    async def pending(self) -> int:
        total = 0
        for service, collection in OUTBOXES:
            total += await self._db(service)[collection].count_documents({"outbox.0": {"$exists": True}})
        return total

    async def breakdown(self) -> dict[str, dict[str, float | None]]:
        """Adds when review opened each case and when notify planned each delivery (stored times) to the
        bench's own stamps, then splits the latency into its hops."""
        ids = list(self.stamps)
        await self._stamp(STAGES[2], "review", "review_cases", {"_id": {"$in": ids}}, "_id", "opened_at")
        query = {"ticket_id": {"$in": ids}, "recipient": REVIEWERS}
        await self._stamp(STAGES[3], "notify", "notifications", query, "ticket_id", "created_at")
        return stage_percentiles(self.stamps, STAGES)

    async def _stamp(
        self, stage: str, service: str, collection: str, query: dict[str, Any], id_field: str, time_field: str
    ) -> None:
        async for doc in self._db(service)[collection].find(query, {id_field: 1, time_field: 1}):
            if isinstance(doc.get(time_field), datetime):
                self.stamps[doc[id_field]][stage] = doc[time_field].timestamp()

    async def visible_to_reviewer(self, ticket_id: str) -> bool:
        """Whether the demo reviewer "county" sees the ticket's notification through notify's API."""
        response = await self._http.get(
            self._url("notify", "/api/notifications"), params={"limit": 200}, headers=self._reviewer_headers
        )
        response.raise_for_status()
        return any(item["ticket_id"] == ticket_id for item in response.json())

    async def close(self) -> None:
        await self._http.aclose()
        await self._mongo.close()
