"""Helpers the cross-service tests share: a signed-in HTTP client and polling with a deadline."""

import asyncio
import itertools
import time
from collections.abc import Callable
from typing import TypeVar

import httpx
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from infra.launcher import SERVICES, ServiceProcess
from services.portal.seed import DEMO_PASSWORD

T = TypeVar("T")


def eventually(probe: Callable[[], T | None], *, timeout: float = 30, interval: float = 0.1, what: str = "") -> T:
    """Poll `probe` until it returns something truthy; fail with `what` when the deadline passes."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = probe()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout} s waiting for {what or probe} (last: {last!r})")


class Api:
    """Talks to the running services as a signed-in user would."""

    def __init__(self, services: dict[str, ServiceProcess]) -> None:
        self.services = services
        self._tokens: dict[str, str] = {}

    def url(self, service: str, path: str) -> str:
        return f"{self.services[service].url}{path}"

    def token(self, username: str) -> str:
        if username not in self._tokens:
            response = httpx.post(
                self.url("portal", "/api/auth/login"), json={"username": username, "password": DEMO_PASSWORD}
            )
            response.raise_for_status()
            self._tokens[username] = response.json()["access_token"]
        return self._tokens[username]

    def headers(self, username: str) -> dict[str, str]:
        return {"authorization": f"Bearer {self.token(username)}"}

    def get(self, service: str, path: str, *, as_user: str, **kwargs) -> httpx.Response:
        return httpx.get(self.url(service, path), headers=self.headers(as_user), timeout=10, **kwargs)

    def post(self, service: str, path: str, *, as_user: str, **kwargs) -> httpx.Response:
        return httpx.post(self.url(service, path), headers=self.headers(as_user), timeout=10, **kwargs)

    def put(self, service: str, path: str, *, as_user: str, headers: dict | None = None, **kwargs) -> httpx.Response:
        headers = {**self.headers(as_user), **(headers or {})}
        return httpx.put(self.url(service, path), headers=headers, timeout=10, **kwargs)

    def delete(self, service: str, path: str, *, as_user: str, **kwargs) -> httpx.Response:
        return httpx.delete(self.url(service, path), headers=self.headers(as_user), timeout=10, **kwargs)


class SpreadApi(Api):
    """The signed-in client of tests/support.py, sending each call to the next instance of the service."""

    def __init__(self, services: dict[str, ServiceProcess]) -> None:
        super().__init__(services)
        self._turns = {name: itertools.cycle([p for p in services.values() if p.name == name]) for name in SERVICES}

    def url(self, service: str, path: str) -> str:
        """The next instance that runs (a killed one is skipped, as a load balancer's health check would)."""
        for _ in SERVICES:
            instance = next(self._turns[service])
            if instance.process is not None and instance.process.poll() is None:
                return f"{instance.url}{path}"
        return f"{instance.url}{path}"

    def on(self, instance: ServiceProcess, path: str) -> str:
        return f"{instance.url}{path}"


def reject_left_in_queue(api: Api, reviewer: str, keyword: str) -> None:
    """Reject (in batches, as a reviewer would) what a test left in `reviewer`'s queue under titles holding
    `keyword`, so a test that submits by the hundred leaves the queue as later tests expect to find it."""
    reason = "测试批量提交的需求，审核结束后统一驳回 (left by a test)"
    while True:
        params = {"keyword": keyword, "limit": 100}
        left = [task["_id"] for task in api.get("review", "/api/review-tasks", as_user=reviewer, params=params).json()]
        if not left:
            return
        body = {"ticket_ids": left, "action": "reject", "reason": reason}
        response = api.post("review", "/api/review-tasks/batch", as_user=reviewer, json=body)
        assert response.status_code == 200 and response.json()["ok"] == len(left), response.text


def requirement(**overrides) -> dict:
    body = {
        "category": "optimisation",
        "title": "指标查询增加导出功能",
        "description": "在指标查询界面增加按条件导出 Excel 的功能，便于核对年度指标。",
        "urgency": "normal",
    }
    return {**body, **overrides}


def end_offsets(bootstrap: str, topic: str) -> dict[int, int]:
    """The next offset of each partition of `topic`: unchanged offsets mean nothing was published."""

    async def read() -> dict[int, int]:
        admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
        await admin.start()
        try:
            [description] = await admin.describe_topics([topic])
        finally:
            await admin.close()
        partitions = [TopicPartition(topic, p["partition"]) for p in description["partitions"]]
        consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap)
        await consumer.start()
        try:
            return {tp.partition: offset for tp, offset in (await consumer.end_offsets(partitions)).items()}
        finally:
            await asyncio.sleep(0)  # aiokafka 0.14 raises CancelledError when stopped in the same tick
            await consumer.stop()

    return asyncio.run(read())
