"""How events read on a ticket's timeline and what state they leave the ticket in (the read model every
role sees). Events of one ticket arrive from several topics, so a status is taken only from an event at
least as new as the one that set the current status."""

from collections.abc import Callable
from typing import Any

from shared.events import Envelope
from shared.orgtree import VENDORS

LEVEL = {"county": "旗县区", "city": "盟市", "region": "自治区"}
# A vendor by its name, not its id (`vendor-a`); one added at run time is named by its id until it is here.
VENDOR_NAMES = dict(VENDORS)
# How a problem came in (第七条): the form, the hotline, a WeChat group (recorded by the duty operator).
CHANNEL = {"form": "网页填报", "hotline": "热线电话", "wechat_group": "微信群"}
STAGE = {"accepted": "已接单", "in_development": "开发中", "in_testing": "测试中", "delivered": "已交付"}

# type: (label, detail, status it leaves the ticket in or None)
Describe = Callable[[dict[str, Any]], str]
ENTRIES: dict[str, tuple[str, Describe, Callable[[dict[str, Any]], str | None]]] = {
    "RequirementSubmitted": (
        "提交需求",
        lambda d: f"{d['org_name']} {d['submitter_name']} {'重新' if d.get('round', 1) > 1 else ''}提交：{d['title']}",
        lambda d: "in_review",
    ),
    "ReviewTaskOpened": (
        "进入审核",
        lambda d: f"待{LEVEL[d['level']]}财政部门（{d['division_code']}）审核",
        lambda d: "in_review",
    ),
    "ReviewTaskOverdue": (
        "审核逾期",
        lambda d: f"{LEVEL[d['level']]}财政部门审核已超过时限（{d['due_on']}）",
        lambda d: None,
    ),
    "RequirementForwarded": (
        "审核通过",
        lambda d: (
            f"{LEVEL[d['level']]}财政部门建议实现，报送上级复核" + (f"：{d['opinion']}" if d.get("opinion") else "")
        ),
        lambda d: None,
    ),
    "RequirementRejected": ("驳回", lambda d: f"{LEVEL[d['level']]}财政部门驳回：{d['reason']}", lambda d: "rejected"),
    "RequirementReturned": (
        "退回修改",
        lambda d: f"{LEVEL[d['level']]}财政部门退回：{d['reason']}",
        lambda d: "returned",
    ),
    "RequirementReviewCompleted": ("逐级审核完成", lambda d: "交财政信息化主管处室梳理细化", lambda d: "refining"),
    "RequirementRefined": (
        "梳理细化",
        lambda d: f"已细化，交归口业务处室 {d['business_division_id']} 确认",
        lambda d: "confirming",
    ),
    "RequirementMerged": ("合并", lambda d: f"与需求 {d['into']} 合并", lambda d: "merged"),
    "RequirementSplit": ("拆分", lambda d: f"拆分为 {'、'.join(d['parts'])}", lambda d: "split"),
    "RequirementConfirmed": (
        "需求确认",
        lambda d: "予以采纳" if d["adopted"] else f"不予采纳：{d['reason']}",
        lambda d: "adopted" if d["adopted"] else "declined",
    ),
    "RequirementPublished": ("公示", lambda d: f"列入 {d['batch_id']} 公示", lambda d: None),
    "WorkOrderDispatched": (
        "派发工单",
        lambda d: (
            f"工单 {d['work_order_id']}（{d['priority']}，{d['effort_days']} 人天）派发给"
            f"{VENDOR_NAMES.get(d['vendor_id'], d['vendor_id'])}，"
            f"计划 {d['planned_delivery']} 交付"
        ),
        lambda d: "dispatched",
    ),
    "WorkOrderProgressed": (
        "开发进度",
        lambda d: STAGE[d["stage"]] + (f"（版本 {d['version']}）" if d.get("version") else ""),
        lambda d: d["stage"],
    ),
    "WorkOrderOverdue": ("工单逾期", lambda d: f"计划交付日期 {d['planned_delivery']} 已过", lambda d: None),
    "VerificationRequested": ("待业务验证", lambda d: f"请验证版本 {d['version']}", lambda d: "verifying"),
    "VerificationPassed": ("验证通过", lambda d: d.get("note") or "需求用户验证通过", lambda d: "verified"),
    "VerificationFailed": ("验证未通过", lambda d: f"退回开发公司：{d['reason']}", lambda d: "in_development"),
    "WorkOrderReopened": ("工单重开", lambda d: d["reason"], lambda d: None),
    "RequirementReleased": ("部署上线", lambda d: f"随版本 {d['version']} 上线", lambda d: "released"),
    "NotificationDelivered": ("发送通知", lambda d: f"通知 {d['recipient']}：{d['title']}", lambda d: None),
}

