"""Comments on a ticket (issue 14): the requester and the handlers talk on the ticket, with screenshots,
@-mentions and watchers, by the ticket's area rules; and a problem report takes attachments like a
requirement. Against the running services (Kafka, PostgreSQL, every service)."""

import struct
import zlib

import pytest

from tests.support import Api, eventually, requirement

pytestmark = pytest.mark.e2e


def png() -> bytes:
    """A real 1×1 PNG: what a screenshot is to the type sniffing."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00"))
        + (chunk(b"IEND", b""))
    )


def submitted_requirement(api: Api, title: str) -> str:
    """A requirement of 张敏's unit, once the portal knows it is with the county bureau (新城区财政局)."""
    ticket_id = api.post("intake", "/api/requirements", as_user="submitter", json=requirement(title=title)).json()["id"]

    def with_the_county() -> bool:
        response = api.get("portal", f"/api/tickets/{ticket_id}/timeline", as_user="submitter")
        return response.status_code == 200 and any(e["type"] == "ReviewTaskOpened" for e in response.json()["entries"])

    eventually(with_the_county, what="the requirement at the county bureau's review")
    return ticket_id


def upload(api: Api, ticket_id: str, user: str, content: bytes, name: str = "报错截图.png") -> dict:
    response = api.post(
        "intake", f"/api/tickets/{ticket_id}/attachments", as_user=user, files={"file": (name, content, "image/png")}
    )
    assert response.status_code == 201, response.text
    return response.json()


def comment(api: Api, ticket_id: str, user: str, **body) -> dict:
    response = api.post("portal", f"/api/tickets/{ticket_id}/comments", as_user=user, json=body)
    assert response.status_code == 201, response.text
    return response.json()


def comments_of(api: Api, ticket_id: str, user: str) -> list[dict]:
    response = api.get("portal", f"/api/tickets/{ticket_id}/comments", as_user=user)
    assert response.status_code == 200, response.text
    return response.json()["items"]


def told(api: Api, user: str, ticket_id: str, words: str) -> list[dict]:
    items = api.get("notify", "/api/notifications", as_user=user, params={"limit": 200}).json()
    return [n for n in items if n["ticket_id"] == ticket_id and words in (n["title"] + n.get("body", ""))]


def test_a_requesters_comment_with_a_screenshot_reaches_the_county_reviewer_who_answers_it(api: Api) -> None:
    ticket_id = submitted_requirement(api, "预算指标导出截图评论")
    screenshot = png()
    file = upload(api, ticket_id, "submitter", screenshot)
    assert file["media_type"] == "image/png"
    asked = comment(api, ticket_id, "submitter", text="导出时报错，截图见附件。", attachment_ids=[file["id"]])
    assert asked["attachments"][0]["id"] == file["id"] and asked["author"]["name"] == "张敏"

    # The bureau holding it (新城区财政局's reviewers) hears of it in the inbox, and reads it on the ticket.
    [notice] = eventually(lambda: told(api, "county", ticket_id, "导出时报错"), what="the county's notification")
    assert "有新评论" in notice["title"]
    [seen] = comments_of(api, ticket_id, "county")
    assert seen["body"] == "导出时报错，截图见附件。"
    download = api.get("intake", f"/api/tickets/{ticket_id}/attachments/{file['id']}", as_user="county")
    assert download.status_code == 200 and download.content == screenshot
    assert download.headers["content-disposition"] == f'attachment; filename="{file["id"]}.png"'

    # The reviewer answers and mentions the requester; the requester is told, and sees the answer after theirs.
    comment(api, ticket_id, "county", text="@submitter 已收到，请说明导出的是哪一年度的指标。")
    [mention] = eventually(lambda: told(api, "submitter", ticket_id, "提到了您"), what="the requester's mention")
    assert "哪一年度" in mention["body"]
    assert [c["author"]["name"] for c in comments_of(api, ticket_id, "submitter")] == ["张敏", "赵磊"]
    # Nobody is told of their own comment.
    assert told(api, "submitter", ticket_id, "导出时报错") == []

    def commented_on_the_timeline() -> list[str]:
        entries = api.get("portal", f"/api/tickets/{ticket_id}/timeline", as_user="submitter").json()["entries"]
        return [e["detail"] for e in entries if e["type"] == "TicketCommented"]

    lines = eventually(lambda: len(commented_on_the_timeline()) == 2 and commented_on_the_timeline(), what="timeline")
    assert lines[0] == "张敏 评论：导出时报错，截图见附件。（附件 1 个）"


