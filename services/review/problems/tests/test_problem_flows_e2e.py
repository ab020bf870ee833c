"""The problem procedure through the running services (第十一条一～三), real Kafka and PostgreSQL: intake takes
the report, review opens the case from its event, every step goes through review's HTTP API, and the
events reach Kafka (seen in the portal's audit trail)."""

import pytest

from services.review.problems.tests.support import (
    BUG,
    CONFIGURATION,
    DATA_REPAIR,
    PLAN,
    SHA256,
    act,
    audited,
    case_of,
    done,
    problem,
    report,
)
from tests.support import Api, eventually

pytestmark = pytest.mark.e2e


def test_bug_refined_reproduced_confirmed_dispatched_patched_and_verified_is_closed(api: Api) -> None:
    ticket_id = report(api, problem("bug", "支付回单无法下载", BUG, urgent=True))
    assert act(api, "submitter", ticket_id, "refine").status_code == 403  # the IT division refines
    assert act(api, "county2", ticket_id, "refine").status_code == 404  # another city's county: no such case
    early = act(api, "submitter", ticket_id, "verify", passed=True)
    assert (early.status_code, early.json()["error"]) == (409, "illegal_transition")

    refined = done(api, "itdiv", ticket_id, "refine", notes="已确认报错与浏览器版本")
    assert (refined["sla"]["policy"], refined["sla"]["response_state"]) == ("bug_urgent", "met")
    done(api, "itdiv", ticket_id, "reproduce", reproduced=True, notes="测试环境复现")
    ready = done(api, "submitter", ticket_id, "confirm", requirements="修复后能正常下载回单")
    assert (ready["status"], ready["owner_role"]) == ("ready_for_dispatch", "it_division")
    done(api, "itdiv", ticket_id, "patch-released", version="V3.2.1-patch7")
    closed = done(api, "submitter", ticket_id, "verify", passed=True)

    assert (closed["status"], closed["outcome"], closed["sla_state"]) == ("closed", "resolved", "met")
    actions = [entry["action"] for entry in case_of(api, ticket_id)["history"]]
    assert actions == ["reported", "refined", "reproduced", "confirmed_by_user", "fix_released", "verification_passed"]
    entries = audited(api, ticket_id, "ProblemReadyForDispatch", "ProblemClosed")
    dispatch = next(entry for entry in entries if entry["action"] == "ProblemReadyForDispatch")
    assert (dispatch["data"]["data"]["priority_suggestion"], dispatch["data"]["data"]["urgent"]) == ("P1", True)


def test_bug_not_reproducible_waits_for_the_user_then_is_reproduced(api: Api) -> None:
    ticket_id = report(api, problem("bug", "指标导出偶发空白", BUG))
    done(api, "itdiv", ticket_id, "refine")
    missing = act(api, "itdiv", ticket_id, "reproduce", reproduced=False)
    assert (missing.status_code, missing.json()["detail"][0]["field"]) == (422, "question")

    waiting = done(api, "itdiv", ticket_id, "reproduce", reproduced=False, question="请提供报错截图和操作时间")
    assert (waiting["status"], waiting["owner_role"], waiting["sla"]["resolution_state"]) == (
        "waiting_for_user",
        "reporter",
        "paused",
    )
    assert ticket_id in {case["_id"] for case in api.get("review", "/api/problem-queue", as_user="submitter").json()}
    assert act(api, "county", ticket_id, "reply", reply="补充").status_code == 403  # only the reporter replies
    replied = done(api, "submitter", ticket_id, "reply", reply="已上传截图，操作时间 10:05")
    assert replied["status"] == "refined" and replied["pauses"][0]["end"] is not None
    assert done(api, "itdiv", ticket_id, "reproduce", reproduced=True)["status"] == "awaiting_user_confirmation"
    audited(api, ticket_id, "ProblemUserInputRequested", "ProblemUserReplied")


def test_bug_failing_second_verification_goes_back_to_ready_for_dispatch(api: Api) -> None:
    ticket_id = report(api, problem("bug", "用款计划审核按钮无响应", BUG))
    done(api, "itdiv", ticket_id, "refine")
    done(api, "itdiv", ticket_id, "reproduce", reproduced=True)
    done(api, "submitter", ticket_id, "confirm")
    done(api, "itdiv", ticket_id, "patch-released", version="V3.2.1-patch8")
    assert act(api, "submitter", ticket_id, "verify", passed=False).status_code == 422  # the reason is required

    failed = done(api, "submitter", ticket_id, "verify", passed=False, reason="点击审核仍无响应")

    assert (failed["status"], failed["dispatch_round"]) == ("ready_for_dispatch", 2)

    def both_rounds_audited() -> bool:
        entries = api.get("portal", "/api/audit", as_user="auditor", params={"subject": ticket_id}).json()
        rounds = [e["data"]["data"]["round"] for e in entries if e["action"] == "ProblemReadyForDispatch"]
        return sorted(rounds) == [1, 2]

    eventually(both_rounds_audited, what="a second work order round for dispatch")


