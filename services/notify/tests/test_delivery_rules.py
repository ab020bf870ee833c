"""Pure delivery rules: which channel a message may take, quiet hours, robot routing, audiences, backoff,
and the platforms' size limits."""

from datetime import UTC, datetime, time

from services.notify.announcements import Announcement, Audience
from services.notify.channels.base import Delivery
from services.notify.channels.wechat import fit, template_data
from services.notify.channels.wecom import clip_bytes, content
from services.notify.domain import (
    Channels,
    Message,
    Preferences,
    Recipient,
    Robot,
    messages_for,
    plan_deliveries,
    robot_for,
)
from services.notify.scheme_defaults import default_rules
from services.notify.worker import backoff
from shared.auth import Principal
from shared.events import Actor, Desk, Envelope, TicketCommented

NOON = datetime(2026, 12, 1, 4, tzinfo=UTC)  # 12:00 in Beijing
NIGHT = datetime(2026, 12, 1, 15, tzinfo=UTC)  # 23:00 in Beijing
ROBOTS = [Robot("itd", "信息化处", ("itd",)), Robot("city-150100", "呼和浩特", division_prefix="1501")]
QUIET = Preferences(quiet_from=time(22), quiet_until=time(7), wechat_openid="o-zhang")


def message(recipient: Recipient, channels: tuple[str, ...], urgent: bool = False) -> Message:
    texts = {lang: {"title": "标题", "body": "正文"} for lang in ("zh-CN", "en")}
    return Message("ev1", "RequirementRejected", "REQ-1", recipient, "decision", channels, urgent, texts)


def plan(msg: Message, prefs: dict | None = None, enabled=("inbox", "wecom", "wechat"), now=NOON) -> dict[str, dict]:
    channels = Channels(frozenset(enabled), ROBOTS, prefs or {}, scheme_version=3)
    return {d["channel"]: d for d in plan_deliveries([msg], channels, now)}


def test_each_channel_gets_its_own_delivery_with_a_stable_id_and_the_scheme_version() -> None:
    deliveries = plan(message(Recipient(user_id="u1"), ("inbox", "wechat")), {"u1": QUIET})
    assert deliveries["inbox"]["_id"] == "ev1:user:u1:inbox" and deliveries["wechat"]["_id"] == "ev1:user:u1:wechat"
    assert {d["scheme_version"] for d in deliveries.values()} == {3}
    assert deliveries["wechat"]["openid"] == "o-zhang" and deliveries["wechat"]["state"] == "pending"


def test_a_channel_that_cannot_be_used_is_skipped_with_its_reason() -> None:
    user, group = Recipient(user_id="u1"), Recipient(org_id="bd-budget", role="business_division")
    assert plan(message(user, ("wechat",)))["wechat"]["reason"] == "no_wechat_binding"
    assert plan(message(user, ("wechat",)), {"u1": QUIET}, enabled=("inbox",))["wechat"]["reason"] == "channel_disabled"
    opted_out = Preferences(channels={"decision": ()}, wechat_openid="o-zhang")
    assert plan(message(user, ("wechat",)), {"u1": opted_out})["wechat"]["reason"] == "opted_out"
    assert plan(message(group, ("wecom",)))["wecom"]["reason"] == "no_robot_for_group"


def test_quiet_hours_hold_wechat_until_morning_but_never_the_inbox_or_an_urgent_message() -> None:
    deliveries = plan(message(Recipient(user_id="u1"), ("inbox", "wechat")), {"u1": QUIET}, now=NIGHT)
    assert deliveries["inbox"]["next_attempt_at"] == NIGHT
    assert deliveries["wechat"]["next_attempt_at"] == datetime(2026, 12, 1, 23, tzinfo=UTC)  # 07:00 Beijing
    urgent = plan(message(Recipient(user_id="u1"), ("wechat",), urgent=True), {"u1": QUIET}, now=NIGHT)
    assert urgent["wechat"]["next_attempt_at"] == NIGHT
    assert QUIET.quiet_end(NOON) is None


def test_a_bureau_is_reached_through_its_own_robot_or_its_league_city_group() -> None:
    assert robot_for("itd", ROBOTS).id == "itd"
    assert robot_for("fb-150102", ROBOTS).id == "city-150100"  # 新城区 is in 呼和浩特市
    assert robot_for("fb-150202", ROBOTS) is None  # 包头市 has no robot here
    assert robot_for("fb-150102", [Robot("city-150100", "x", division_prefix="1501", enabled=False)]) is None


def test_a_release_for_every_group_goes_to_each_enabled_robot() -> None:
    deliveries = plan_deliveries(
        [message(Recipient(org_id="*", role="group"), ("wecom",))],
        Channels(frozenset({"wecom"}), ROBOTS, {}, 1),
        NOON,
    )
    assert sorted(d["robot_id"] for d in deliveries) == ["city-150100", "itd"]


