"""The notification scheme: who is told of each step, in both languages, and that one event yields each
message once; an administrator's rule is checked before it can be saved."""

from datetime import UTC, date, datetime

from services.notify.announcements import announcement_for
from services.notify.domain import messages_for
from services.notify.scheme import Rule, rule_errors
from services.notify.scheme_defaults import default_rules
from shared.events import (
    SYSTEM,
    Envelope,
    ReleaseAnnounced,
    RequirementConfirmed,
    RequirementRejected,
    RequirementSplit,
    ReviewTaskOpened,
    WorkOrderDispatched,
)

NOW = datetime(2026, 12, 1, 2, tzinfo=UTC)
PATH = ["150000", "150100", "150102", "bu-150102-01"]
RULES = default_rules()


def wrap(event) -> Envelope:
    return Envelope.wrap(event, source="/tests", actor=SYSTEM)


def recipients(event) -> list[str]:
    return [m.recipient.key for m in messages_for(wrap(event), RULES)]


def review_task(**overrides) -> ReviewTaskOpened:
    fields = dict(
        task_id="t", ticket_id="REQ-1", title="导出", level="city", division_code="150100", bureau_org_id="fb-150100",
        org_path=PATH,
    )  # fmt: skip
    return ReviewTaskOpened(**{**fields, **overrides})


def test_a_review_task_tells_the_reviewers_of_that_bureau_in_their_group_too() -> None:
    [message] = messages_for(wrap(review_task()), RULES)
    assert message.recipient.key == "role:fb-150100:reviewer"
    assert message.channels == ("inbox", "wecom")
    assert message.texts["zh-CN"]["body"] == "需求 REQ-1 已提交至盟市财政部门，请及时审核（第六条一）。"
    assert "league/city" in message.texts["en"]["body"]


def test_a_rejection_reaches_the_submitter_with_its_reason_also_on_wechat() -> None:
    event = RequirementRejected(
        ticket_id="REQ-1", task_id="t", level="county", division_code="150102", reason="不具有通用性，建议本地解决",
        submitter_id="u-submitter", org_path=PATH,
    )  # fmt: skip
    [message] = messages_for(wrap(event), RULES)
    assert message.recipient.key == "user:u-submitter" and "wechat" in message.channels
    assert "不具有通用性" in message.texts["zh-CN"]["body"]


def test_a_decline_tells_the_submitter_why_and_an_adoption_when() -> None:
    common = dict(
        ticket_id="REQ-1", business_division_id="bd-budget", title="导出", description="d", category="new",
        urgency="normal", submitter_id="u-submitter", org_path=PATH,
    )  # fmt: skip
    [declined] = messages_for(wrap(RequirementConfirmed(adopted=False, reason="已有替代功能", **common)), RULES)
    [adopted] = messages_for(
        wrap(RequirementConfirmed(adopted=True, expected_upgrade=date(2027, 3, 1), **common)), RULES
    )
    [undated] = messages_for(wrap(RequirementConfirmed(adopted=True, **common)), RULES)
    assert "已有替代功能" in declined.texts["zh-CN"]["body"] and "不予采纳" in declined.texts["zh-CN"]["title"]
    assert "2027-03-01" in adopted.texts["zh-CN"]["body"]
    assert undated.texts["zh-CN"]["body"] == "预计升级时间：待定" and undated.texts["en"]["body"].endswith("decided")


def test_a_split_tells_the_submitter_the_new_requirements_in_both_languages() -> None:
    event = RequirementSplit(
        ticket_id="REQ-1", parts=["REQ-1-1", "REQ-1-2"], reason="包含两项无关需求", category="new", org_id="bu-1",
        org_name="教育局", org_path=PATH, submitter_id="u-submitter", submitter_name="张敏",
    )  # fmt: skip
    [message] = messages_for(wrap(event), RULES)
    assert message.recipient.key == "user:u-submitter" and message.channels == ("inbox", "wechat")
    assert message.texts["zh-CN"]["title"] == "需求 REQ-1 已拆分"
    assert (
        "拆分为 REQ-1-1、REQ-1-2" in message.texts["zh-CN"]["body"]
        and "包含两项无关需求" in message.texts["zh-CN"]["body"]
    )
    assert "REQ-1-1, REQ-1-2" in message.texts["en"]["body"]
    assert rule_errors("RequirementSplit", RULES["RequirementSplit"]) == []


