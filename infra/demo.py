"""Demo tickets for `make run`: a few requirements and problems taken through the procedure by the demo
users, through the same public APIs the web UI calls, so every workspace, board and chart has something
to show on a first visit. Skipped when the region already has tickets (a second `make run` keeps its data).

Each step waits for the event-driven consequence of the one before (a review case opened from the
submission, a work order queued from the confirmation), with a deadline, as a user would wait for the page.
"""

import time
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import httpx

from services.portal.seed import DEMO_PASSWORD

CONSULTING = {"kind": "consulting", "question_type": "software_operation"}
BUSINESS_QUESTION = {"kind": "consulting", "question_type": "business"}
BUG = {
    "kind": "bug",
    "error_text": "500 Internal Server Error",
    "steps": "支付管理 → 回单查询 → 勾选回单 → 下载",
    "os": "Windows 10",
    "browser": "Chrome",
    "browser_version": "120",
    "business_impact": "无法打印支付回单，影响月末对账",
}
DATA_REPAIR = {
    "kind": "data_repair",
    "scope": "新城区教育局 2026 年基本支出指标",
    "business_year": 2026,
    "items": [{"item": "三保标识", "before": "否", "after": "是"}],
    "reason": "指标录入时误选三保标识，导致三保支出统计口径不符",
}


class DemoClient:
    """The demo users, signed in once each, calling the services as the web UI does."""

    def __init__(self, urls: dict[str, str]) -> None:
        self.urls = urls
        self.tokens: dict[str, str] = {}

    def _headers(self, user: str) -> dict[str, str]:
        if user not in self.tokens:
            login = {"username": user, "password": DEMO_PASSWORD}
            response = httpx.post(f"{self.urls['portal']}/api/auth/login", json=login, timeout=10)
            response.raise_for_status()
            self.tokens[user] = response.json()["access_token"]
        return {"authorization": f"Bearer {self.tokens[user]}"}

    def get(self, user: str, service: str, path: str, **params: Any) -> Any:
        response = httpx.get(f"{self.urls[service]}{path}", headers=self._headers(user), params=params, timeout=10)
        response.raise_for_status()
        return response.json()

    def post(self, user: str, service: str, path: str, body: dict[str, Any] | None = None) -> Any:
        response = httpx.post(f"{self.urls[service]}{path}", headers=self._headers(user), json=body or {}, timeout=10)
        if response.is_error:
            raise RuntimeError(f"{user} POST {service}{path}: {response.status_code} {response.text}")
        return response.json() if response.content else None


def _until(probe: Callable[[], Any], what: str, timeout: float = 60) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if found := probe():
            return found
        time.sleep(0.3)
    raise RuntimeError(f"demo data: {what} did not happen within {timeout:.0f} s")


def _requirement(title: str, description: str, category: str = "optimisation", **extra: Any) -> dict[str, Any]:
    return {"category": category, "title": title, "description": description, "urgency": "normal", **extra}


def _problem(category: str, title: str, details: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"category": category, "title": title, "description": f"{title}，请协助处理。", "details": details, **extra}


