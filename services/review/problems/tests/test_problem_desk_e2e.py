"""Operation consulting, the FAQ, the problem ledger and the SLA figures through the running services
(第七条, 第九条, 第十一条一、四)."""

from io import BytesIO

import pytest
from openpyxl import load_workbook

from services.review.problems.tests.support import (
    BUG,
    act,
    audited,
    case_of,
    consulting,
    done,
    problem,
    record_call,
    report,
)
from tests.support import Api, eventually

pytestmark = pytest.mark.e2e
MONTH = "2026-12"  # the business clock of the test stack starts on 1 December 2026


def test_consulting_call_recorded_by_the_duty_operator_is_answered_by_the_it_division_and_accepted(api: Api) -> None:
    ticket_id = record_call(api, consulting("如何查询直达资金支付进度"), org_id="fi-150000-abc")
    case = case_of(api, ticket_id, as_user="bank")
    assert (case["channel"], case["recorded_by"], case["owner_role"]) == ("hotline", "u-duty", "it_or_support")
    assert ticket_id in {c["_id"] for c in api.get("review", "/api/problem-queue", as_user="duty").json()}
    assert act(api, "bizdiv", ticket_id, "answer", answer="请咨询信息化处").status_code == 403

    link = {"title": "支付管理操作手册", "url": "https://help.example.gov.cn/manual/pay", "kind": "manual"}
    answered = done(api, "itdiv", ticket_id, "answer", answer="在 支付管理 → 直达资金 → 支付进度查询 中查看。",
                    links=[link])  # fmt: skip
    assert (answered["status"], answered["sla"]["response_state"], answered["sla"]["responded_same_day"]) == (
        "answered",
        "met",
        True,
    )
    assert act(api, "submitter", ticket_id, "accept").status_code == 404  # another organisation's call
    closed = done(api, "bank", ticket_id, "accept")
    assert (closed["status"], closed["sla"]["resolved_same_day"], closed["sla_state"]) == ("closed", True, "met")
    audited(api, ticket_id, "ProblemAnswered", "ProblemClosed")


def test_business_question_escalated_by_the_county_is_answered_by_the_business_division(api: Api) -> None:
    ticket_id = report(api, consulting("结转资金能否调剂用于基本支出", "business"))
    assert case_of(api, ticket_id)["owner_org_id"] == "fb-150102"  # the unit's own finance bureau answers
    assert act(api, "itdiv", ticket_id, "answer", answer="可以").status_code == 403
    escalated = done(
        api, "county", ticket_id, "escalate", reason="涉及政策口径，本级无法答复", business_division_id="bd-budget"
    )
    assert (escalated["owner_role"], escalated["escalated"]) == ("business_division", True)
    assert ticket_id in {c["_id"] for c in api.get("review", "/api/problem-queue", as_user="bizdiv").json()}
    answered = done(api, "bizdiv", ticket_id, "answer", answer="按财预〔2026〕1 号文件，结转资金原则上不得调剂。")
    again = done(api, "submitter", ticket_id, "ask-again", question="项目结余资金呢？")
    assert (answered["status"], again["status"], again["owner_org_id"]) == ("answered", "awaiting_answer", "bd-budget")
    done(api, "bizdiv", ticket_id, "answer", answer="项目结余资金按规定收回统筹使用。")
    assert done(api, "submitter", ticket_id, "accept")["outcome"] == "resolved"


def test_faq_entry_is_suggested_before_a_consulting_ticket_is_submitted(api: Api) -> None:
    entry = {
        "question": "如何打印国库集中支付凭证回单",
        "answer": "在 支付管理 → 回单查询 中勾选凭证后点击打印。",
        "category": "software_operation",
        "module": "支付管理",
        "links": [{"title": "回单打印操作视频", "url": "https://mp.example.cn/video/huidan", "kind": "video"}],
    }
    assert api.post("review", "/api/faq", as_user="bizdiv", json=entry).status_code == 403
    bad_link = {**entry, "links": [{"title": "x", "url": "javascript:alert(1)"}]}
    assert api.post("review", "/api/faq", as_user="itdiv", json=bad_link).status_code == 422
    published = api.post("review", "/api/faq", as_user="itdiv", json=entry)
    assert published.status_code == 201, published.text
    entry_id = published.json()["_id"]

    # The submitter starts writing a consulting ticket: matching entries are shown before it is sent.
    suggested = api.get("review", "/api/faq/suggest", as_user="submitter", params={"q": "支付凭证回单怎么打印"}).json()
    assert suggested[0]["_id"] == entry_id and suggested[0]["links"][0]["kind"] == "video"
    found = api.get("review", "/api/faq", as_user="bank", params={"q": "回单 打印"}).json()
    assert entry_id in {e["_id"] for e in found}
    assert api.get("review", "/api/faq", as_user="bank", params={"q": "回单 不存在的词"}).json() == []
    audited(api, entry_id, "FaqEntryPublished")