def test_configuration_refined_compliant_configured_and_verified_is_closed(api: Api) -> None:
    ticket_id = report(api, problem("configuration", "指标文号设为必填", CONFIGURATION))
    done(api, "itdiv", ticket_id, "refine", notes="与预算处共同论证")
    assert act(api, "county", ticket_id, "compliance", compliant=True).status_code == 403
    done(api, "bizdiv", ticket_id, "compliance", compliant=True, reason="符合财政部规范")
    configured = done(api, "itdiv", ticket_id, "configure", change="指标文号设为必填", effective_from="2027-01-01")
    assert configured["configuration"]["effective_from"] == "2027-01-01"
    failed = done(api, "submitter", ticket_id, "verify", passed=False, reason="调整单仍可不填文号")
    assert failed["status"] == "awaiting_configuration"  # back to the configuration step
    done(api, "itdiv", ticket_id, "configure", change="指标文号及调整单文号设为必填", effective_from="2027-01-01")
    closed = done(api, "submitter", ticket_id, "verify", passed=True)
    assert (closed["status"], closed["outcome"]) == ("closed", "resolved")


def test_configuration_not_compliant_is_answered_at_once_and_closed(api: Api) -> None:
    ticket_id = report(api, problem("configuration", "允许跨年度直接修改指标", CONFIGURATION))
    done(api, "itdiv", ticket_id, "refine")
    reason = "跨年度修改指标不符合财政部预算管理一体化规范，请通过预算调整流程办理。"
    closed = done(
        api, "itdiv", ticket_id, "compliance", compliant=False, reason=reason, business_division_id="bd-budget"
    )
    assert (closed["status"], closed["outcome"], closed["outcome_reason"]) == ("closed", "not_compliant", reason)
    assert case_of(api, ticket_id)["history"][-1]["note"] == reason  # the reporter reads why
    audited(api, ticket_id, "ProblemComplianceChecked", "ProblemClosed")


def test_data_repair_reviewed_by_city_and_region_confirmed_planned_backed_up_repaired_and_confirmed(
    api: Api,
) -> None:
    ticket_id = report(api, problem("data_repair", "三保标识错误需修正", DATA_REPAIR))
    turn = act(api, "county", ticket_id, "review", approved=True)
    assert (turn.status_code, turn.json()["error"]) == (409, "not_your_turn")  # the league/city bureau reviews
    assert done(api, "city", ticket_id, "review", approved=True, opinion="同意")["status"] == "awaiting_region_review"
    done(api, "region", ticket_id, "review", approved=True, opinion="同意，转业务处室")
    done(api, "bizdiv", ticket_id, "business-confirmation", confirmed=True, reason="确需修正")
    done(api, "itdiv", ticket_id, "repair-plan", **PLAN)
    done(api, "submitter", ticket_id, "repair-plan/answer", accepted=True)
    early = act(api, "itdiv", ticket_id, "repaired", note="已修复")
    assert (early.status_code, early.json()["error"]) == (409, "backup_required")
    done(api, "itdiv", ticket_id, "backup", reference="backup://2026/三保标识.dump", sha256=SHA256.upper())
    done(api, "itdiv", ticket_id, "repaired", note="已执行修复脚本")
    closed = done(api, "submitter", ticket_id, "verify", passed=True)

    assert (closed["status"], closed["backup"]["sha256"], closed["business_division_id"]) == (
        "closed",
        SHA256,
        "bd-budget",
    )
    audited(api, ticket_id, "ProblemRepairReviewed", "ProblemDataBackedUp", "ProblemReadyForDispatch")


def test_data_repair_plan_refused_by_the_user_goes_back_to_planning(api: Api) -> None:
    ticket_id = report(api, problem("data_repair", "直达资金标识错误", DATA_REPAIR), as_user="bank")
    assert case_of(api, ticket_id, "bank")["status"] == "awaiting_region_review"  # a bank: no league/city
    done(api, "region", ticket_id, "review", approved=True)
    done(api, "bizdiv", ticket_id, "business-confirmation", confirmed=True)
    done(api, "itdiv", ticket_id, "repair-plan", **PLAN)

    refused = done(api, "bank", ticket_id, "repair-plan/answer", accepted=False, reason="方案未包含 2025 年结转数据")

    assert (refused["status"], refused["history"][-1]["note"]) == ("planning", "方案未包含 2025 年结转数据")
    assert done(api, "itdiv", ticket_id, "repair-plan", **PLAN)["plan"]["round"] == 2


def test_a_case_offers_each_reader_the_steps_that_are_theirs_now(api: Api) -> None:
    ticket_id = report(api, problem("bug", "指标调整单保存后金额清零", BUG))
    assert case_of(api, ticket_id, as_user="itdiv")["steps"] == ["refine", "claim"]
    assert case_of(api, ticket_id, as_user="submitter")["steps"] == []
    assert case_of(api, ticket_id, as_user="county")["steps"] == []  # reads it (its area), acts on nothing
    only = api.get("review", "/api/problem-ledger", as_user="submitter", params={"ticket_id": ticket_id}).json()
    assert [row["_id"] for row in only] == [ticket_id]
    assert api.get("review", "/api/problem-ledger", as_user="submitter2", params={"ticket_id": ticket_id}).json() == []

    done(api, "itdiv", ticket_id, "refine")
    reproduced = done(api, "itdiv", ticket_id, "reproduce", reproduced=True)
    assert reproduced["steps"] == []  # the step's answer is the case as its actor now sees it
    assert case_of(api, ticket_id, as_user="submitter")["steps"] == ["confirm"]
    queue = api.get("review", "/api/problem-queue", as_user="submitter").json()
    assert next(row for row in queue if row["_id"] == ticket_id)["steps"] == ["confirm"]
    ready = done(api, "submitter", ticket_id, "confirm")
    assert case_of(api, ticket_id, as_user="itdiv")["steps"] == ["patch-released", "claim"] and ready["steps"] == []
