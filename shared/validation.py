"""Validation errors in the user's words: the field by its name on the form and the rule it broke, in Chinese
(or English when the request prefers it), never pydantic's own English ("String should have at least 10
characters"). The machine-readable part stays beside it: `field` (the path), `rule` (pydantic's error type)
and `limit` (its context), see docs/integration/errors.md."""

from typing import Any

from pydantic import ValidationError
from pydantic_core import InitErrorDetails, PydanticCustomError

# The fields of every service's request bodies, as the forms name them (docs/glossary.md).
FIELD_LABELS: dict[str, tuple[str, str]] = {
    "title": ("标题", "title"),
    "description": ("描述", "description"),
    "reason": ("理由", "reason"),
    "note": ("说明", "note"),
    "notes": ("说明", "notes"),
    "comment": ("评价意见", "comment"),
    "module": ("涉及模块", "module"),
    "version": ("版本号", "version"),
    "question": ("问题", "question"),
    "question_type": ("咨询类型", "question type"),
    "answer": ("答复内容", "answer"),
    "opinion": ("审核意见", "opinion"),
    "category": ("类别", "category"),
    "kind": ("类型", "kind"),
    "ticket_id": ("工单编号", "ticket number"),
    "ticket_ids": ("工单编号", "ticket numbers"),
    "business_division_id": ("归口业务处室", "business division"),
    "vendor_id": ("开发公司", "vendor"),
    "priority": ("优先级", "priority"),
    "effort_days": ("工作量（人天）", "effort (person-days)"),
    "planned_start": ("计划开始日期", "planned start"),
    "planned_delivery": ("计划交付日期", "planned delivery"),
    "release_date": ("升级日期", "release date"),
    "manual_url": ("操作手册链接", "manual link"),
    "video_url": ("操作视频链接", "video link"),
    "report_guide_url": ("报表查询指南链接", "report guide link"),
    "url": ("链接", "link"),
    "links": ("链接", "links"),
    "stage": ("进度", "stage"),
    "outcome": ("验证结果", "outcome"),
    "passed": ("验证结果", "result"),
    "decision": ("确认意见", "decision"),
    "expected_upgrade": ("预计升级时间", "expected upgrade"),
    "username": ("用户名", "user name"),
    "password": ("密码", "password"),
    "current_password": ("当前密码", "current password"),
    "new_password": ("新密码", "new password"),
    "active": ("启用状态", "active"),
    "within": ("管辖范围", "area"),
    "refresh_token": ("登录凭据", "session token"),
    "name": ("名称", "name"),
    "org_id": ("单位", "organisation"),
    "org_ids": ("单位", "organisations"),
    "roles": ("角色", "roles"),
    "urgency": ("紧急程度", "urgency"),
    "urgent": ("急事急办", "urgent"),
    "business_scenario": ("业务场景", "business scenario"),
    "expected_effect": ("预期效果", "expected effect"),
    "local_justification": ("个性化需求说明", "local justification"),
    "channel": ("上报渠道", "channel"),
    "channels": ("通知渠道", "channels"),
    "details": ("问题详情", "details"),
    "error_text": ("报错内容", "error message"),
    "steps": ("操作步骤", "steps"),
    "os": ("操作系统", "operating system"),
    "browser": ("浏览器", "browser"),
    "browser_version": ("浏览器版本", "browser version"),
    "business_impact": ("业务影响", "business impact"),
    "desired_configuration": ("期望的配置", "configuration wanted"),
    "scope": ("修复范围", "scope"),
    "business_year": ("业务年度", "business year"),
    "items": ("数据项", "items"),
    "item": ("数据项", "item"),
    "before": ("修复前的值", "value before"),
    "after": ("修复后的值", "value after"),
    "reply": ("补充内容", "reply"),
    "requirements": ("处理要求或标准", "requirements"),
    "change": ("配置变更内容", "configuration change"),
    "effective_from": ("生效日期", "effective from"),
    "approved": ("审核结论", "decision"),
    "confirmed": ("确认结论", "decision"),
    "compliant": ("论证结论", "conclusion"),
    "accepted": ("是否同意", "acceptance"),
    "reproduced": ("复现结果", "result"),
    "business_stage": ("业务办理环节", "business stage"),
    "data_type": ("所属数据类型", "data type"),
    "upstream_downstream": ("上下游逻辑关系", "upstream and downstream links"),
    "affected_reports": ("受影响报表", "affected reports"),
    "monitoring_rules": ("相关监控规则", "monitoring rules"),
    "reference": ("备份位置", "backup location"),
    "sha256": ("SHA-256 校验值", "SHA-256"),
    "score": ("满意度", "satisfaction"),
    "to": ("转派对象", "hand to"),
    "month": ("月份", "month"),
    "submitted_month": ("提交月份", "month submitted"),
    "opens_at": ("开放时间", "opens at"),
    "closes_at": ("关闭时间", "closes at"),
    "is_workday": ("是否工作日", "working day"),
    "visible_from": ("展示开始时间", "visible from"),
    "visible_until": ("展示结束时间", "visible until"),
    "pinned": ("置顶", "pinned"),
    "audience": ("发布范围", "audience"),
    "body": ("请求内容", "request body"),
    "rules": ("通知规则", "rules"),
    "base_version": ("方案版本", "scheme version"),
    "enabled": ("启用", "enabled"),
    "key": ("机器人密钥", "robot key"),
    "msgtype": ("消息类型", "message type"),
    "division_prefix": ("区划", "division"),
    "division_prefixes": ("区划", "divisions"),
    "wechat_openid": ("微信账号", "WeChat account"),
    "quiet_hours": ("免打扰时段", "quiet hours"),
    "language": ("语言", "language"),
    "status": ("状态", "status"),
    "skip": ("跳过条数", "offset"),
    "limit": ("每页条数", "page size"),
    "q": ("关键字", "keyword"),
    "file": ("文件", "file"),
    "caller": ("来电人", "caller"),
    "parts": ("拆分后的需求", "parts"),
    "into": ("合并到", "merge into"),
    "id": ("编号", "number"),
    "text": ("评论内容", "comment text"),
    "mentions": ("提及的用户", "mentioned users"),
    "attachment_ids": ("附件", "attachments"),
}