def test_consulting_answer_promoted_to_the_faq_is_searchable(api: Api) -> None:
    ticket_id = report(api, consulting("用款计划如何批量导入"))
    done(api, "duty", ticket_id, "answer", answer="在 用款计划 → 批量导入 中下载模板，填好后上传。")
    promoted = api.post("review", f"/api/problem-cases/{ticket_id}/promote-to-faq", as_user="itdiv", json={})
    assert promoted.status_code == 200, promoted.text
    entry_id = promoted.json()["entry"]["_id"]
    again = api.post("review", f"/api/problem-cases/{ticket_id}/promote-to-faq", as_user="itdiv", json={})
    assert (again.status_code, again.json()["error"]) == (409, "already_promoted")
    found = api.get("review", "/api/faq", as_user="submitter2", params={"q": "用款计划 批量导入"}).json()
    assert [e["_id"] for e in found if e["_id"] == entry_id] == [entry_id]
    assert api.get("review", f"/api/faq/{entry_id}", as_user="county2").json()["source_ticket_id"] == ticket_id


def test_problem_ledger_lists_the_area_urgent_first_and_exports_xlsx(api: Api) -> None:
    normal = report(api, problem("bug", "指标查询分页错误", BUG))
    urgent = report(api, problem("bug", "支付申请无法提交", BUG, urgent=True))
    rows = api.get("review", "/api/problem-ledger", as_user="county", params={"category": "bug", "limit": 500}).json()
    ids = [row["_id"] for row in rows]
    assert {normal, urgent} <= set(ids) and ids.index(urgent) < ids.index(normal)
    assert [row["urgent"] for row in rows] == sorted((row["urgent"] for row in rows), reverse=True)
    row = rows[ids.index(urgent)]
    assert (row["status_label"], row["owner_label"], row["sla_state"]) == (
        "已上报，待梳理细化",
        "财政厅信息化处",
        "on_track",
    )
    assert normal not in {r["_id"] for r in api.get("review", "/api/problem-ledger", as_user="county2").json()}
    only_urgent = api.get("review", "/api/problem-ledger", as_user="itdiv", params={"urgent": True, "org": "150102"})
    assert all(r["urgent"] for r in only_urgent.json()) and urgent in {r["_id"] for r in only_urgent.json()}

    export = api.get("review", "/api/problem-ledger.xlsx", as_user="county", params={"category": "bug"})
    assert export.status_code == 200 and "attachment" in export.headers["content-disposition"]
    sheet = load_workbook(BytesIO(export.content)).active
    assert [cell.value for cell in sheet[1]][:5] == ["问题编号", "标题", "问题类别", "急事急办", "状态"]
    assert urgent in {row[0] for row in sheet.iter_rows(min_row=2, values_only=True)}


def test_sla_figures_give_the_2_hour_and_same_day_rates_of_an_organisation(api: Api) -> None:
    ticket_id = record_call(api, consulting("单位信息如何维护"), org_id="fi-150100-icbc", channel="wechat_group")
    done(api, "itdiv", ticket_id, "answer", answer="在 基础信息 → 单位信息 中维护。")
    done(api, "duty", ticket_id, "accept")
    figures = api.get(
        "review", "/api/problems-sla/figures", as_user="itdiv", params={"month": MONTH, "org": "fi-150100-icbc"}
    )
    consulting_figures = figures.json()["consulting"]
    assert consulting_figures["reported"] == 1
    assert (consulting_figures["two_hour_response_rate"], consulting_figures["same_day_response_rate"]) == (1.0, 1.0)
    assert consulting_figures["same_day_resolution_rate"] == 1.0
    city = api.get("review", "/api/problems-sla/figures", as_user="city", params={"month": MONTH, "org": "150100"})
    assert city.status_code == 200 and "consulting" in city.json()
    assert (
        api.get("review", "/api/problems-sla/figures", as_user="submitter", params={"month": MONTH}).status_code == 403
    )
    assert (
        api.get("review", "/api/problems-sla/figures", as_user="itdiv", params={"month": "2026-13"}).status_code == 422
    )


def inbox_of(api: Api, user: str, ticket_id: str) -> list[dict]:
    items = api.get("notify", "/api/notifications", as_user=user, params={"limit": 200}).json()
    return [item for item in items if item["ticket_id"] == ticket_id]