def test_a_work_order_tells_only_its_vendor_and_is_urgent_when_marked_so() -> None:
    event = WorkOrderDispatched(
        work_order_id="WO-1", ticket_id="REQ-1", vendor_id="vendor-b", category="new", title="导出", description="d",
        priority="P1", effort_days=5, planned_start=date(2026, 12, 7), planned_delivery=date(2026, 12, 31), urgent=True,
    )  # fmt: skip
    [message] = messages_for(wrap(event), RULES)
    assert message.recipient.key == "role:vendor-b:vendor" and message.urgent


def test_the_same_event_yields_the_same_message_keys() -> None:
    envelope = wrap(review_task(level="county", division_code="150102", bureau_org_id="fb-150102"))
    assert [m.key for m in messages_for(envelope, RULES)] == [m.key for m in messages_for(envelope, RULES)]


def test_a_release_goes_to_every_group_and_becomes_a_pinned_announcement_with_its_guides() -> None:
    event = ReleaseAnnounced(
        release_id="REL-1", version="V3.2.0", release_date=date(2026, 12, 20), title="12月版本", notes="新增导出",
        ticket_ids=["REQ-1"], manual_url="https://docs.example/manual",
    )  # fmt: skip
    assert recipients(event) == ["role:*:group"]
    announcement = announcement_for(wrap(event), NOW)
    assert announcement.pinned and "V3.2.0" in announcement.body and announcement.audience.everywhere
    assert announcement.links == {"manual_url": "https://docs.example/manual"}


def test_a_release_link_that_is_not_http_never_becomes_a_link_of_the_announcement() -> None:
    event = ReleaseAnnounced(
        release_id="REL-1", version="V3.2.0", release_date=date(2026, 12, 10), title="升级", notes="",
        ticket_ids=["REQ-1"], manual_url="javascript:alert(document.cookie)", video_url="https://v.example/1",
    )  # fmt: skip
    assert announcement_for(wrap(event), NOW).links == {"video_url": "https://v.example/1"}


def rule(**overrides) -> Rule:
    body = {
        "recipient": {"kind": "role", "role": "reviewer", "org": "{bureau_org_id}"},
        "channels": ["inbox"],
        "category": "review",
        "templates": {"zh-CN": {"title": "待审核：{title}", "body": "{level_name}"}},
    }
    return Rule.model_validate({**body, **overrides})


def test_a_valid_rule_can_be_saved() -> None:
    assert rule_errors("ReviewTaskOpened", [rule()]) == []


def test_a_template_naming_what_the_event_lacks_or_reaching_into_objects_is_refused() -> None:
    for title in ("{reason}", "{title.__class__}", "{title[0]}", "{}", "{title"):
        errors = rule_errors("ReviewTaskOpened", [rule(templates={"zh-CN": {"title": title}})])
        assert errors and errors[0]["field"] == "rules.0.templates.zh-CN.title", title


def test_wechat_needs_a_person_and_wecom_a_group() -> None:
    [error] = rule_errors("ReviewTaskOpened", [rule(channels=["wechat"])])
    assert error["rule"] == "wechat_needs_user"
    submitter = {"kind": "submitter"}
    errors = rule_errors(
        "RequirementRejected", [rule(recipient=submitter, channels=["wecom"], templates={"zh-CN": {"title": "x"}})]
    )
    assert [e["rule"] for e in errors] == ["wecom_needs_group"]


def test_an_unknown_event_type_or_role_is_refused() -> None:
    assert rule_errors("NoSuchEvent", [rule()])[0]["rule"] == "unknown_event"
    bad_role = rule(recipient={"kind": "role", "role": "boss", "org": "itd"})
    assert rule_errors("ReviewTaskOpened", [bad_role])[0]["rule"] == "unknown_role"