# The problem procedure (第七条–第十一条): each case event carries the case's status after the step.
PROBLEM_LABELS = {
    "ProblemCaseOpened": "纳入问题台账",
    "ProblemRefined": "梳理细化",
    "ProblemReproduced": "复现问题",
    "ProblemUserInputRequested": "请用户补充信息",
    "ProblemUserReplied": "用户已补充",
    "ProblemConfirmedByUser": "用户确认问题",
    "ProblemReadyForDispatch": "待派发工单",
    "ProblemFixReleased": "补丁发布",
    "ProblemVerified": "用户验证",
    "ProblemClosed": "办结",
    "ProblemComplianceChecked": "合规论证",
    "ProblemConfigured": "系统配置",
    "ProblemRepairReviewed": "数据修复审核",
    "ProblemBusinessConfirmed": "业务处室确认",
    "ProblemRepairPlanned": "制定修复方案",
    "ProblemRepairPlanAnswered": "用户确认修复方案",
    "ProblemDataBackedUp": "原始数据备份",
    "ProblemDataRepaired": "数据修复",
    "ProblemQuestionEscalated": "上报自治区业务处室",
    "ProblemClaimed": "认领",
    "ProblemReassigned": "转派",
    "ProblemRated": "满意度评价",
    "ProblemAnswered": "答复",
    "ProblemFollowUpAsked": "用户追问",
    "ProblemSlaWarning": "即将超时",
    "ProblemSlaBreached": "已超时（升级）",
}
# The free text a step carries, shown after its label.
PROBLEM_TEXT = ("reason", "answer", "question", "notes", "note", "reply", "opinion", "change", "version")


def _problem_detail(label: str, separator: str = "：") -> Describe:
    """The step's label, then the free text it carries (`separator`: the full-width colon, or ": " in English)."""

    def describe(data: dict[str, Any]) -> str:
        text = next((str(data[key]) for key in PROBLEM_TEXT if data.get(key)), "")
        return f"{label}{separator}{text}" if text else label

    return describe


ENTRIES["ProblemReported"] = (
    "上报问题",
    lambda d: f"{d['org_name']} {d['submitter_name']} 上报（{CHANNEL.get(d['channel'], d['channel'])}）：{d['title']}",
    lambda d: "reported",
)
for _name, _label in PROBLEM_LABELS.items():
    ENTRIES[_name] = (_label, _problem_detail(_label), lambda d: d.get("status"))
ENTRIES["ProblemRated"] = (
    "满意度评价",
    lambda d: f"满意度评价：{d['score']} 星" + (f"，{d['comment']}" if d.get("comment") else ""),
    lambda d: d.get("status"),
)
# 评论 (services/portal/comments.py): "张三 评论：…", with the number of files it carries.
ENTRIES["TicketCommented"] = (
    "评论",
    lambda d: (
        f"{d['author_name']} 评论：{d['excerpt']}"
        + (f"（附件 {len(d['attachment_ids'])} 个）" if d.get("attachment_ids") else "")
    ),
    lambda d: None,
)
TIMELINE_EVENTS = tuple(ENTRIES)