def field_error(model: str, location: tuple[str, ...], rule: str, value: Any, **limit: Any) -> ValidationError:
    """A rule across fields, raised from a model validator against the field the user has to change.

    A ValueError raised there is pydantic's `value_error` on the whole body: the answer named no field ("请求
    内容不符合要求") and a client could not tell which rule it broke. This one names `location` and `rule`
    (its words in `rule_text`, its figures in `limit`), e.g. `closes_at` / `window_order` / {after: opens_at}."""
    error = PydanticCustomError(rule, f"{'.'.join(location)} breaks {rule}", limit)
    return ValidationError.from_exception_data(model, [InitErrorDetails(type=error, loc=location, input=value)])


def wants_english(accept_language: str | None) -> bool:
    """English when the request's first language is English; Chinese otherwise (the UI's default)."""
    first = (accept_language or "").split(",")[0].strip().lower()
    return first.startswith("en")


def field_label(location: list[str], english: bool) -> str:
    """`details.items.0.before` → "修复前的值（第 1 项）": the last named part, with the row of a list."""
    names = [part for part in location if not part.isdigit()]
    rows = [int(part) + 1 for part in location if part.isdigit()]
    if not names:
        return "request body" if english else "请求内容"
    name = names[-1]
    label = FIELD_LABELS.get(name, (name, name.replace("_", " ")))[1 if english else 0]
    if rows:
        label += f" (item {rows[-1]})" if english else f"（第 {rows[-1]} 项）"
    return label


def _limit(ctx: dict[str, Any], *keys: str) -> Any:
    return next((ctx[key] for key in keys if key in ctx), "")