def test_watchers_are_told_of_a_comment_and_its_author_is_not(api: Api) -> None:
    ticket_id = submitted_requirement(api, "关注者收到评论通知")
    watched = api.put("portal", f"/api/tickets/{ticket_id}/watchers/me", as_user="unitadmin")
    assert watched.status_code == 200 and watched.json() == {"watching": True, "count": 2}  # with the requester

    comment(api, ticket_id, "submitter", text="补充：该功能年底前急需。")
    eventually(lambda: told(api, "unitadmin", ticket_id, "年底前急需"), what="the watcher's notification")
    comment(api, ticket_id, "unitadmin", text="同意，单位已确认。")
    eventually(lambda: told(api, "submitter", ticket_id, "单位已确认"), what="the requester, a watcher")
    assert told(api, "submitter", ticket_id, "年底前急需") == []
    assert told(api, "unitadmin", ticket_id, "单位已确认") == []

    # The requester may stop watching; then a comment reaches the other watcher only.
    stopped = api.delete("portal", f"/api/tickets/{ticket_id}/watchers/me", as_user="submitter")
    assert stopped.json() == {"watching": False, "count": 1}
    comment(api, ticket_id, "county", text="请上传需求说明书。")
    eventually(lambda: told(api, "unitadmin", ticket_id, "需求说明书"), what="the watcher's notification")
    assert told(api, "submitter", ticket_id, "需求说明书") == []


def test_outside_the_tickets_area_comments_do_not_exist(api: Api) -> None:
    ticket_id = submitted_requirement(api, "区域外不可见的评论")
    comment(api, ticket_id, "submitter", text="仅本地区可见。")
    path = f"/api/tickets/{ticket_id}"
    assert api.get("portal", f"{path}/comments", as_user="county2").status_code == 404
    assert api.post("portal", f"{path}/comments", as_user="county2", json={"text": "看看"}).status_code == 404
    assert api.put("portal", f"{path}/watchers/me", as_user="submitter2").status_code == 404
    assert api.get("portal", f"{path}/mentionable", as_user="county2", params={"q": "张"}).status_code == 404
    refused = api.post(
        "intake", f"{path}/attachments", as_user="county2", files={"file": ("a.png", png(), "image/png")}
    )
    assert refused.status_code == 404

    # Mentioning someone who may not read it is refused, naming the field, as for an unknown name.
    for text in ("@county2 请协助", "@nobody-here 请协助"):
        answer = api.post("portal", f"{path}/comments", as_user="submitter", json={"text": text})
        assert answer.status_code == 422, answer.text
        assert answer.json()["detail"][0]["field"] == "mentions"
        assert answer.json()["detail"][0]["rule"] == "mention_not_allowed"
    suggested = api.get("portal", f"{path}/mentionable", as_user="submitter", params={"q": "county"}).json()
    assert "county" in [u["username"] for u in suggested] and "county2" not in [u["username"] for u in suggested]
    assert len(comments_of(api, ticket_id, "submitter")) == 1


def test_a_comment_may_carry_only_the_commenters_own_files_for_that_ticket(api: Api) -> None:
    ticket_id = submitted_requirement(api, "他人附件不可引用")
    other = submitted_requirement(api, "另一个需求的附件")
    someone_elses = upload(api, ticket_id, "unitadmin", png())
    for_another_ticket = upload(api, other, "submitter", png())
    for attachment in (someone_elses, for_another_ticket):
        body = {"text": "见附件", "attachment_ids": [attachment["id"]]}
        answer = api.post("portal", f"/api/tickets/{ticket_id}/comments", as_user="submitter", json=body)
        assert answer.status_code == 422, answer.text
        assert answer.json()["detail"][0] == {
            "field": "attachment_ids",
            "rule": "attachment_not_yours",
            "message": answer.json()["message"],
        }
    assert comments_of(api, ticket_id, "submitter") == []


