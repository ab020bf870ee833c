"""Version 1 of the notification scheme, seeded into notify's database when it has none.

It is the scheme the code carried before the scheme became data (who is told of each step of the
procedure), plus the WeCom and WeChat channels and English texts. Administrators change it through the
API; every change is a new version (docs/notifications.md).
"""

from typing import Any

from services.notify.scheme import Rule
from shared.auth import BUSINESS_DIVISION, DUTY_OPERATOR, IT_DIVISION, REVIEWER

IT_DIVISION_ORG = "itd"


def _rule(recipient: dict, channels: list[str], category: str, zh: tuple[str, str], en: tuple[str, str], **extra: Any):
    return {
        "recipient": recipient,
        "channels": channels,
        "category": category,
        "templates": {"zh-CN": {"title": zh[0], "body": zh[1]}, "en": {"title": en[0], "body": en[1]}},
        **extra,
    }


SUBMITTER = {"kind": "submitter"}
VENDOR = {"kind": "vendor"}
IT = {"kind": "role", "role": IT_DIVISION, "org": IT_DIVISION_ORG}
ALL_GROUPS = {"kind": "all_groups"}


def _to_desk(owner_role: str, zh: tuple[str, str], en: tuple[str, str], **when: str) -> list[dict[str, Any]]:
    """Rules that tell the desk acting next on a problem case (the event's `owner_role`, at `owner_org_id`):
    the support desk is the IT division and the duty operators of the 400 hotline / WeChat groups."""
    rule = {"when": {"owner_role": owner_role, **when}}
    if owner_role == "it_or_support":
        return [
            _rule(IT, ["inbox", "wecom"], "problem", zh, en, **rule),
            _rule(
                {"kind": "role", "role": DUTY_OPERATOR, "org": IT_DIVISION_ORG}, ["inbox"], "problem", zh, en, **rule
            ),
        ]
    role = REVIEWER if owner_role == "reviewer" else BUSINESS_DIVISION
    return [
        _rule({"kind": "role", "role": role, "org": "{owner_org_id}"}, ["inbox", "wecom"], "problem", zh, en, **rule)
    ]


