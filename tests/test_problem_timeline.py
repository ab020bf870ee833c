"""A problem's history across services: reported in intake, opened in review's ledger, on the portal."""

import pytest

from tests.support import Api, eventually

pytestmark = pytest.mark.e2e


def test_reported_problem_shows_on_the_timeline_with_its_ledger_entry(api: Api) -> None:
    consulting = {
        "category": "consulting",
        "title": "如何调整单位基本信息",
        "description": "单位名称变更后，在哪个菜单修改单位基本信息？",
        "details": {"kind": "consulting", "question_type": "software_operation"},
    }
    ticket_id = api.post("intake", "/api/problems", as_user="submitter", json=consulting).json()["id"]

    def timeline() -> dict | None:
        response = api.get("portal", f"/api/tickets/{ticket_id}/timeline", as_user="submitter")
        return response.status_code == 200 and len(response.json()["entries"]) >= 2 and response.json()

    entries = eventually(timeline, what="the problem's timeline")["entries"]
    assert [e["label"] for e in entries][:2] == ["上报问题", "纳入问题台账"]
    tickets = api.get("portal", "/api/tickets", as_user="county", params={"ticket_id": ticket_id}).json()
    assert tickets[0]["kind"] == "problem" and tickets[0]["category"] == "consulting"
    assert api.get("portal", f"/api/tickets/{ticket_id}/timeline", as_user="county2").status_code == 404


def test_the_it_division_is_told_of_a_new_problem_and_the_reporter_of_the_answer(api: Api) -> None:
    bug = {
        "category": "bug",
        "title": "指标导出报错",
        "description": "导出时提示服务器错误。",
        "details": {
            "kind": "bug",
            "error_text": "HTTP 500",
            "steps": "指标管理 → 指标查询 → 导出",
            "os": "Windows 11",
            "browser": "Edge",
            "browser_version": "131",
        },
    }
    ticket_id = api.post("intake", "/api/problems", as_user="submitter", json=bug).json()["id"]

    def inbox(user: str) -> list[dict]:
        items = api.get("notify", "/api/notifications", as_user=user, params={"limit": 200}).json()
        return [n for n in items if n["ticket_id"] == ticket_id]

    [told] = eventually(lambda: inbox("itdiv"), what="the IT division's notification of the new problem")
    assert "指标导出报错" in told["title"]
    assert inbox("submitter") == []