def test_a_business_question_is_told_to_the_county_bureau_and_answered_there_not_to_the_it_division(api: Api) -> None:
    """第七条, 第十一条四3: business questions are answered by the reporter's own finance bureau within 2 working
    hours; the IT division sees the question read-only and is not asked to refine it."""
    ticket_id = report(api, consulting("项目支出能否跨年度结转使用", "business"))
    [told] = eventually(lambda: inbox_of(api, "county", ticket_id), timeout=60, what="the county bureau's notification")
    assert told["title"] == "业务咨询待答复：项目支出能否跨年度结转使用" and "2 个工作小时" in told["body"]

    as_it = case_of(api, ticket_id, as_user="itdiv")
    assert (as_it["owner_role"], as_it["owner_org_id"], as_it["steps"]) == ("reviewer", "fb-150102", [])
    assert ticket_id not in {c["_id"] for c in api.get("review", "/api/problem-queue", as_user="itdiv").json()}
    assert ticket_id not in {c["_id"] for c in api.get("review", "/api/problem-queue", as_user="duty").json()}

    claimed = done(api, "county", ticket_id, "claim")
    assert claimed["assignee"]["name"] and "claim" not in claimed["steps"] and "answer" in claimed["steps"]
    answered = done(api, "county", ticket_id, "answer", answer="可以，按结转资金管理办法办理结转。")
    assert (answered["status"], answered["sla"]["response_state"]) == ("answered", "met")
    audited(api, ticket_id, "ProblemClaimed", "ProblemAnswered")
    assert inbox_of(api, "itdiv", ticket_id) == []  # the answer went to the reporter, never to the IT division


def test_a_question_sent_to_the_wrong_desk_is_reassigned_with_a_reason_and_its_clock_runs_on(api: Api) -> None:
    ticket_id = report(api, consulting("结余资金收回的政策依据是什么"))  # marked as software operation
    before = case_of(api, ticket_id, as_user="duty")
    assert "reassign" in before["steps"]
    short = act(api, "duty", ticket_id, "reassign", to="bureau", reason="业务问题")
    assert short.status_code == 422 and "reason" in short.text

    reason = "这是结余资金的政策口径问题，应由本级财政部门答复"
    moved = done(api, "duty", ticket_id, "reassign", to="bureau", reason=reason)
    assert (moved["owner_role"], moved["owner_org_id"]) == ("reviewer", "fb-150102")
    assert (moved["response_due_at"], moved["resolution_due_at"]) == (
        before["response_due_at"],
        before["resolution_due_at"],
    )
    assert case_of(api, ticket_id, as_user="duty")["steps"] == []
    [told] = eventually(
        lambda: [n for n in inbox_of(api, "county", ticket_id) if n["title"].startswith("转派给您")],
        timeout=60,
        what="the county bureau told of the reassignment",
    )
    assert reason in told["body"]

    def timeline() -> list[dict] | None:
        entries = api.get("portal", f"/api/tickets/{ticket_id}/timeline", as_user="submitter").json()["entries"]
        return [entry for entry in entries if entry["label"] == "转派"] or None

    [entry] = eventually(timeline, what="the reassignment on the timeline")
    assert reason in entry["detail"]


def test_a_rating_of_a_closed_problem_counts_in_the_months_satisfaction_and_a_poor_one_reaches_the_it_division(
    api: Api,
) -> None:
    def satisfaction() -> dict:
        params = {"month": MONTH, "org": "bu-150102-01"}
        return api.get("review", "/api/problems-sla/figures", as_user="itdiv", params=params).json()["satisfaction"]

    ticket_id = report(api, consulting("如何打印单位零余额账户对账单"))
    done(api, "itdiv", ticket_id, "answer", answer="在 账户管理 → 对账单 中选择月份后打印。")
    done(api, "submitter", ticket_id, "accept")
    before = satisfaction()
    assert act(api, "submitter", ticket_id, "rate", score=6).status_code == 422
    assert act(api, "itdiv", ticket_id, "rate", score=5).status_code == 403

    rated = done(api, "submitter", ticket_id, "rate", score=2, comment="答复太简单，没有说明打印格式")
    assert (rated["rating"]["score"], rated["steps"]) == (2, [])
    assert act(api, "submitter", ticket_id, "rate", score=5).status_code == 409
    after = satisfaction()
    assert after["rated"] == before["rated"] + 1
    total_before = (before["average_score"] or 0) * before["rated"]
    assert after["average_score"] == pytest.approx((total_before + 2) / after["rated"], abs=0.01)
    title = f"问题 {ticket_id} 收到不满意评价（2 星）"
    [poor] = eventually(
        lambda: [n for n in inbox_of(api, "itdiv", ticket_id) if n["title"] == title], timeout=60, what="IT told"
    )
    assert "打印格式" in poor["body"]