def test_bad_comments_are_refused_naming_the_field_and_change_nothing(api: Api) -> None:
    ticket_id = submitted_requirement(api, "评论输入校验")
    cases = [
        ({"text": "   "}, "text", "string_too_short"),
        ({"text": "长" * 2001}, "text", "string_too_long"),
        ({"text": "好", "attachment_ids": ["../../etc/passwd"]}, "attachment_ids.0", "string_pattern_mismatch"),
        ({"text": "好", "colour": "red"}, "colour", "extra_forbidden"),
        ({}, "text", "missing"),
    ]
    for body, field, rule in cases:
        answer = api.post("portal", f"/api/tickets/{ticket_id}/comments", as_user="submitter", json=body)
        assert answer.status_code == 422, answer.text
        assert (answer.json()["detail"][0]["field"], answer.json()["detail"][0]["rule"]) == (field, rule)
        assert "评论内容" in answer.json()["message"] or field != "text"
    page = api.get("portal", f"/api/tickets/{ticket_id}/comments", as_user="submitter", params={"limit": 0})
    assert page.status_code == 422 and page.json()["detail"][0]["field"] == "limit"
    assert comments_of(api, ticket_id, "submitter") == []


def test_comments_come_a_page_at_a_time_oldest_first(api: Api) -> None:
    ticket_id = submitted_requirement(api, "评论分页")
    for n in range(3):
        comment(api, ticket_id, "submitter", text=f"第 {n + 1} 条")
    first = api.get("portal", f"/api/tickets/{ticket_id}/comments", as_user="county", params={"limit": 2}).json()
    assert [c["body"] for c in first["items"]] == ["第 1 条", "第 2 条"] and first["next"]
    params = {"limit": 2, "after": first["next"]}
    rest = api.get("portal", f"/api/tickets/{ticket_id}/comments", as_user="county", params=params).json()
    assert [c["body"] for c in rest["items"]] == ["第 3 条"] and rest["next"] is None


BUG = {
    "category": "bug",
    "title": "支付凭证打印空白",
    "description": "打印支付凭证时预览为空白页。",
    "details": {
        "kind": "bug",
        "error_text": "预览空白",
        "steps": "国库支付 → 凭证打印",
        "os": "Windows 10",
        "browser": "Chrome",
        "browser_version": "120",
    },
}


def test_a_problem_reported_with_a_screenshot_shows_it_on_its_page(api: Api) -> None:
    problem_id = api.post("intake", "/api/problems", as_user="submitter", json=BUG).json()["id"]
    screenshot = png()
    attached = api.post(
        "intake",
        f"/api/problems/{problem_id}/attachments",
        as_user="submitter",
        files={"file": ("空白页.png", screenshot, "image/png")},
    )
    assert attached.status_code == 201, attached.text
    file = attached.json()
    # Whoever may read the problem sees the file with it and downloads it under its id and real type.
    shown = api.get("intake", f"/api/problems/{problem_id}", as_user="county").json()
    assert [(a["id"], a["name"], a["media_type"]) for a in shown["attachments"]] == [
        (file["id"], "空白页.png", "image/png")
    ]
    path = f"/api/problems/{problem_id}/attachments/{file['id']}"
    download = api.get("intake", path, as_user="county")
    assert download.content == screenshot
    assert download.headers["content-disposition"] == f'attachment; filename="{file["id"]}.png"'
    assert api.get("intake", path, as_user="county2").status_code == 404

    # The same rules as a requirement's: the type told by the bytes, and the reporter's alone to add.
    page = b"<html><script>alert(1)</script></html>"
    html = api.post(
        "intake", f"/api/problems/{problem_id}/attachments", as_user="submitter", files={"file": ("a.png", page)}
    )
    assert html.status_code == 415 and html.json()["detail"][0]["field"] == "file"
    not_theirs = api.post(
        "intake", f"/api/problems/{problem_id}/attachments", as_user="unitadmin", files={"file": ("b.png", screenshot)}
    )
    assert not_theirs.status_code == 403
    assert len(api.get("intake", f"/api/problems/{problem_id}", as_user="submitter").json()["attachments"]) == 1