DEFAULT_RULES: dict[str, list[dict[str, Any]]] = {
    "ReviewTaskOpened": [
        _rule(
            {"kind": "role", "role": REVIEWER, "org": "{bureau_org_id}"},
            ["inbox", "wecom"],
            "review",
            ("待审核需求：{title}", "需求 {ticket_id} 已提交至{level_name}财政部门，请及时审核（第六条一）。"),
            (
                "Requirement to review: {title}",
                "Requirement {ticket_id} awaits the {level_name} finance bureau's review.",
            ),
        )
    ],
    "ReviewTaskOverdue": [
        _rule(
            {"kind": "role", "role": REVIEWER, "org": "{bureau_org_id}"},
            ["inbox", "wecom"],
            "review",
            ("审核已逾期：{title}", "需求 {ticket_id} 在{level_name}财政部门的审核已超过时限（{due_on}），请办理。"),
            (
                "Review overdue: {title}",
                "Requirement {ticket_id} passed the {level_name} finance bureau's review deadline ({due_on}).",
            ),
        )
    ],
    "RequirementRejected": [
        _rule(
            SUBMITTER,
            ["inbox", "wechat"],
            "decision",
            ("需求 {ticket_id} 被驳回", "{level_name}财政部门驳回理由：{reason}"),
            ("Requirement {ticket_id} rejected", "Reason given by the {level_name} finance bureau: {reason}"),
        )
    ],
    "RequirementReturned": [
        _rule(
            SUBMITTER,
            ["inbox", "wechat"],
            "decision",
            ("需求 {ticket_id} 退回修改", "请按意见修改后重新提交：{reason}"),
            ("Requirement {ticket_id} returned", "Please amend and resubmit: {reason}"),
        )
    ],
    "RequirementReviewCompleted": [
        _rule(
            IT,
            ["inbox", "wecom"],
            "review",
            ("待梳理细化：{title}", "需求 {ticket_id} 已逐级审核通过（第六条二）。"),
            ("To refine: {title}", "Requirement {ticket_id} passed every level's review."),
        )
    ],
    "RequirementRefined": [
        _rule(
            {"kind": "role", "role": BUSINESS_DIVISION, "org": "{business_division_id}"},
            ["inbox", "wecom"],
            "review",
            ("待确认需求：{title}", "需求 {ticket_id} 已梳理细化，请确认是否予以实现（第六条三）。"),
            ("To confirm: {title}", "Requirement {ticket_id} was refined; please decide whether to adopt it."),
        )
    ],
    # 拆分 (第六条二): the requester follows each part on its own from now on.
    "RequirementSplit": [
        _rule(
            SUBMITTER,
            ["inbox", "wechat"],
            "decision",
            (
                "需求 {ticket_id} 已拆分",
                "财政信息化主管处室将该需求拆分为 {part_ids}，各项分别梳理细化、确认和实现（第六条二）。{reason}",
            ),
            (
                "Requirement {ticket_id} split",
                "The IT division split it into {part_ids}; each is refined, confirmed and implemented on its own. "
                "{reason}",
            ),
        )
    ],
    "RequirementConfirmed": [
        _rule(
            SUBMITTER,
            ["inbox", "wechat"],
            "decision",
            ("需求 {ticket_id} 已采纳", "预计升级时间：{expected_upgrade}"),
            ("Requirement {ticket_id} adopted", "Expected upgrade: {expected_upgrade}"),
            when={"adopted": True},
        ),
        _rule(
            SUBMITTER,
            ["inbox", "wechat"],
            "decision",
            ("需求 {ticket_id} 不予采纳", "原因：{reason}"),
            ("Requirement {ticket_id} not adopted", "Reason: {reason}"),
            when={"adopted": False},
        ),
    ],
    "WorkOrderDispatched": [
        _rule(
            VENDOR,
            ["inbox", "wecom"],
            "work_order",
            ("新工单 {work_order_id}（{priority}）：{title}", "计划交付日期：{planned_delivery}（第六条五）。"),
            ("New work order {work_order_id} ({priority}): {title}", "Planned delivery: {planned_delivery}."),
        )
    ],
    "WorkOrderReopened": [
        _rule(
            VENDOR,
            ["inbox", "wecom"],
            "work_order",
            ("工单 {work_order_id} 验证未通过", "原因：{reason}"),
            ("Work order {work_order_id} failed verification", "Reason: {reason}"),
        )
    ],
    "WorkOrderOverdue": [
        _rule(
            IT,
            ["inbox", "wecom"],
            "work_order",
            ("工单 {work_order_id} 已逾期", "计划交付日期 {planned_delivery} 已过，开发公司尚未交付。"),
            ("Work order {work_order_id} is overdue", "Planned delivery {planned_delivery} passed without a delivery."),
        )
    ],
    "VerificationRequested": [
        _rule(
            SUBMITTER,
            ["inbox", "wechat"],
            "verification",
            ("请验证需求 {ticket_id}", "开发公司已交付版本 {version}，请进行业务验证（第六条七）。"),
            ("Please verify requirement {ticket_id}", "The vendor delivered version {version}; please verify it."),
        )
    ],
    "VerificationFailed": [
        _rule(
            IT,
            ["inbox", "wecom"],
            "verification",
            ("需求 {ticket_id} 验证未通过", "原因：{reason}"),
            ("Requirement {ticket_id} failed verification", "Reason: {reason}"),
        )
    ],
    # 第六条八: releases are announced in advance through the service groups as well as announcements.
    "ReleaseAnnounced": [
        _rule(
            ALL_GROUPS,
            ["wecom"],
            "release",
            ("系统升级通知：{title}", "计划于 {release_date} 升级至 {version}。{notes}"),
            ("System upgrade: {title}", "Version {version} goes live on {release_date}. {notes}"),
        )
    ],
    # The problem procedure (第七条–第十一条): the IT division hears of every new case and every breach,
    # the reporter of every step that waits for them or answers them.
    # A new case is told to the desk that acts first (第七条, 第十一条): the IT division refines bugs and
    # configurations, the IT division and the support team answer software questions, the reporter's own
    # finance bureau answers business questions and reviews data repairs first.
    "ProblemCaseOpened": [
        _rule(
            IT,
            ["inbox", "wecom"],
            "problem",
            ("新问题 {ticket_id}：{title}", "已纳入问题解决台账，请组织梳理细化（第十一条）。"),
            ("New problem {ticket_id}: {title}", "It is in the problem ledger; please refine it."),
            when={"owner_role": "it_division"},
        ),
        *_to_desk(
            "it_or_support",
            ("操作咨询待答复：{title}", "问题 {ticket_id} 请在 2 个工作小时内答复，当日办结。"),
            ("Question to answer: {title}", "Answer problem {ticket_id} within 2 working hours."),
        ),
        *_to_desk(
            "reviewer",
            (
                "业务咨询待答复：{title}",
                "问题 {ticket_id} 请在 2 个工作小时内答复；无法答复的请上报自治区归口业务处室。",
            ),
            ("Business question to answer: {title}", "Answer problem {ticket_id} within 2 working hours."),
            category="consulting",
        ),
        *_to_desk(
            "reviewer",
            ("数据修复待审核：{title}", "问题 {ticket_id} 请审核后提交自治区财政厅。"),
            ("Data repair to review: {title}", "Review problem {ticket_id}, then it goes to the region."),
            category="data_repair",
        ),
        *_to_desk(
            "business_division",
            ("业务咨询待答复：{title}", "问题 {ticket_id} 请在 2 个工作小时内答复。"),
            ("Business question to answer: {title}", "Answer problem {ticket_id} within 2 working hours."),
        ),
    ],
    "ProblemQuestionEscalated": _to_desk(
        "business_division",
        ("业务咨询已上报：问题 {ticket_id}", "财政部门无法答复的原因：{reason}"),
        ("Question escalated: problem {ticket_id}", "Why the finance bureau could not answer: {reason}"),
    ),
    "ProblemReassigned": [
        rule
        for desk in ("it_or_support", "reviewer", "business_division")
        for rule in _to_desk(
            desk,
            ("转派给您：问题 {ticket_id}", "由{from_owner}转派，原因：{reason}"),
            ("Handed to you: problem {ticket_id}", "Handed on by {from_owner}: {reason}"),
        )
    ],
    # A dissatisfied reporter (1 or 2 stars) is heard by the IT division, which runs the procedure (第十二条).
    "ProblemRated": [
        _rule(
            IT,
            ["inbox"],
            "problem",
            ("问题 {ticket_id} 收到不满意评价（{score} 星）", "评价意见：{comment}"),
            ("Problem {ticket_id} rated {score} of 5", "Comment: {comment}"),
            when={"score": score},
        )
        for score in (1, 2)
    ],
    "ProblemRepairReviewed": [
        *_to_desk(
            "reviewer",
            ("数据修复待审核：问题 {ticket_id}", "盟市财政部门已审核同意，请自治区财政厅审核。"),
            ("Data repair to review: problem {ticket_id}", "The league/city bureau approved it; please review."),
        ),
        *_to_desk(
            "business_division",
            ("数据修复待确认：问题 {ticket_id}", "自治区财政厅已审核同意，请归口业务处室确认。"),
            ("Data repair to confirm: problem {ticket_id}", "The region approved it; please confirm."),
        ),
    ],
    "ProblemUserInputRequested": [
        _rule(
            SUBMITTER,
            ["inbox", "wechat"],
            "problem",
            ("问题 {ticket_id} 需要您补充信息", "{question}"),
            ("Problem {ticket_id} needs your input", "{question}"),
        )
    ],
    "ProblemAnswered": [
        _rule(
            SUBMITTER,
            ["inbox", "wechat"],
            "problem",
            ("问题 {ticket_id} 已答复", "{answer}"),
            ("Problem {ticket_id} answered", "{answer}"),
        )
    ],
    "ProblemFixReleased": [
        _rule(
            SUBMITTER,
            ["inbox", "wechat"],
            "problem",
            ("问题 {ticket_id} 已发布补丁", "补丁版本 {version}，请进行二次验证（第十一条一7）。"),
            ("Problem {ticket_id}: patch released", "Version {version} is out; please verify it."),
        )
    ],
    "ProblemConfigured": [
        _rule(
            SUBMITTER,
            ["inbox", "wechat"],
            "problem",
            ("问题 {ticket_id} 已完成配置", "{change}（自 {effective_from} 起生效），请验证（第十一条二4）。"),
            ("Problem {ticket_id}: configured", "{change} (from {effective_from}); please verify."),
        )
    ],
    "ProblemRepairPlanned": [
        _rule(
            SUBMITTER,
            ["inbox", "wechat"],
            "problem",
            ("问题 {ticket_id} 的数据修复方案待您确认", "请确认数据修复方案（第十一条三5）。"),
            ("Problem {ticket_id}: confirm the repair plan", "Please confirm the data repair plan."),
        )
    ],
    "ProblemDataRepaired": [
        _rule(
            SUBMITTER,
            ["inbox", "wechat"],
            "problem",
            ("问题 {ticket_id} 数据已修复", "请确认修复后数据的准确性（第十一条三8）。"),
            ("Problem {ticket_id}: data repaired", "Please confirm the repaired data."),
        )
    ],
    "ProblemClosed": [
        _rule(
            SUBMITTER,
            ["inbox"],
            "problem",
            ("问题 {ticket_id} 已办结", "{reason}"),
            ("Problem {ticket_id} closed", "{reason}"),
        )
    ],
    # 评论 (services/portal/comments.py): the users mentioned first (their words win), then the watchers, then
    # the desk holding the ticket now; the author is never told of their own comment.
    "TicketCommented": [
        _rule(
            {"kind": "mentioned"},
            ["inbox", "wechat"],
            "comment",
            ("{author_name} 在 {ticket_id} 的评论中提到了您：{title}", "{excerpt}"),
            ("{author_name} mentioned you on {ticket_id}: {title}", "{excerpt}"),
        ),
        _rule(
            {"kind": "watchers"},
            ["inbox", "wechat"],
            "comment",
            ("{ticket_id} 有新评论：{title}", "{author_name}：{excerpt}"),
            ("New comment on {ticket_id}: {title}", "{author_name}: {excerpt}"),
        ),
        _rule(
            {"kind": "desk"},
            ["inbox"],
            "comment",
            ("您办理的 {ticket_id} 有新评论：{title}", "{author_name}：{excerpt}"),
            ("New comment on {ticket_id}, which you handle: {title}", "{author_name}: {excerpt}"),
        ),
    ],
    "ProblemSlaBreached": [
        _rule(
            IT,
            ["inbox", "wecom"],
            "sla",
            ("问题 {ticket_id} 已超时", "请尽快处理并关注升级（第十一条四）。"),
            ("Problem {ticket_id} breached its SLA", "Please handle it now; it has been escalated."),
            urgent=True,
        )
    ],
}


# Defaults an upgrade corrects: where the active scheme still has one of these rule lists for an event type
# (nobody changed it), the upgrade replaces it with the current default (config_store.add_new_defaults).
SUPERSEDED_RULES: dict[str, list[list[dict[str, Any]]]] = {
    # Before 2026-12: every new case went to the IT division "to refine", business questions included.
    "ProblemCaseOpened": [
        [
            _rule(
                IT,
                ["inbox", "wecom"],
                "problem",
                ("新问题 {ticket_id}：{title}", "已纳入问题解决台账，请组织梳理细化（第十一条）。"),
                ("New problem {ticket_id}: {title}", "It is in the problem ledger; please refine it."),
            )
        ]
    ],
}


def superseded_rules() -> dict[str, list[list[Rule]]]:
    return {
        event: [[Rule.model_validate(rule) for rule in rules] for rules in versions]
        for event, versions in SUPERSEDED_RULES.items()
    }


def default_rules() -> dict[str, list[Rule]]:
    return {event: [Rule.model_validate(rule) for rule in rules] for event, rules in DEFAULT_RULES.items()}
