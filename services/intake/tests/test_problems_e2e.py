"""Problems reported through the running services (第七条–第十条): any time, from every channel."""

import pytest

from tests.support import Api

pytestmark = pytest.mark.e2e


def data_repair(items: list[dict]) -> dict:
    return {
        "category": "data_repair",
        "title": "三保标识错误",
        "description": "2026 年部分指标的三保标识录入错误，需统一修正。",
        "details": {
            "kind": "data_repair",
            "scope": "新城区教育局 2026 年基本支出指标",
            "business_year": 2026,
            "items": items,
            "reason": "业务办理时误选标识",
        },
    }


def problems(api: Api, user: str) -> list[dict]:
    return api.get("intake", "/api/problems", as_user=user, params={"limit": 200}).json()


def test_data_repair_without_values_before_and_after_is_refused_naming_the_fields(api: Api) -> None:
    before = len(problems(api, "submitter"))
    response = api.post("intake", "/api/problems", as_user="submitter", json=data_repair([{"item": "三保标识"}]))
    assert response.status_code == 422
    fields = {(d["field"], d["rule"]) for d in response.json()["detail"]}
    # The path of the field in the body sent (details.items…), not pydantic's branch of the union.
    assert fields == {("details.items.0.before", "missing"), ("details.items.0.after", "missing")}
    assert len(problems(api, "submitter")) == before


def test_data_repair_with_its_values_is_recorded_with_scope_year_items_and_reason(api: Api) -> None:
    body = data_repair([{"item": "三保标识", "before": "否", "after": "是"}])
    ticket_id = api.post("intake", "/api/problems", as_user="submitter", json=body).json()["id"]
    problem = api.get("intake", f"/api/problems/{ticket_id}", as_user="county").json()
    assert problem["details"]["items"] == [{"item": "三保标识", "before": "否", "after": "是"}]
    assert (problem["details"]["business_year"], problem["channel"]) == (2026, "form")
    assert api.get("intake", f"/api/problems/{ticket_id}", as_user="county2").status_code == 404


def test_details_must_match_the_category(api: Api) -> None:
    body = {**data_repair([]), "category": "bug"}
    response = api.post("intake", "/api/problems", as_user="submitter", json=body)
    assert response.status_code == 422


def test_duty_operator_records_a_hotline_call_for_a_bank(api: Api) -> None:
    call = {
        "category": "consulting",
        "title": "如何查询直达资金支付进度",
        "description": "银行来电咨询直达资金支付进度在哪个菜单查询。",
        "details": {"kind": "consulting", "question_type": "software_operation"},
        "channel": "hotline",
        "org_id": "fi-150000-abc",
        "caller": {"name": "刘先生", "phone": "0471-0000000"},
    }
    ticket_id = api.post("intake", "/api/problems/recorded", as_user="duty", json=call).json()["id"]
    problem = api.get("intake", f"/api/problems/{ticket_id}", as_user="bank").json()
    assert problem["org"]["kind"] == "financial_institution"
    assert problem["recorded_by"] == "u-duty" and problem["caller"]["name"] == "刘先生"
    assert problem["channel"] == "hotline"
    # Only duty operators record calls; an unknown organisation is named as the field at fault.
    assert api.post("intake", "/api/problems/recorded", as_user="submitter", json=call).status_code == 403
    unknown = api.post("intake", "/api/problems/recorded", as_user="duty", json={**call, "org_id": "nowhere"})
    assert unknown.status_code == 422 and unknown.json()["detail"][0]["field"] == "org_id"


def test_a_bank_reports_a_bug_of_its_own(api: Api) -> None:
    bug = {
        "category": "bug",
        "title": "支付凭证回单无法下载",
        "description": "点击下载回单提示系统错误。",
        "urgent": True,
        "details": {
            "kind": "bug",
            "error_text": "500 Internal Server Error",
            "steps": "支付管理 → 回单查询 → 下载",
            "os": "Windows 10",
            "browser": "Chrome",
            "browser_version": "120",
        },
    }
    ticket_id = api.post("intake", "/api/problems", as_user="bank", json=bug).json()["id"]
    assert api.get("intake", f"/api/problems/{ticket_id}", as_user="bank").json()["urgent"] is True
    assert all(p["_id"] != ticket_id for p in problems(api, "submitter"))
