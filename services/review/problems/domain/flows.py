"""The states of a problem case, its steps, and which step each category's flow allows in which state
(第十一条一～四); the diagram is in case.py."""

from enum import StrEnum


class Status(StrEnum):
    REPORTED = "reported"
    REFINED = "refined"
    WAITING_FOR_USER = "waiting_for_user"
    AWAITING_USER_CONFIRMATION = "awaiting_user_confirmation"
    READY_FOR_DISPATCH = "ready_for_dispatch"
    AWAITING_CONFIGURATION = "awaiting_configuration"
    AWAITING_VERIFICATION = "awaiting_verification"
    AWAITING_CITY_REVIEW = "awaiting_city_review"
    AWAITING_REGION_REVIEW = "awaiting_region_review"
    AWAITING_BUSINESS_CONFIRMATION = "awaiting_business_confirmation"
    PLANNING = "planning"
    AWAITING_PLAN_CONFIRMATION = "awaiting_plan_confirmation"
    AWAITING_BACKUP = "awaiting_backup"
    AWAITING_REPAIR = "awaiting_repair"
    AWAITING_ANSWER = "awaiting_answer"
    ANSWERED = "answered"
    CLOSED = "closed"

    @property
    def label(self) -> str:
        return STATUS_LABELS[self]


STATUS_LABELS = {
    Status.REPORTED: "已上报，待梳理细化",
    Status.REFINED: "已梳理细化",
    Status.WAITING_FOR_USER: "待用户补充信息",
    Status.AWAITING_USER_CONFIRMATION: "待用户确认问题",
    Status.READY_FOR_DISPATCH: "待派发工单 / 修复中",
    Status.AWAITING_CONFIGURATION: "待自治区配置",
    Status.AWAITING_VERIFICATION: "待用户验证",
    Status.AWAITING_CITY_REVIEW: "待盟市财政审核",
    Status.AWAITING_REGION_REVIEW: "待自治区财政厅审核",
    Status.AWAITING_BUSINESS_CONFIRMATION: "待归口业务处室确认",
    Status.PLANNING: "制定数据修复方案",
    Status.AWAITING_PLAN_CONFIRMATION: "待用户确认修复方案",
    Status.AWAITING_BACKUP: "待备份原始数据",
    Status.AWAITING_REPAIR: "待数据修复",
    Status.AWAITING_ANSWER: "待答复",
    Status.ANSWERED: "已答复，待用户确认",
    Status.CLOSED: "已办结",
}
OUTCOME_LABELS = {"resolved": "已解决", "not_compliant": "不符合规范", "rejected": "审核未通过", "declined": "不予修复"}
CATEGORY_LABELS = {"bug": "软件BUG", "configuration": "功能配置", "data_repair": "数据修复", "consulting": "操作咨询"}
# The reporter's turn: the clocks pause (services/review/problems/sla.py).
USER_STATUSES = frozenset(
    {
        Status.WAITING_FOR_USER,
        Status.AWAITING_USER_CONFIRMATION,
        Status.AWAITING_PLAN_CONFIRMATION,
        Status.AWAITING_VERIFICATION,
        Status.ANSWERED,
    }
)


class Step(StrEnum):
    REFINE = "refine"
    REPRODUCE = "reproduce"
    REPLY = "reply"
    CONFIRM = "confirm"
    RELEASE = "release"
    VERIFY = "verify"
    CHECK_COMPLIANCE = "check_compliance"
    CONFIGURE = "configure"
    REVIEW = "review"
    CONFIRM_BUSINESS = "confirm_business"
    PLAN = "plan"
    ANSWER_PLAN = "answer_plan"
    BACK_UP = "back_up"
    REPAIR = "repair"
    ESCALATE = "escalate"
    ASK_USER = "ask_user"
    ANSWER = "answer"
    ACCEPT = "accept"
    ASK_AGAIN = "ask_again"
    PROMOTE = "promote"
    CLAIM = "claim"
    REASSIGN = "reassign"
    RATE = "rate"


def _in(*statuses: Status) -> frozenset[Status]:
    return frozenset(statuses)


FLOWS: dict[str, dict[Step, frozenset[Status]]] = {
    "bug": {  # 第十一条一
        Step.REFINE: _in(Status.REPORTED),
        Step.REPRODUCE: _in(Status.REFINED),
        Step.REPLY: _in(Status.WAITING_FOR_USER),
        Step.CONFIRM: _in(Status.AWAITING_USER_CONFIRMATION),
        Step.RELEASE: _in(Status.READY_FOR_DISPATCH),
        Step.VERIFY: _in(Status.AWAITING_VERIFICATION),
    },
    "configuration": {  # 第十一条二
        Step.REFINE: _in(Status.REPORTED),
        Step.CHECK_COMPLIANCE: _in(Status.REFINED),
        Step.CONFIGURE: _in(Status.AWAITING_CONFIGURATION),
        Step.VERIFY: _in(Status.AWAITING_VERIFICATION),
    },
    "data_repair": {  # 第七条, 第十一条三
        Step.REVIEW: _in(Status.AWAITING_CITY_REVIEW, Status.AWAITING_REGION_REVIEW),
        Step.CONFIRM_BUSINESS: _in(Status.AWAITING_BUSINESS_CONFIRMATION),
        Step.PLAN: _in(Status.PLANNING),
        Step.ANSWER_PLAN: _in(Status.AWAITING_PLAN_CONFIRMATION),
        Step.BACK_UP: _in(Status.AWAITING_BACKUP),
        Step.REPAIR: _in(Status.AWAITING_REPAIR),
        Step.VERIFY: _in(Status.AWAITING_VERIFICATION),
    },
    "consulting": {  # 第七条, 第十一条四
        Step.ESCALATE: _in(Status.AWAITING_ANSWER),
        Step.ASK_USER: _in(Status.AWAITING_ANSWER),
        Step.REPLY: _in(Status.WAITING_FOR_USER),
        Step.ANSWER: _in(Status.AWAITING_ANSWER),
        Step.ACCEPT: _in(Status.ANSWERED),
        Step.ASK_AGAIN: _in(Status.ANSWERED),
        Step.PROMOTE: _in(Status.ANSWERED, Status.CLOSED),
    },
}


# Who handles it now (handling.py): a person of the desk that acts claims the case in any state that waits for
# staff; a consulting question that reached the wrong desk is reassigned while it waits for its answer.
STAFF_STATUSES = frozenset(Status) - USER_STATUSES - {Status.CLOSED}
for _flow in FLOWS.values():
    _flow[Step.CLAIM] = STAFF_STATUSES & frozenset().union(*_flow.values())
    _flow[Step.RATE] = _in(Status.CLOSED)  # 满意度: the reporter rates the service once it is closed
FLOWS["consulting"][Step.REASSIGN] = _in(Status.AWAITING_ANSWER)
