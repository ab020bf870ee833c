"""Intake through the running services: the window, drafts, the template spreadsheet, attachments."""

import zipfile
from io import BytesIO

import httpx
import pytest
from openpyxl import Workbook, load_workbook

from tests.support import Api, requirement

pytestmark = pytest.mark.e2e

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def test_submission_outside_the_window_is_refused_with_the_next_opening_date(api: Api) -> None:
    # The stack's business clock stands on 2026-12-01, the first working day of December. When the
    # region marks that day as a day off, the window moves to 2–4 December and today is outside it.
    correct = lambda is_workday: api.put("intake", "/api/calendar/overrides/2026-12-01", as_user="itdiv",  # noqa: E731
                                         json={"is_workday": is_workday, "note": "测试：调整为休息日"})  # fmt: skip
    assert correct(False).status_code == 204
    try:
        status = api.get("intake", "/api/submission-window", as_user="submitter").json()
        assert status["open"] is False and status["next_opening"] == "2026-12-02"

        refused = api.post("intake", "/api/requirements", as_user="submitter", json=requirement())
        assert refused.status_code == 409
        assert refused.json()["error"] == "submission_window_closed"
        assert "2026-12-02" in refused.json()["message"]
        # A draft can still be saved; only submitting waits for the window.
        assert (
            api.post("intake", "/api/requirements/drafts", as_user="submitter", json=requirement()).status_code == 201
        )
    finally:
        assert correct(None).status_code == 204
    assert api.get("intake", "/api/submission-window", as_user="submitter").json()["open"] is True


def test_only_the_regions_it_division_corrects_the_calendar(api: Api) -> None:
    for user in ("submitter", "county", "city", "bizdiv", "vendor1"):
        response = api.put("intake", "/api/calendar/overrides/2027-01-01", as_user=user, json={"is_workday": False})
        assert response.status_code == 403


def test_draft_is_private_until_submitted(api: Api) -> None:
    draft_id = api.post("intake", "/api/requirements/drafts", as_user="submitter", json=requirement()).json()["id"]
    assert api.get("intake", f"/api/requirements/{draft_id}", as_user="county").status_code == 404
    assert api.put("intake", f"/api/requirements/{draft_id}", as_user="submitter",
                   json=requirement(title="草稿修改后的标题")).status_code == 204  # fmt: skip
    submitted = api.post("intake", f"/api/requirements/{draft_id}/submit", as_user="submitter")
    assert submitted.json() == {"id": draft_id, "status": "submitted"}
    doc = api.get("intake", f"/api/requirements/{draft_id}", as_user="county").json()
    assert doc["title"] == "草稿修改后的标题" and [h["action"] for h in doc["history"]] == [
        "drafted",
        "amended",
        "submitted",
    ]
    assert api.post("intake", f"/api/requirements/{draft_id}/submit", as_user="submitter").status_code == 409


def filled_template(api: Api, rows: list[list[str]]) -> bytes:
    template = api.get("intake", "/api/requirements/template.xlsx", as_user="submitter")
    assert template.status_code == 200
    workbook = load_workbook(BytesIO(template.content))
    sheet = workbook["需求征集样表"]
    for row in rows:
        sheet.append(row)
    buffer = BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def upload(api: Api, content: bytes, user: str = "submitter") -> httpx.Response:
    files = {"file": ("需求征集样表.xlsx", content, "application/octet-stream")}
    return api.post("intake", "/api/requirements/import", as_user=user, files=files)


def test_a_spreadsheet_that_would_expand_to_gigabytes_is_refused_before_it_is_parsed(api: Api) -> None:
    buffer = BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as package:
        package.writestr("[Content_Types].xml", "<Types/>")
        package.writestr("xl/worksheets/sheet1.xml", b"<" + b"a" * 60 * 1024 * 1024)  # 60 MB of one letter
    assert len(buffer.getvalue()) < 200_000, "a small upload"
    refused = upload(api, buffer.getvalue(), user="submitter2")
    assert refused.status_code == 422 and refused.json()["detail"][0]["field"] == "file"
    assert "解压后过大" in refused.json()["message"]


def test_spreadsheet_imports_are_counted_before_the_file_is_read(api: Api) -> None:
    answers = [upload(api, b"not even a zip", user="submitter2").status_code for _ in range(11)]
    assert answers[:10] == [422] * 10 or 429 in answers[:10]  # a window may begin part-way
    assert 429 in answers, "the eleventh upload of a minute is refused before it is opened"


