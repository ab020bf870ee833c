"""The requirement procedure across every service (第三条–第六条), each path named after what it proves.

Every step goes through the services' HTTP APIs; what one service learns from another arrives over Kafka.
"""

import pytest

from tests.support import Api, eventually, requirement

pytestmark = pytest.mark.e2e


def submit(api: Api, title: str, user: str = "submitter") -> str:
    response = api.post("intake", "/api/requirements", as_user=user, json=requirement(title=title))
    assert response.status_code == 201, response.text
    return response.json()["id"]


def in_queue(api: Api, reviewer: str, ticket_id: str) -> bool:
    return any(t["_id"] == ticket_id for t in api.get("review", "/api/review-tasks", as_user=reviewer).json())


def review(api: Api, reviewer: str, ticket_id: str, action: str, **body) -> dict:
    eventually(lambda: in_queue(api, reviewer, ticket_id), what=f"{ticket_id} in {reviewer}'s queue")
    response = api.post("review", f"/api/review-tasks/{ticket_id}/{action}", as_user=reviewer, json=body)
    assert response.status_code == 200, response.text
    return response.json()


def inbox(api: Api, user: str, ticket_id: str) -> list[dict]:
    items = api.get("notify", "/api/notifications", as_user=user, params={"limit": 200}).json()
    return [n for n in items if n["ticket_id"] == ticket_id]


def ticket_status(api: Api, ticket_id: str, user: str = "submitter") -> str | None:
    tickets = api.get("portal", "/api/tickets", as_user=user, params={"limit": 200}).json()
    return next((t.get("status") for t in tickets if t["_id"] == ticket_id), None)


def test_rejection_at_the_county_reaches_the_submitter_with_its_reason(api: Api) -> None:
    ticket_id = submit(api, "县级驳回：个性化报表")
    reason = "该报表仅适用于本单位，不具有通用性，建议通过现有自定义查询实现。"
    review(api, "county", ticket_id, "reject", reason=reason)

    [told] = eventually(lambda: inbox(api, "submitter", ticket_id), what="the rejection in the submitter's inbox")
    assert reason in told["body"]
    eventually(lambda: ticket_status(api, ticket_id) == "rejected", what="the ticket marked rejected")
    requirement_doc = eventually(
        lambda: (
            (r := api.get("intake", f"/api/requirements/{ticket_id}", as_user="submitter").json())["status"]
            == "rejected"
            and r
        ),
        what="intake closing the requirement",
    )
    assert requirement_doc["history"][-1]["reason"] == reason
    assert (
        api.put("intake", f"/api/requirements/{ticket_id}", as_user="submitter", json=requirement()).status_code == 409
    )


def test_rejection_at_the_city_after_the_county_recommended_it(api: Api) -> None:
    ticket_id = submit(api, "市级驳回：重复需求")
    review(api, "county", ticket_id, "forward", opinion="建议实现")
    review(api, "city", ticket_id, "reject", reason="与本月已上报的指标导出需求重复，已合并处理。")

    [told] = eventually(lambda: inbox(api, "submitter", ticket_id), what="the rejection in the submitter's inbox")
    assert "盟市" in told["body"]
    assert not in_queue(api, "region", ticket_id)


def test_returned_requirement_is_amended_resubmitted_and_reviewed_again_from_the_county(api: Api) -> None:
    ticket_id = submit(api, "退回修改：支付查询")
    review(api, "county", ticket_id, "forward")
    review(api, "city", ticket_id, "return", reason="请补充业务场景和预期效果")

    eventually(
        lambda: api.get("intake", f"/api/requirements/{ticket_id}", as_user="submitter").json()["status"] == "returned",
        what="intake reopening the requirement for amendment",
    )
    amended = requirement(
        title="退回修改：支付查询（已补充）", business_scenario="月末对账时需要按资金性质筛选支付申请。"
    )
    assert api.put("intake", f"/api/requirements/{ticket_id}", as_user="submitter", json=amended).status_code == 204
    resubmitted = api.post("intake", f"/api/requirements/{ticket_id}/submit", as_user="submitter")
    assert resubmitted.json() == {"id": ticket_id, "status": "submitted"}

    # Review starts again at the unit's own bureau (第三条), with the amended title.
    eventually(lambda: in_queue(api, "county", ticket_id), what="the resubmission in the county queue")
    case = api.get("review", f"/api/review-cases/{ticket_id}", as_user="county").json()
    assert case["title"] == "退回修改：支付查询（已补充）"
    assert [t["id"] for t in case["tasks"]][-1].endswith(":county:2")
