"""People, reports and cases in every state, for the problem procedure's unit tests (demo-data shaped)."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

from services.review.problems import clocks
from services.review.problems.domain import (
    AcceptAnswer,
    AnswerQuestion,
    AnswerRepairPlan,
    AskAgain,
    AskUser,
    CheckCompliance,
    ConfigureProblem,
    ConfirmProblem,
    ConfirmRepairForBusiness,
    EscalateQuestion,
    Link,
    MarkFixReleased,
    PlanRepair,
    ProblemCase,
    RecordBackup,
    RecordRepair,
    RefineProblem,
    ReplyToQuestion,
    ReproduceProblem,
    ReviewRepair,
    Status,
    Step,
    VerifyResult,
    open_problem_case,
    take_step,
)
from services.review.problems.domain.commands import ClaimCase, RateService, ReassignQuestion
from services.review.tests.factories import BIZDIV, CITY, COUNTY, ITDIV, REGION, SUBMITTER_USER, person
from shared.auth import DUTY_OPERATOR, SUBMITTER
from shared.events import (
    BugDetails,
    ConfigurationDetails,
    ConsultingDetails,
    DataItem,
    DataRepairDetails,
    ProblemReported,
)
from shared.workcalendar import WorkCalendar

BEIJING = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 12, 1, 10, 0, tzinfo=BEIJING)  # Tuesday, a working day
CALENDAR = WorkCalendar()
UNIT_PATH = ["150000", "150100", "150102", "bu-150102-01"]
BANK_PATH = ["150000", "fi-150000-abc"]
DUTY = person("duty", "itd", "it_division", "150000", [DUTY_OPERATOR])
BANK = person("bank", "fi-150000-abc", "financial_institution", "150000", [SUBMITTER])
COLLEAGUE = person("colleague", "bu-150102-01", "budget_unit", "150102", [SUBMITTER])  # same unit
OTHER_UNIT = person("other", "bu-150102-02", "budget_unit", "150102", [SUBMITTER])
TREASURY = person("treasury", "bd-treasury", "business_division", "150000", ["business_division"])
SHA = "a" * 64

DETAILS = {
    "bug": BugDetails(error_text="500 Internal Server Error", steps="支付管理 → 回单查询 → 下载", os="Windows 10",
                      browser="Chrome", browser_version="120", business_impact="无法打印回单"),
    "configuration": ConfigurationDetails(desired_configuration="指标文号必填", effective_from=date(2027, 1, 1)),
    "data_repair": DataRepairDetails(scope="新城区教育局 2026 年基本支出指标", business_year=2026,
                                     items=[DataItem(item="三保标识", before="否", after="是")], reason="误选标识"),
    "consulting": ConsultingDetails(question_type="software_operation"),
}  # fmt: skip


def reported(category: str, ticket_id: str = "PRB-202612-0001", **overrides) -> ProblemReported:
    fields = {
        "ticket_id": ticket_id,
        "category": category,
        "title": "直达资金支付进度在哪里查看",
        "description": "需要查询直达资金的支付进度，找不到对应菜单。",
        "channel": "form",
        "details": DETAILS[category],
        "submitter_id": SUBMITTER_USER.user_id,
        "submitter_name": "张敏",
        "org_id": "bu-150102-01",
        "org_name": "新城区教育局",
        "org_kind": "budget_unit",
        "org_path": UNIT_PATH,
    }
    return ProblemReported(**{**fields, **overrides})


def opened(category: str, *, at: datetime = NOW, calendar: WorkCalendar = CALENDAR, **overrides) -> ProblemCase:
    event = reported(category, **overrides)
    record = clocks.start_clocks(category, event.urgent, at, calendar)
    case = open_problem_case(event, opened_at=at, opened_month=f"{at:%Y-%m}", sla=record)
    case.events.clear()
    return case


def business_question(**overrides) -> ProblemCase:
    return opened("consulting", details=ConsultingDetails(question_type="business"), **overrides)


LINK = Link("指标查询操作手册", "https://help.example.gov.cn/manual/zhibiao", "manual")
# Commands good for each step (a legal step succeeds with them; an illegal one is refused before use).
COMMANDS = {
    Step.REFINE: RefineProblem(notes="已确认报错与操作环境"),
    Step.REPRODUCE: ReproduceProblem(reproduced=True, notes="测试环境复现"),
    Step.REPLY: ReplyToQuestion("补充了截图和操作时间"),
    Step.CONFIRM: ConfirmProblem("修复后能正常下载回单"),
    Step.RELEASE: MarkFixReleased("V3.2.1-patch7", "修复回单下载"),
    Step.VERIFY: VerifyResult(True),
    Step.CHECK_COMPLIANCE: CheckCompliance(True, "符合财政部规范", "bd-budget"),
    Step.CONFIGURE: ConfigureProblem("指标文号设为必填", date(2027, 1, 1)),
    Step.REVIEW: ReviewRepair(True, "同意修复"),
    Step.CONFIRM_BUSINESS: ConfirmRepairForBusiness(True, "确认需修正"),
    Step.PLAN: PlanRepair("指标下达", "指标数据", "影响下游支付申请", ("三保支出统计表",), "三保标识一致性监控"),
    Step.ANSWER_PLAN: AnswerRepairPlan(True),
    Step.BACK_UP: RecordBackup("backup://2026/PRB-202612-0001.dump", SHA),
    Step.REPAIR: RecordRepair("已执行修复脚本"),
    Step.ESCALATE: EscalateQuestion("涉及政策口径，本级无法答复", "bd-budget"),
    Step.ASK_USER: AskUser("请说明使用的是哪个菜单"),
    Step.ANSWER: AnswerQuestion("在 支付管理 → 直达资金 → 支付进度查询 中查看。", (LINK,)),
    Step.ACCEPT: AcceptAnswer(),
    Step.ASK_AGAIN: AskAgain("菜单里没有这个选项"),
    Step.CLAIM: ClaimCase(),
    Step.RATE: RateService(5, "答复及时、清楚"),
    Step.REASSIGN: ReassignQuestion("business_division", "属于预算业务口径问题，应由业务处室答复", "bd-budget"),
}
# Who takes each step in the demo (the reporter is the submitter).
ACTORS = {
    Step.REFINE: ITDIV, Step.REPRODUCE: ITDIV, Step.RELEASE: ITDIV, Step.CONFIGURE: ITDIV, Step.PLAN: ITDIV,
    Step.BACK_UP: ITDIV, Step.REPAIR: ITDIV, Step.CHECK_COMPLIANCE: ITDIV, Step.CONFIRM_BUSINESS: BIZDIV,
    Step.REVIEW: CITY, Step.ESCALATE: COUNTY, Step.ASK_USER: ITDIV, Step.ANSWER: ITDIV, Step.PROMOTE: ITDIV,
    Step.REPLY: SUBMITTER_USER, Step.CONFIRM: SUBMITTER_USER, Step.VERIFY: SUBMITTER_USER,
    Step.ANSWER_PLAN: SUBMITTER_USER, Step.ACCEPT: SUBMITTER_USER, Step.ASK_AGAIN: SUBMITTER_USER,
    Step.CLAIM: ITDIV, Step.REASSIGN: ITDIV, Step.RATE: SUBMITTER_USER,
}  # fmt: skip
NOT_REPRODUCED = ReproduceProblem(reproduced=False, question="请提供报错截图和操作时间")
# The steps that bring a new case to each state (data repair: a county unit, reviewed by city then region).
PATHS: dict[str, dict[Status, list]] = {
    "bug": {
        Status.REPORTED: [],
        Status.REFINED: [Step.REFINE],
        Status.WAITING_FOR_USER: [Step.REFINE, (Step.REPRODUCE, NOT_REPRODUCED)],
        Status.AWAITING_USER_CONFIRMATION: [Step.REFINE, Step.REPRODUCE],
        Status.READY_FOR_DISPATCH: [Step.REFINE, Step.REPRODUCE, Step.CONFIRM],
        Status.AWAITING_VERIFICATION: [Step.REFINE, Step.REPRODUCE, Step.CONFIRM, Step.RELEASE],
        Status.CLOSED: [Step.REFINE, Step.REPRODUCE, Step.CONFIRM, Step.RELEASE, Step.VERIFY],
    },
    "configuration": {
        Status.REPORTED: [],
        Status.REFINED: [Step.REFINE],
        Status.AWAITING_CONFIGURATION: [Step.REFINE, Step.CHECK_COMPLIANCE],
        Status.AWAITING_VERIFICATION: [Step.REFINE, Step.CHECK_COMPLIANCE, Step.CONFIGURE],
        Status.CLOSED: [Step.REFINE, Step.CHECK_COMPLIANCE, Step.CONFIGURE, Step.VERIFY],
    },
    "data_repair": {
        Status.AWAITING_CITY_REVIEW: [],
        Status.AWAITING_REGION_REVIEW: [(Step.REVIEW, None, CITY)],
        Status.AWAITING_BUSINESS_CONFIRMATION: [(Step.REVIEW, None, CITY), (Step.REVIEW, None, REGION)],
    },
    "consulting": {
        Status.AWAITING_ANSWER: [],
        Status.WAITING_FOR_USER: [Step.ASK_USER],
        Status.ANSWERED: [Step.ANSWER],
        Status.CLOSED: [Step.ANSWER, Step.ACCEPT],
    },
}
_REPAIR = PATHS["data_repair"]
_REPAIR[Status.PLANNING] = [*_REPAIR[Status.AWAITING_BUSINESS_CONFIRMATION], Step.CONFIRM_BUSINESS]
_REPAIR[Status.AWAITING_PLAN_CONFIRMATION] = [*_REPAIR[Status.PLANNING], Step.PLAN]
_REPAIR[Status.AWAITING_BACKUP] = [*_REPAIR[Status.AWAITING_PLAN_CONFIRMATION], Step.ANSWER_PLAN]
_REPAIR[Status.AWAITING_REPAIR] = [*_REPAIR[Status.AWAITING_BACKUP], Step.BACK_UP]
_REPAIR[Status.AWAITING_VERIFICATION] = [*_REPAIR[Status.AWAITING_REPAIR], Step.REPAIR]
_REPAIR[Status.CLOSED] = [*_REPAIR[Status.AWAITING_VERIFICATION], Step.VERIFY]


def step(case: ProblemCase, what, *, now: datetime = NOW) -> None:
    """Take one step: a Step (with its usual command and actor) or (Step, command or None, actor)."""
    name, command, by = (what, None, None) if isinstance(what, Step) else (*what, None)[:3]
    take_step(case, name, command or COMMANDS[name], by=by or ACTORS[name], now=now)


def in_status(category: str, status: Status, **overrides) -> ProblemCase:
    case = opened(category, **overrides)
    for what in PATHS[category][status]:
        step(case, what)
    assert case.status is status, (category, status, case.status)
    case.events.clear()
    return case


def event_types(case: ProblemCase) -> list[str]:
    return [type(event).__name__ for event in case.events]