def test_template_spreadsheet_has_drop_downs_for_category_and_urgency(api: Api) -> None:
    workbook = load_workbook(BytesIO(api.get("intake", "/api/requirements/template.xlsx", as_user="submitter").content))
    formulas = {v.formula1 for v in workbook["需求征集样表"].data_validations.dataValidation}
    assert '"新增需求,优化完善需求,统计报表需求"' in formulas and '"一般,紧急"' in formulas
    assert "填写说明" in workbook.sheetnames


def test_spreadsheet_with_valid_and_invalid_rows_imports_the_valid_ones_and_reports_the_rest(api: Api) -> None:
    rows = [
        [
            "新增需求",
            "单位资产卡片批量导入",
            "希望支持通过模板批量导入资产卡片，减少手工录入。",
            "",
            "",
            "一般",
            "资产管理",
            "",
        ],
        ["想要的功能", "类别不对的需求", "这一行的需求类别不在下拉列表中。", "", "", "一般", "", ""],
        ["统计报表需求", "", "缺少标题的一行需求，应当被报告为错误。", "", "", "紧急", "", ""],
        [
            "优化完善需求",
            "支付申请查询增加列",
            "支付申请查询界面增加“资金性质”展示列。",
            "",
            "",
            "紧急",
            "国库支付",
            "",
        ],
    ]
    result = upload(api, filled_template(api, rows)).json()

    assert [r["row"] for r in result["imported"]] == [2, 5]
    assert {(e["row"], e["column"]) for e in result["errors"]} == {(3, "需求类别*"), (4, "需求标题*")}
    assert next(e["reason"] for e in result["errors"] if e["row"] == 4) == "请填写需求标题"  # not pydantic's English
    imported = api.get("intake", f"/api/requirements/{result['imported'][0]['id']}", as_user="submitter").json()
    assert imported["channel"] == "spreadsheet" and imported["category"] == "new"

    # Uploading the same file again (say, after fixing rows 3 and 4) submits nothing twice.
    again = upload(api, filled_template(api, rows)).json()
    assert again["imported"] == [] and [s["row"] for s in again["skipped"]] == [2, 5]


def test_a_file_that_is_not_a_spreadsheet_is_refused_naming_the_field(api: Api) -> None:
    response = upload(api, b"%PDF-1.7 not a workbook")
    assert response.status_code == 422 and response.json()["detail"][0]["field"] == "file"
    empty = Workbook()
    buffer = BytesIO()
    empty.save(buffer)
    assert upload(api, buffer.getvalue()).status_code == 422  # no template columns


def test_attachment_type_is_checked_by_content(api: Api) -> None:
    ticket_id = api.post("intake", "/api/requirements", as_user="submitter", json=requirement()).json()["id"]
    path = f"/api/requirements/{ticket_id}/attachments"

    screenshot = api.post("intake", path, as_user="submitter", files={"file": ("报错截图.png", PNG, "image/png")})
    assert screenshot.status_code == 201 and screenshot.json()["media_type"] == "image/png"
    html = b"<html><script>alert(1)</script></html>"
    disguised = api.post("intake", path, as_user="submitter", files={"file": ("截图.png", html, "image/png")})
    assert disguised.status_code == 415 and disguised.json()["detail"][0]["field"] == "file"
    program = api.post(
        "intake", path, as_user="submitter", files={"file": ("a.pdf", b"MZ\x90\x00" * 10, "application/pdf")}
    )
    assert program.status_code == 415

    doc = api.get("intake", f"/api/requirements/{ticket_id}", as_user="county").json()
    assert [a["name"] for a in doc["attachments"]] == ["报错截图.png"]
    download = api.get("intake", f"{path}/{screenshot.json()['id']}", as_user="county")
    assert download.content == PNG and download.headers["x-content-type-options"] == "nosniff"
    assert api.get("intake", f"{path}/{screenshot.json()['id']}", as_user="county2").status_code == 404
    assert api.post("intake", path, as_user="county", files={"file": ("x.png", PNG, "image/png")}).status_code == 403


def docx_with(*extra: tuple[str, bytes]) -> bytes:
    buffer = BytesIO()
    with zipfile.ZipFile(buffer, "w") as package:
        package.writestr("[Content_Types].xml", "<Types/>")
        package.writestr("_rels/.rels", "<Relationships/>")
        package.writestr("word/document.xml", "<w:document/>")
        for name, content in extra:
            package.writestr(name, content)
    return buffer.getvalue()