class Scenario:
    def __init__(self, client: DemoClient) -> None:
        self.api = client

    def submit(self, user: str, body: dict[str, Any]) -> str:
        return self.api.post(user, "intake", "/api/requirements", body)["id"]

    def in_queue(self, reviewer: str, ticket_id: str) -> None:
        _until(
            lambda: any(t["_id"] == ticket_id for t in self.api.get(reviewer, "review", "/api/review-tasks")),
            f"{ticket_id} in {reviewer}'s review queue",
        )

    def review(self, reviewer: str, ticket_id: str, action: str, **body: Any) -> None:
        self.in_queue(reviewer, ticket_id)
        self.api.post(reviewer, "review", f"/api/review-tasks/{ticket_id}/{action}", body)

    def through_every_level(self, ticket_id: str) -> None:
        for reviewer in ("county", "city", "region"):
            self.review(reviewer, ticket_id, "forward", opinion="建议实现")
        _until(
            lambda: any(c["_id"] == ticket_id for c in self.api.get("itdiv", "review", "/api/refinement-queue")),
            f"{ticket_id} awaiting refinement",
        )

    def refine_and_confirm(self, ticket_id: str, decision: dict[str, Any]) -> None:
        self.api.post("itdiv", "review", f"/api/refinement/{ticket_id}", {"business_division_id": "bd-budget"})
        self.api.post("bizdiv", "review", f"/api/confirmation/{ticket_id}", decision)

    def dispatched(self, ticket_id: str, vendor_id: str, stages: tuple[str, ...]) -> None:
        _until(
            lambda: any(i["ticket_id"] == ticket_id for i in self.api.get("itdiv", "dispatch", "/api/dispatch-queue")),
            f"{ticket_id} in the dispatch queue",
        )
        today = date.today()
        plan = {
            "ticket_id": ticket_id,
            "vendor_id": vendor_id,
            "priority": "P2",
            "effort_days": 8,
            "planned_start": today.isoformat(),
            "planned_delivery": (today + timedelta(days=20)).isoformat(),
        }
        order = self.api.post("itdiv", "dispatch", "/api/work-orders", plan)
        vendor = {"vendor-a": "vendor1", "vendor-b": "vendor2"}[vendor_id]
        for stage in stages:
            self.api.post(vendor, "dispatch", f"/api/work-orders/{order['id']}/progress", {"stage": stage})

    def report(self, user: str, body: dict[str, Any]) -> str:
        ticket_id = self.api.post(user, "intake", "/api/problems", body)["id"]
        _until(
            lambda: (
                httpx.get(
                    f"{self.api.urls['review']}/api/problem-cases/{ticket_id}", headers=self.api._headers("itdiv")
                ).status_code
                == 200
            ),
            f"problem case {ticket_id} opened",
        )
        return ticket_id

    def step(self, user: str, ticket_id: str, step: str, **body: Any) -> None:
        self.api.post(user, "review", f"/api/problem-cases/{ticket_id}/{step}", body)

    def run(self) -> None:
        # Requirements at every stage (第六条一～六).
        building = self.submit(
            "submitter",
            _requirement(
                "指标查询增加按资金性质筛选",
                "指标查询界面目前只能按功能分类筛选，月末核对时需要按资金性质（一般公共预算、政府性基金）分别导出。",
                module="指标管理",
            ),
        )
        self.through_every_level(building)
        self.refine_and_confirm(building, {"decision": "adopt"})
        self.dispatched(building, "vendor-a", ("accepted", "in_development"))

        declined = self.submit(
            "submitter",
            _requirement(
                "部门决算报表增加自定义口径",
                "希望部门决算报表可按本单位习惯自定义统计口径和列顺序，方便内部汇报使用。",
                category="report",
            ),
        )
        self.through_every_level(declined)
        self.refine_and_confirm(
            declined, {"decision": "decline", "reason": "属于个性化需求，可使用报表平台的自定义查询实现。"}
        )

        waiting_city = self.submit(
            "submitter",
            _requirement(
                "工资发放增加银行回单查询",
                "工资统发后需要到银行网银逐笔下载回单，希望在一体化系统中直接查询并打印银行回单。",
                module="国库支付",
            ),
        )
        self.review("county", waiting_city, "forward", opinion="多个单位有同类需求，建议实现")
        self.in_queue("city", waiting_city)

        self.submit(
            "submitter",
            _requirement(
                "预算编制模块支持批量调整项目支出",
                "预算编制阶段需要逐条修改项目支出金额，项目多时耗时较长，希望支持按比例批量调整。",
                category="new",
                module="预算编制",
                urgency="urgent",
            ),
        )
        rejected = self.submit(
            "submitter",
            _requirement("单位基本信息页面换肤", "希望单位基本信息维护页面提供深色主题，方便长时间使用。"),
        )
        self.review("county", rejected, "reject", reason="与预算业务无关，不属于系统功能需求，建议不予实现。")
        self.submit(
            "submitter2",
            _requirement(
                "用款计划导入模板增加校验提示",
                "用款计划批量导入失败时只提示“导入失败”，希望列出出错的行号和原因。",
                module="用款计划",
            ),
        )

        # Problems (第七条–第十一条): answered, refined, waiting.
        question = self.report("submitter", _problem("consulting", "如何查询指标使用进度", CONSULTING))
        self.step(
            "itdiv",
            question,
            "answer",
            answer="在指标管理 → 指标查询中勾选“显示执行进度”，即可查看已支付和在途金额。",
        )
        bug = self.report("submitter", _problem("bug", "支付回单下载报错", BUG, urgent=True))
        self.step("itdiv", bug, "refine", notes="已确认报错信息与浏览器版本")
        self.report("submitter", _problem("consulting", "项目支出调整是否需要重新上报审批", BUSINESS_QUESTION))
        self.report("submitter", _problem("data_repair", "2026 年基本支出指标三保标识修正", DATA_REPAIR))

        # The FAQ the region publishes (第七条).
        for question_text, answer in (
            ("如何打印国库集中支付凭证回单", "在支付管理 → 回单查询中勾选回单后点击“打印”，支持批量打印。"),
            ("用款计划如何批量导入", "在用款计划 → 批量导入中下载模板，填写后上传；出错的行会列出行号和原因。"),
        ):
            self.api.post("itdiv", "review", "/api/faq", {"question": question_text, "answer": answer})


def seed_demo_tickets(urls: dict[str, str]) -> bool:
    """Take the demo tickets through the procedure unless the region already has tickets; True if it did."""
    client = DemoClient(urls)
    if client.get("itdiv", "portal", "/api/tickets", limit=1):
        return False
    Scenario(client).run()
    return True