def principal(org_id: str, division_code: str, roles: list[str]) -> Principal:
    return Principal(
        user_id="u", username="u", name="u", org_id=org_id, org_name="", org_kind="finance_bureau",
        division_code=division_code, org_path=[division_code, org_id], roles=roles,
    )  # fmt: skip


def test_an_audience_is_a_part_of_the_tree_narrowed_to_roles() -> None:
    hohhot_reviewers = Audience(division_prefixes=("1501",), roles=("reviewer",))
    assert hohhot_reviewers.admits(principal("fb-150102", "150102", ["reviewer"]))
    assert not hohhot_reviewers.admits(principal("fb-150202", "150202", ["reviewer"]))
    assert not hohhot_reviewers.admits(principal("fb-150102", "150102", ["submitter"]))
    assert Audience(org_ids=("itd",)).admits(principal("itd", "150000", ["it_division"]))
    assert Audience().admits(principal("fb-150202", "150202", ["submitter"]))


def test_an_announcement_is_visible_only_inside_its_window() -> None:
    start, end = datetime(2026, 12, 1, tzinfo=UTC), datetime(2026, 12, 8, tzinfo=UTC)
    notice = Announcement("A", "notice", "t", "b", start, start, end)
    assert (
        notice.visible_at(start)
        and not notice.visible_at(end)
        and not notice.visible_at(datetime(2026, 11, 30, tzinfo=UTC))
    )


def test_backoff_grows_exponentially_with_jitter_and_respects_the_cap_and_the_platforms_hint() -> None:
    for attempt, ceiling in ((1, 2), (2, 4), (5, 32), (20, 600)):
        delays = [backoff(attempt, 2, 600) for _ in range(50)]
        assert all(ceiling / 2 <= d <= ceiling for d in delays) and len(set(delays)) > 1
    assert backoff(1, 2, 600, hint=60) == 60


def test_wechat_field_values_are_cut_to_their_types_limits() -> None:
    assert fit("thing1", "一" * 30) == "一" * 19 + "…"
    assert fit("character_string2", "REQ-2026-0001 需求") == "REQ-2026-0001 "
    assert len(fit("character_string2", "x" * 40)) == 32
    assert fit("time3", "2026-12-01 10:00") == "2026-12-01 10:00"
    delivery = Delivery(id="d", channel="wechat", ticket_id="REQ-1", recipient="user:u1", title="标" * 40, body="")
    assert template_data(delivery, NOON)["thing4"]["value"] == "标" * 19 + "…"


def test_wecom_content_is_cut_to_the_byte_limit_without_breaking_a_character() -> None:
    assert clip_bytes("中" * 2000, 2048).encode().__len__() <= 2048
    delivery = Delivery(id="d", channel="wecom", ticket_id="REQ-1", recipient="r", title="t", body="中" * 3000)
    assert len(content(delivery, "markdown").encode()) <= 4096 and len(content(delivery, "text").encode()) <= 2048


def test_wecom_markdown_shows_a_submitters_link_mention_and_markup_as_text() -> None:
    title = "[点此领取补贴](http://evil.test/x_y) <@all>\n# 通知"
    delivery = Delivery(id="d", channel="wecom", ticket_id="PRB-1", recipient="r", title=title, body="原因：**急** `x`")

    markdown = content(delivery, "markdown")

    assert markdown.startswith("**［点此领取补贴］（http://evil.test/x＿y） ＜@all＞ ＃ 通知**\n")
    assert "原因：＊＊急＊＊ ｀x｀" in markdown and markdown.endswith("\n> 编号：PRB-1")
    assert not set("[]()<`_#") & set(markdown.replace("> 编号", "").replace("**", "", 2))
    assert content(delivery, "text").startswith(title)  # a text message has no markup to escape


def test_a_comment_tells_the_mentioned_first_then_the_watchers_and_the_desk_but_never_its_author() -> None:
    event = TicketCommented(
        ticket_id="PRB-202612-0000ABCD", comment_id="CMT-1", title="保存失败", author_id="u-submitter",
        author_name="张敏", excerpt="见截图", mentioned_ids=["u-county", "u-submitter"],
        watcher_ids=["u-county", "u-unitadmin", "u-submitter"], desk=[Desk(org_id="itd", role="it_division")],
    )  # fmt: skip
    envelope = Envelope.wrap(event, source="portal", actor=Actor(user_id="u-submitter", name="张敏"))
    told = {m.recipient.key: m for m in messages_for(envelope, default_rules())}
    assert set(told) == {"user:u-county", "user:u-unitadmin", "role:itd:it_division"}
    assert "提到了您" in told["user:u-county"].texts["zh-CN"]["title"]
    assert told["user:u-unitadmin"].texts["zh-CN"]["body"] == "张敏：见截图"
    assert told["role:itd:it_division"].channels == ("inbox",)