# The same lines in English, for a reader who chose English (the UI's language switch): written with the
# Chinese line, so a timeline is read in either language without the events.
LEVEL_EN = {"county": "county", "city": "league/city", "region": "region"}
STAGE_EN = {
    "accepted": "accepted", "in_development": "in development", "in_testing": "in testing", "delivered": "delivered",
}  # fmt: skip
CHANNEL_EN = {"form": "web form", "hotline": "hotline", "wechat_group": "WeChat group"}
ENGLISH: dict[str, tuple[str, Describe]] = {
    "RequirementSubmitted": (
        "Requirement submitted",
        lambda d: (
            f"{d['org_name']} {d['submitter_name']} "
            f"{'resubmitted' if d.get('round', 1) > 1 else 'submitted'}: {d['title']}"
        ),
    ),
    "ReviewTaskOpened": (
        "In review",
        lambda d: f"to be reviewed by the {LEVEL_EN[d['level']]} finance bureau ({d['division_code']})",
    ),
    "ReviewTaskOverdue": (
        "Review overdue",
        lambda d: f"the {LEVEL_EN[d['level']]} finance bureau's review is past its deadline ({d['due_on']})",
    ),
    "RequirementForwarded": (
        "Review passed",
        lambda d: (
            f"the {LEVEL_EN[d['level']]} finance bureau recommends it and forwards it to the next level"
            + (f": {d['opinion']}" if d.get("opinion") else "")
        ),
    ),
    "RequirementRejected": (
        "Rejected",
        lambda d: f"rejected by the {LEVEL_EN[d['level']]} finance bureau: {d['reason']}",
    ),
    "RequirementReturned": (
        "Returned for amendment",
        lambda d: f"returned by the {LEVEL_EN[d['level']]} finance bureau: {d['reason']}",
    ),
    "RequirementReviewCompleted": ("Review complete", lambda d: "handed to the IT division for refinement"),
    "RequirementRefined": (
        "Refined",
        lambda d: f"refined, to be confirmed by the business division {d['business_division_id']}",
    ),
    "RequirementMerged": ("Merged", lambda d: f"merged with requirement {d['into']}"),
    "RequirementSplit": ("Split", lambda d: f"split into {', '.join(d['parts'])}"),
    "RequirementConfirmed": (
        "Confirmed",
        lambda d: "adopted" if d["adopted"] else f"not adopted: {d['reason']}",
    ),
    "RequirementPublished": ("Published", lambda d: f"listed in publication {d['batch_id']}"),
    "WorkOrderDispatched": (
        "Work order dispatched",
        lambda d: (
            f"work order {d['work_order_id']} ({d['priority']}, {d['effort_days']} person-days) sent to "
            f"{VENDOR_NAMES.get(d['vendor_id'], d['vendor_id'])}, delivery planned on {d['planned_delivery']}"
        ),
    ),
    "WorkOrderProgressed": (
        "Development progress",
        lambda d: STAGE_EN[d["stage"]] + (f" (version {d['version']})" if d.get("version") else ""),
    ),
    "WorkOrderOverdue": (
        "Work order overdue",
        lambda d: f"the planned delivery date {d['planned_delivery']} has passed",
    ),
    "VerificationRequested": ("To be verified", lambda d: f"please verify version {d['version']}"),
    "VerificationPassed": ("Verified", lambda d: d.get("note") or "the requester verified it"),
    "VerificationFailed": ("Verification failed", lambda d: f"back to the vendor: {d['reason']}"),
    "WorkOrderReopened": ("Work order reopened", lambda d: d["reason"]),
    "RequirementReleased": ("Released", lambda d: f"released with version {d['version']}"),
    "NotificationDelivered": ("Notification sent", lambda d: f"to {d['recipient']}: {d['title']}"),
    "ProblemReported": (
        "Problem reported",
        lambda d: (
            f"{d['org_name']} {d['submitter_name']} reported "
            f"({CHANNEL_EN.get(d['channel'], d['channel'])}): {d['title']}"
        ),
    ),
}
PROBLEM_LABELS_EN = {
    "ProblemCaseOpened": "Entered in the problem ledger",
    "ProblemRefined": "Refined",
    "ProblemReproduced": "Reproduced",
    "ProblemUserInputRequested": "More information asked of the user",
    "ProblemUserReplied": "The user replied",
    "ProblemConfirmedByUser": "Confirmed by the user",
    "ProblemReadyForDispatch": "Ready for a work order",
    "ProblemFixReleased": "Fix released",
    "ProblemVerified": "Verified by the user",
    "ProblemClosed": "Closed",
    "ProblemComplianceChecked": "Compliance checked",
    "ProblemConfigured": "Configured",
    "ProblemRepairReviewed": "Data repair reviewed",
    "ProblemBusinessConfirmed": "Confirmed by the business division",
    "ProblemRepairPlanned": "Repair planned",
    "ProblemRepairPlanAnswered": "Repair plan answered by the user",
    "ProblemDataBackedUp": "Original data backed up",
    "ProblemDataRepaired": "Data repaired",
    "ProblemQuestionEscalated": "Escalated to the region's business division",
    "ProblemClaimed": "Claimed",
    "ProblemReassigned": "Reassigned",
    "ProblemRated": "Satisfaction rating",
    "ProblemAnswered": "Answered",
    "ProblemFollowUpAsked": "Follow-up question",
    "ProblemSlaWarning": "Due soon",
    "ProblemSlaBreached": "Overdue (escalated)",
}


for _name, _label in PROBLEM_LABELS_EN.items():
    ENGLISH[_name] = (_label, _problem_detail(_label, ": "))
ENGLISH["TicketCommented"] = (
    "Comment",
    lambda d: (
        f"{d['author_name']} commented: {d['excerpt']}"
        + (f" ({len(d['attachment_ids'])} attached)" if d.get("attachment_ids") else "")
    ),
)
ENGLISH["ProblemRated"] = (
    "Satisfaction rating",
    lambda d: f"rated {d['score']} of 5" + (f", {d['comment']}" if d.get("comment") else ""),
)


def timeline_entry(envelope: Envelope) -> dict[str, Any]:
    """One line of a ticket's history: what happened, who did it, when."""
    label, describe, _ = ENTRIES[envelope.type]
    label_en, describe_en = ENGLISH[envelope.type]
    return {
        "_id": envelope.id,
        "ticket_id": envelope.subject,
        "type": envelope.type,
        "label": label,
        "detail": describe(envelope.data),
        "label_en": label_en,
        "detail_en": describe_en(envelope.data),
        "at": envelope.time,
        "actor": envelope.actor.model_dump(),
        "source": envelope.source,
        "correlation_id": envelope.correlationid,
    }


def split_part_entry(envelope: Envelope, part: dict[str, Any]) -> dict[str, Any]:
    """The first line of a part's timeline (第六条二): where it came from, by whom and when. Its id follows
    from the event and the part, so a redelivered event adds nothing."""
    return {
        **timeline_entry(envelope),
        "_id": f"{envelope.id}:{part['ticket_id']}",
        "ticket_id": part["ticket_id"],
        "detail": f"由 {envelope.subject} 拆分而来：{part['title']}",
        "detail_en": f"split from {envelope.subject}: {part['title']}",
    }


def status_after(envelope: Envelope) -> str | None:
    return ENTRIES[envelope.type][2](envelope.data)