def test_a_download_is_named_by_its_id_and_real_type_and_a_document_with_foreign_entries_is_refused(
    api: Api,
) -> None:
    ticket_id = api.post("intake", "/api/requirements", as_user="submitter", json=requirement()).json()["id"]
    path = f"/api/requirements/{ticket_id}/attachments"
    named = api.post("intake", path, as_user="submitter", files={"file": ("发票.png.exe", PNG, "image/png")})
    assert named.status_code == 201
    download = api.get("intake", f"{path}/{named.json()['id']}", as_user="submitter")
    assert download.headers["content-disposition"] == f'attachment; filename="{named.json()["id"]}.png"'
    assert download.headers["content-type"] == "image/png"

    document = api.post(
        "intake", path, as_user="submitter", files={"file": ("方案.docx", docx_with(), "application/msword")}
    )
    assert document.status_code == 201 and document.json()["media_type"].endswith("wordprocessingml.document")
    for entry in (("word/vbaProject.bin", b"macro"), ("payload/run.exe", b"MZ"), ("word/../../evil.js", b"x")):
        refused = api.post("intake", path, as_user="submitter", files={"file": ("方案.docx", docx_with(entry), "x")})
        assert refused.status_code == 415, entry
        assert refused.json()["detail"][0] == {
            "field": "file", "rule": "attachment_unexpected_entry", "message": refused.json()["message"],
        }  # fmt: skip
    assert len(api.get("intake", f"/api/requirements/{ticket_id}", as_user="submitter").json()["attachments"]) == 2


def test_the_january_2027_window_is_the_4th_to_the_6th_without_any_correction_and_warns(api: Api) -> None:
    """第五条 with the statutory holidays (New Year's Day, Friday 1 January 2027) off before the State Council's
    2027 arrangement is entered, and a warning until it is."""
    planned = api.get("intake", "/api/submission-window", as_user="submitter", params={"month": "2027-01"})
    assert planned.status_code == 200, planned.text
    body = planned.json()
    assert body["window_days"] == ["2027-01-04", "2027-01-05", "2027-01-06"]
    assert any("2027 年国务院节假日安排未录入" in warning for warning in body["warnings"])
    assert (
        api.get("intake", "/api/submission-window", as_user="submitter", params={"month": "2027-13"}).status_code == 422
    )


def my_drafts(api: Api, user: str = "submitter") -> list[dict]:
    return api.get("intake", "/api/requirements", as_user=user, params={"status": "draft", "limit": 200}).json()


def test_a_draft_is_listed_to_its_author_edited_with_its_version_and_deleted(api: Api) -> None:
    draft_id = api.post("intake", "/api/requirements/drafts", as_user="submitter", json=requirement()).json()["id"]
    [listed] = [d for d in my_drafts(api) if d["_id"] == draft_id]
    assert listed["status"] == "draft" and draft_id not in {d["_id"] for d in my_drafts(api, "county")}

    version = api.get("intake", f"/api/requirements/{draft_id}", as_user="submitter").json()["version"]
    edited = requirement(title="在另一个标签页里修改的标题")
    headers = {"If-Match": str(version)}
    path = f"/api/requirements/{draft_id}"
    assert api.put("intake", path, as_user="submitter", json=edited, headers=headers).status_code == 204
    stale = api.put("intake", path, as_user="submitter", json=requirement(title="旧页面上的修改"), headers=headers)
    assert stale.status_code == 409 and stale.json()["error"] == "concurrent_change"
    assert api.get("intake", path, as_user="submitter").json()["title"] == "在另一个标签页里修改的标题"

    assert api.delete("intake", path, as_user="county").status_code == 404  # nobody else's to delete
    assert api.delete("intake", path, as_user="submitter").status_code == 204
    assert api.get("intake", path, as_user="submitter").status_code == 404
    assert draft_id not in {d["_id"] for d in my_drafts(api)}


def test_a_submitted_requirement_cannot_be_deleted(api: Api) -> None:
    submitted = api.post("intake", "/api/requirements", as_user="submitter", json=requirement()).json()["id"]
    refused = api.delete("intake", f"/api/requirements/{submitted}", as_user="submitter")
    assert refused.status_code == 409 and refused.json()["error"] == "not_a_draft"
    assert api.get("intake", f"/api/requirements/{submitted}", as_user="submitter").status_code == 200


def test_a_user_keeps_at_most_fifty_drafts(api: Api) -> None:
    already = len(my_drafts(api, "county"))  # the county bureau's reviewer also submits for the bureau
    created = [
        api.post("intake", "/api/requirements/drafts", as_user="county", json=requirement()).json()["id"]
        for _ in range(50 - already)
    ]
    refused = api.post("intake", "/api/requirements/drafts", as_user="county", json=requirement())
    assert refused.status_code == 409 and refused.json()["error"] == "draft_quota_reached"
    assert "50" in refused.json()["message"]
    for draft_id in created:  # leave the account as it was
        assert api.delete("intake", f"/api/requirements/{draft_id}", as_user="county").status_code == 204
