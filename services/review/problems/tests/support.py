"""Helpers of the problem procedure's end-to-end tests: report through intake, act through review."""

import httpx

from tests.support import Api, eventually

BUG = {
    "kind": "bug",
    "error_text": "500 Internal Server Error",
    "steps": "支付管理 → 回单查询 → 下载",
    "os": "Windows 10",
    "browser": "Chrome",
    "browser_version": "120",
    "business_impact": "无法打印支付回单",
}
CONFIGURATION = {"kind": "configuration", "desired_configuration": "指标文号设为必填", "effective_from": "2027-01-01"}
DATA_REPAIR = {
    "kind": "data_repair",
    "scope": "新城区教育局 2026 年基本支出指标",
    "business_year": 2026,
    "items": [{"item": "三保标识", "before": "否", "after": "是"}],
    "reason": "业务办理时误选标识",
}
PLAN = {
    "business_stage": "指标下达",
    "data_type": "指标数据",
    "upstream_downstream": "影响下游支付申请与用款计划",
    "affected_reports": ["三保支出统计表", "直达资金监控表"],
    "monitoring_rules": "三保标识一致性监控",
    "steps": "按指标编号批量更新标识",
}
SHA256 = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"


def problem(category: str, title: str, details: dict, **extra) -> dict:
    return {"category": category, "title": title, "description": f"{title}，请尽快处理。", "details": details, **extra}


def consulting(title: str, question_type: str = "software_operation") -> dict:
    return problem("consulting", title, {"kind": "consulting", "question_type": question_type})


def report(api: Api, body: dict, as_user: str = "submitter") -> str:
    """Reported through intake (第十条); review opens the case from the ProblemReported event."""
    response = api.post("intake", "/api/problems", as_user=as_user, json=body)
    assert response.status_code == 201, response.text
    ticket_id = response.json()["id"]
    opened(api, ticket_id)
    return ticket_id


def record_call(api: Api, body: dict, org_id: str, channel: str = "hotline") -> str:
    """The duty operator records a hotline call for the caller's organisation (第九条)."""
    call = {**body, "channel": channel, "org_id": org_id, "caller": {"name": "刘先生", "phone": "0471-0000000"}}
    response = api.post("intake", "/api/problems/recorded", as_user="duty", json=call)
    assert response.status_code == 201, response.text
    ticket_id = response.json()["id"]
    opened(api, ticket_id)
    return ticket_id


def opened(api: Api, ticket_id: str) -> dict:
    def probe() -> dict | None:
        response = api.get("review", f"/api/problem-cases/{ticket_id}", as_user="itdiv")
        return response.json() if response.status_code == 200 else None

    return eventually(probe, what=f"problem case {ticket_id} opened in review")


def act(api: Api, user: str, ticket_id: str, step: str, **body) -> httpx.Response:
    return api.post("review", f"/api/problem-cases/{ticket_id}/{step}", as_user=user, json=body)


def done(api: Api, user: str, ticket_id: str, step: str, **body) -> dict:
    response = act(api, user, ticket_id, step, **body)
    assert response.status_code == 200, f"{step} by {user}: {response.text}"
    return response.json()


def case_of(api: Api, ticket_id: str, as_user: str = "submitter") -> dict:
    response = api.get("review", f"/api/problem-cases/{ticket_id}", as_user=as_user)
    assert response.status_code == 200, response.text
    return response.json()


def audited(api: Api, subject: str, *types: str) -> list[dict]:
    """Waits until the events of `types` about `subject` went out on Kafka and reached the audit trail."""

    def probe():
        entries = api.get("portal", "/api/audit", as_user="auditor", params={"subject": subject}).json()
        return set(types) <= {entry["action"] for entry in entries} and entries

    return eventually(probe, what=f"{types} of {subject} in the audit trail")