def rule_text(kind: str, ctx: dict[str, Any], label: str, english: bool, original: str) -> str:
    """One broken rule in words."""
    n = _limit(ctx, "min_length", "max_length", "gt", "ge", "lt", "le", "expected")
    chars = "character" if n == 1 else "characters"
    zh = {
        "missing": f"请填写{label}",
        "string_too_short": f"{label}至少 {n} 个字",
        "string_too_long": f"{label}不能超过 {n} 个字",
        "too_short": f"{label}至少需要 {n} 项",
        "too_long": f"{label}不能超过 {n} 项",
        "string_pattern_mismatch": f"{label}的格式不正确",
        "string_type": f"{label}应为文字",
        "int_parsing": f"{label}应为整数",
        "int_type": f"{label}应为整数",
        "int_from_float": f"{label}应为整数",
        "float_parsing": f"{label}应为数字",
        "float_type": f"{label}应为数字",
        "finite_number": f"{label}应为有限的数字",
        "bool_parsing": f"{label}应为是或否",
        "bool_type": f"{label}应为是或否",
        "greater_than": f"{label}须大于 {n}",
        "greater_than_equal": f"{label}不能小于 {n}",
        "less_than": f"{label}须小于 {n}",
        "less_than_equal": f"{label}不能大于 {n}",
        "literal_error": f"{label}只能是：{n}",
        "enum": f"{label}只能是：{n}",
        "date_parsing": f"{label}应为日期（YYYY-MM-DD）",
        "date_type": f"{label}应为日期（YYYY-MM-DD）",
        "date_from_datetime_parsing": f"{label}应为日期（YYYY-MM-DD）",
        "date_from_datetime_inexact": f"{label}应为日期（YYYY-MM-DD），不含时间",
        "datetime_parsing": f"{label}应为日期和时间（如 2026-12-01T09:00:00+08:00）",
        "datetime_type": f"{label}应为日期和时间（如 2026-12-01T09:00:00+08:00）",
        "datetime_from_date_parsing": f"{label}应为日期和时间（如 2026-12-01T09:00:00+08:00）",
        "timezone_aware": f"{label}须带时区（如 +08:00）",
        "extra_forbidden": f"不认识的字段“{label}”",
        "json_invalid": "请求内容不是有效的 JSON",
        "json_type": "请求内容不是有效的 JSON",
        "list_type": f"{label}应为列表",
        "dict_type": f"{label}应为对象",
        "model_type": f"{label}应为对象",
        "model_attributes_type": f"{label}应为对象",
        "url_parsing": f"{label}应为网址",
        "url_scheme": f"{label}须以 http:// 或 https:// 开头",
        "union_tag_invalid": f"{label}的类型不正确",
        "union_tag_not_found": f"请填写{label}的类型",
        "uuid_parsing": f"{label}格式不正确",
        "multiple_of": f"{label}须为 {ctx.get('multiple_of', '')} 的整数倍",
        "window_order": f"{label}须晚于{field_label([str(ctx.get('after', ''))], False)}",
        "details_kind_mismatch": f"{label}应为“{n}”，与所选类别一致",
    }
    en = {
        "missing": f"{label} is required",
        "string_too_short": f"{label} must be at least {n} {chars}",
        "string_too_long": f"{label} must be at most {n} {chars}",
        "too_short": f"{label} needs at least {n} items",
        "too_long": f"{label} takes at most {n} items",
        "string_pattern_mismatch": f"{label} is not in the expected format",
        "int_parsing": f"{label} must be a whole number",
        "int_type": f"{label} must be a whole number",
        "float_parsing": f"{label} must be a number",
        "bool_parsing": f"{label} must be yes or no",
        "greater_than": f"{label} must be greater than {n}",
        "greater_than_equal": f"{label} must be at least {n}",
        "less_than": f"{label} must be less than {n}",
        "less_than_equal": f"{label} must be at most {n}",
        "literal_error": f"{label} must be one of: {n}",
        "enum": f"{label} must be one of: {n}",
        "date_parsing": f"{label} must be a date (YYYY-MM-DD)",
        "datetime_parsing": f"{label} must be a date and time (e.g. 2026-12-01T09:00:00+08:00)",
        "timezone_aware": f"{label} must include its time zone (e.g. +08:00)",
        "extra_forbidden": f"unknown field {label}",
        "json_invalid": "the request body is not valid JSON",
        "missing_argument": f"{label} is required",
        "window_order": f"{label} must be after {field_label([str(ctx.get('after', ''))], True)}",
        "details_kind_mismatch": f"{label} must be {n}, as the category says",
    }
    if kind in ("string_too_short", "too_short") and n == 1:  # an empty text or list: simply not filled in
        kind = "missing"
    if kind in ("value_error", "assertion_error"):  # the project's own validators write the words themselves
        text = original.removeprefix("Value error, ").removeprefix("Assertion failed, ")
        return text if english or not text.isascii() else f"{label}不符合要求"
    if english:
        return en.get(kind) or f"{label} does not meet the rules ({kind})"
    return zh.get(kind) or f"{label}不符合要求"


def localized(errors: list[dict[str, Any]], accept_language: str | None) -> tuple[str, list[dict[str, Any]]]:
    """The message and the `detail` entries of a 422 for pydantic's `errors`."""
    english = wants_english(accept_language)
    detail = []
    for item in errors:
        kind = item["type"]
        # A body that is not JSON at all is reported against "body", not a character position.
        location = [] if kind == "json_invalid" else [str(p) for p in item["loc"] if p not in ("body", "query", "path")]
        # A discriminated union's branch (details.bug.steps) is not a field the user sees.
        location = [part for part in location if part not in _UNION_TAGS and not part.startswith("function-")]
        ctx = {key: value for key, value in (item.get("ctx") or {}).items() if key != "error"}
        label = field_label(location, english)
        entry = {
            "field": ".".join(location) or "body",
            "rule": kind,
            "message": rule_text(kind, ctx, label, english, item.get("msg", "")),
        }
        if ctx and kind != "json_invalid":
            entry["limit"] = {key: v if isinstance(v, int | float | str | bool) else str(v) for key, v in ctx.items()}
        detail.append(entry)
    words = "；".join(entry["message"] for entry in detail)
    if english:
        return f"The request breaks a rule: {'; '.join(e['message'] for e in detail)}", detail
    return f"请求数据不符合要求：{words}", detail


_UNION_TAGS = {"bug", "configuration", "data_repair", "consulting"}
