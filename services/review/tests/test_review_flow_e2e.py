"""The requirement procedure through the running services (第三条, 第六条一～四), real Kafka and PostgreSQL:
intake takes the submission, review opens the case from its event; every step after that goes through
review's HTTP API, and its events reach Kafka (seen in the portal's audit trail)."""

from io import BytesIO

import docx
import pytest

from tests.support import Api, eventually, requirement

pytestmark = pytest.mark.e2e

MONTH = "2026-12"
REASON = "该需求与现有通用导出功能重复，请使用指标查询的导出按钮。"


def submit(api: Api, title: str, as_user: str = "submitter") -> str:
    response = api.post("intake", "/api/requirements", as_user=as_user, json=requirement(title=title))
    assert response.status_code == 201, response.text
    return response.json()["id"]


def queued(api: Api, reviewer: str, ticket_id: str) -> dict | None:
    return next(
        (t for t in api.get("review", "/api/review-tasks", as_user=reviewer).json() if t["_id"] == ticket_id), None
    )


def submitted_for_review(api: Api, title: str) -> str:
    """Submitted, and its review case opened at 新城区's finance bureau (from the RequirementSubmitted event)."""
    ticket_id = submit(api, title)
    eventually(lambda: queued(api, "county", ticket_id), what=f"{ticket_id} in the county queue")
    return ticket_id


def act(api: Api, user: str, ticket_id: str, action: str, **body):
    return api.post("review", f"/api/review-tasks/{ticket_id}/{action}", as_user=user, json=body)


def case_of(api: Api, ticket_id: str, as_user: str = "submitter") -> dict:
    response = api.get("review", f"/api/review-cases/{ticket_id}", as_user=as_user)
    assert response.status_code == 200, response.text
    return response.json()


def audited(api: Api, subject: str, *types: str) -> list[dict]:
    """Waits until the events of `types` about `subject` were published to Kafka and audited by the portal."""

    def probe():
        entries = api.get("portal", "/api/audit", as_user="auditor", params={"subject": subject}).json()
        return set(types) <= {e["action"] for e in entries} and entries

    return eventually(probe, what=f"{types} of {subject} in the audit trail")


def reviewed_by_every_level(api: Api, title: str) -> str:
    ticket_id = submitted_for_review(api, title)
    for reviewer in ("county", "city", "region"):
        assert act(api, reviewer, ticket_id, "forward").status_code == 200
    return ticket_id


def test_forwarded_from_county_to_city_to_region_completes_the_review(api: Api) -> None:
    ticket_id = submitted_for_review(api, "非税收入缴款书增加二维码")

    assert act(api, "county2", ticket_id, "forward").status_code == 404  # another city's county: no such case
    assert act(api, "city", ticket_id, "forward").json()["error"] == "task_not_current"  # not the city's turn yet
    forwarded = act(api, "county", ticket_id, "forward", opinion="建议实现")
    assert forwarded.status_code == 200, forwarded.text
    assert (forwarded.json()["current_level"], forwarded.json()["current_division"]) == ("city", "150100")
    again = act(api, "county", ticket_id, "forward")
    assert (again.status_code, again.json()["error"]) == (409, "task_not_current")
    assert queued(api, "city", ticket_id) and not queued(api, "county", ticket_id)

    assert act(api, "city", ticket_id, "forward").status_code == 200
    assert queued(api, "region", ticket_id)
    completed = act(api, "region", ticket_id, "forward", opinion="同意，转信息化处梳理").json()

    assert completed["status"] == "awaiting_refinement" and completed["current_level"] is None
    history = case_of(api, ticket_id)["history"]
    assert [h["action"] for h in history] == ["submitted", "forwarded", "forwarded", "forwarded", "review_completed"]
    assert [h["actor_id"] for h in history[1:4]] == ["u-county", "u-city", "u-region"]
    assert ticket_id in {c["_id"] for c in api.get("review", "/api/refinement-queue", as_user="itdiv").json()}
    assert api.get("review", f"/api/review-cases/{ticket_id}", as_user="county2").status_code == 404
    audited(api, ticket_id, "RequirementForwarded", "RequirementReviewCompleted")


def test_rejection_at_the_county_carries_its_detailed_reason(api: Api) -> None:
    ticket_id = submitted_for_review(api, "预算指标查询增加按项目筛选")

    short = act(api, "county", ticket_id, "reject", reason="不需要")
    assert (short.status_code, short.json()["detail"][0]["field"]) == (422, "reason")
    rejected = act(api, "county", ticket_id, "reject", reason=REASON)
    assert rejected.status_code == 200 and rejected.json()["status"] == "rejected"

    last = case_of(api, ticket_id)["history"][-1]  # the submitter reads why (第六条一)
    assert (last["action"], last["reason"], last["level"]) == ("rejected", REASON, "county")
    assert act(api, "county", ticket_id, "forward").json()["error"] == "not_in_review"
    assert not queued(api, "county", ticket_id)
    audited(api, ticket_id, "RequirementRejected")


def test_rejection_at_the_city(api: Api) -> None:
    ticket_id = submitted_for_review(api, "国库支付明细增加收款人账号")
    assert act(api, "county", ticket_id, "forward").status_code == 200

    rejected = act(api, "city", ticket_id, "reject", reason="属于个性化需求，不符合全区通用性原则（第一条）。")

    assert rejected.status_code == 200
    [task_county, task_city] = case_of(api, ticket_id)["tasks"]
    assert (task_county["status"], task_city["status"], task_city["closed_by"]) == ("forwarded", "rejected", "u-city")
    assert not queued(api, "region", ticket_id)


def test_return_sends_it_back_to_the_submitter(api: Api) -> None:
    ticket_id = submitted_for_review(api, "单位会计核算增加凭证批量打印")

    returned = act(api, "county", ticket_id, "return", reason="请补充业务场景和预期效果")

    assert returned.status_code == 200 and returned.json()["status"] == "returned"
    assert case_of(api, ticket_id)["history"][-1]["reason"] == "请补充业务场景和预期效果"
    assert not queued(api, "county", ticket_id)
    audited(api, ticket_id, "RequirementReturned")


def test_refined_confirmed_and_published_with_the_decline_reason_and_the_specification(api: Api) -> None:
    adopted = reviewed_by_every_level(api, "预算调整单增加附件上传")
    declined = reviewed_by_every_level(api, "预算编制增加历史年度对比")
    for ticket_id in (adopted, declined):
        refine = {"business_division_id": "bd-budget", "module": "预算编制", "notes": "已与预算处沟通"}
        response = api.post("review", f"/api/refinement/{ticket_id}", as_user="itdiv", json=refine)
        assert response.json()["status"] == "awaiting_confirmation", response.text
    queue = {c["_id"] for c in api.get("review", "/api/confirmation-queue", as_user="bizdiv").json()}
    assert {adopted, declined} <= queue

    early = api.post("review", "/api/publications", as_user="itdiv", json={"month": MONTH, "ticket_ids": [adopted]})
    assert (early.status_code, early.json()["error"]) == (409, "not_confirmed")  # publishing before confirmation

    adopt = {"decision": "adopt", "expected_upgrade": "2027-03-31"}
    assert api.post("review", f"/api/confirmation/{adopted}", as_user="bizdiv", json=adopt).status_code == 200
    decline = {"decision": "decline", "reason": "历史对比可通过统计报表实现，不单独开发"}
    assert api.post("review", f"/api/confirmation/{declined}", as_user="bizdiv", json=decline).status_code == 200

    body = {"month": MONTH, "ticket_ids": [adopted, declined]}
    published = api.post("review", "/api/publications", as_user="itdiv", json=body)
    assert published.status_code == 201, published.text
    batch = published.json()
    items = {entry["ticket_id"]: entry for entry in batch["entries"]}
    assert (items[adopted]["adopted"], items[adopted]["expected_upgrade"]) == (True, "2027-03-31")
    assert (items[declined]["adopted"], items[declined]["reason"]) == (False, "历史对比可通过统计报表实现，不单独开发")

    listed = api.get("review", "/api/publications", as_user="submitter", params={"month": MONTH}).json()
    assert batch["_id"] in {p["_id"] for p in listed}
    assert api.get("review", f"/api/publications/{batch['_id']}", as_user="county2").status_code == 200
    again = api.post("review", "/api/publications", as_user="itdiv", json={"month": MONTH, "ticket_ids": [adopted]})
    assert again.json()["error"] == "already_published"
    assert batch["_id"] == f"PUB-{MONTH}"

    url = f"/api/publications/{batch['_id']}/specification.docx"
    assert api.get("review", url, as_user="submitter").status_code == 403
    download = api.get("review", url, as_user="bizdiv")
    assert download.status_code == 200
    document = docx.Document(BytesIO(download.content))
    cells = [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    assert adopted in cells and "预算调整单增加附件上传" in cells and declined not in cells
    audited(api, batch["_id"], "PublicationPublished")
    audited(api, declined, "RequirementConfirmed", "RequirementPublished")


def test_a_duplicate_is_merged_into_another_requirement(api: Api) -> None:
    original = reviewed_by_every_level(api, "资产配置增加审批流程")
    duplicate = reviewed_by_every_level(api, "资产配置审批流程")

    merged = api.post("review", f"/api/refinement/{duplicate}/merge", as_user="itdiv", json={"into": original})

    assert (merged.status_code, merged.json()["status"], merged.json()["merged_into"]) == (200, "merged", original)
    queue = {c["_id"] for c in api.get("review", "/api/refinement-queue", as_user="itdiv").json()}
    assert original in queue and duplicate not in queue


def test_a_requirement_asking_for_two_things_is_split_and_each_part_goes_on_alone(api: Api) -> None:
    original = reviewed_by_every_level(api, "指标查询导出与凭证批量打印")
    export = {
        "title": "指标查询增加导出",
        "description": "指标查询结果按条件导出 Excel，便于核对。",
        "module": "指标管理",
    }
    printing = {"title": "会计凭证批量打印", "description": "会计凭证支持按日期范围批量打印，减少逐张打印。"}
    split_path = f"/api/refinement/{original}/split"

    bad = {"parts": [export, {**printing, "title": "印"}], "reason": "两项需求互不相关"}
    refused = api.post("review", split_path, as_user="itdiv", json=bad)
    assert (refused.status_code, refused.json()["detail"][0]["field"]) == (422, "parts.1.title"), refused.text
    one = api.post("review", split_path, as_user="itdiv", json={"parts": [export]})
    assert (one.status_code, one.json()["detail"][0]["field"]) == (422, "parts")
    assert api.post("review", split_path, as_user="county", json=bad).status_code == 403
    assert case_of(api, original)["status"] == "awaiting_refinement"  # nothing changed

    body = {"parts": [export, printing], "reason": "一项需求包含两件互不相关的事，分别办理"}
    split = api.post("review", split_path, as_user="itdiv", json=body)
    assert split.status_code == 200, split.text
    parts = [f"{original}-1", f"{original}-2"]
    assert (split.json()["status"], split.json()["split_into"]) == ("split", parts)
    again = api.post("review", split_path, as_user="itdiv", json=body)
    assert (again.status_code, again.json()["error"]) == (409, "not_splittable")
    missing = api.post("review", "/api/refinement/REQ-000000-NONE/split", as_user="itdiv", json=body)
    assert missing.status_code == 404

    # The parts are opened from RequirementSplit: they reach the refinement queue, the original leaves it.
    def queue() -> set[str]:
        return {c["_id"] for c in api.get("review", "/api/refinement-queue", as_user="itdiv").json()}

    eventually(lambda: set(parts) <= queue(), what=f"{parts} in the refinement queue")
    assert original not in queue()
    first = case_of(api, parts[0])
    assert (first["title"], first["module"], first["split_from"]) == (export["title"], "指标管理", original)
    assert [h["action"] for h in first["history"]][-2:] == ["review_completed", "split_from"]

    # Each part is refined and confirmed on its own.
    for ticket_id in parts:
        refine = {"business_division_id": "bd-budget", "notes": "拆分后单独梳理"}
        response = api.post("review", f"/api/refinement/{ticket_id}", as_user="itdiv", json=refine)
        assert response.json()["status"] == "awaiting_confirmation", response.text
    adopt = {"decision": "adopt", "expected_upgrade": "2027-03-31"}
    assert api.post("review", f"/api/confirmation/{parts[0]}", as_user="bizdiv", json=adopt).status_code == 200
    assert case_of(api, parts[1])["status"] == "awaiting_confirmation"
    decline = {"decision": "decline", "reason": "批量打印可通过现有打印模板实现"}
    assert api.post("review", f"/api/confirmation/{parts[1]}", as_user="bizdiv", json=decline).status_code == 200
    decisions = [case_of(api, ticket_id)["decision"]["adopted"] for ticket_id in parts]
    assert decisions == [True, False]

    # The requester follows the original (拆分) and each part in their own ticket list.
    def timeline(ticket_id: str) -> list[dict]:
        return api.get("portal", f"/api/tickets/{ticket_id}/timeline", as_user="submitter").json().get("entries", [])

    [entry] = eventually(
        lambda: [e for e in timeline(original) if e["label"] == "拆分"], what=f"拆分 on {original}'s timeline"
    )
    assert entry["detail"] == f"拆分为 {'、'.join(parts)}"

    def my_tickets() -> dict[str, dict]:
        tickets = api.get("portal", "/api/tickets", as_user="submitter", params={"limit": 200}).json()
        return {t["_id"]: t for t in tickets if t["_id"] in [original, *parts]}

    def settled() -> dict[str, dict] | None:
        tickets = my_tickets()
        statuses = {ticket_id: tickets.get(ticket_id, {}).get("status") for ticket_id in [original, *parts]}
        return tickets if statuses == {original: "split", parts[0]: "adopted", parts[1]: "declined"} else None

    tickets = eventually(settled, what="the original split and its parts decided in the submitter's tickets")
    assert tickets[parts[1]]["title"] == printing["title"] and tickets[parts[1]]["split_from"] == original
    assert tickets[parts[0]]["submitted_at"] == tickets[original]["submitted_at"]
    assert timeline(parts[0])[0]["detail"] == f"由 {original} 拆分而来：{export['title']}"
    audited(api, original, "RequirementSplit")

    def told() -> list[dict]:
        items = api.get("notify", "/api/notifications", as_user="submitter", params={"limit": 200}).json()
        return [n for n in items if n["ticket_id"] == original and "已拆分" in n["title"]]

    eventually(told, what="the split in the submitter's inbox")


def test_batch_forward_of_three_requirements_answers_per_item(api: Api) -> None:
    tickets = [submitted_for_review(api, f"社保资金报表增加第{n}季度汇总") for n in (1, 2, 3)]

    response = api.post(
        "review",
        "/api/review-tasks/batch",
        as_user="county",
        json={"ticket_ids": [*tickets, "REQ-000000-NONE"], "action": "forward", "opinion": "批量报送"},
    )

    assert response.status_code == 200, response.text
    results = {r["ticket_id"]: r for r in response.json()["results"]}
    assert all(results[t]["ok"] for t in tickets)
    assert (results["REQ-000000-NONE"]["ok"], results["REQ-000000-NONE"]["error"]) == (False, "case_not_found")
    assert all(queued(api, "city", t) for t in tickets)


@pytest.mark.parametrize(
    ("user", "method", "path", "body"),
    [
        ("submitter", "post", "/api/review-tasks/REQ-X/forward", {}),
        ("itdiv", "post", "/api/review-tasks/batch", {"ticket_ids": ["REQ-X"], "action": "forward"}),
        ("county", "post", "/api/refinement/REQ-X", {"business_division_id": "bd-budget"}),
        ("itdiv", "post", "/api/confirmation/REQ-X", {"decision": "adopt"}),
        ("bizdiv", "post", "/api/publications", {"month": MONTH}),
        ("county", "get", "/api/refinement-queue", None),
        ("itdiv", "get", "/api/confirmation-queue", None),
    ],
)
def test_roles_that_may_never_use_an_endpoint_get_403(api: Api, user, method, path, body) -> None:
    kwargs = {"json": body} if body is not None else {}
    assert getattr(api, method)("review", path, as_user=user, **kwargs).status_code == 403


def test_publishing_again_in_a_month_amends_its_one_publication_and_its_one_announcement(api: Api) -> None:
    first = reviewed_by_every_level(api, "国库集中支付增加批量撤销")
    later = reviewed_by_every_level(api, "国库集中支付增加退款查询")
    for ticket_id in (first, later):
        refine = {"business_division_id": "bd-budget", "module": "国库支付"}
        assert api.post("review", f"/api/refinement/{ticket_id}", as_user="itdiv", json=refine).status_code == 200
    adopt = {"decision": "adopt", "expected_upgrade": "2027-02-26"}
    assert api.post("review", f"/api/confirmation/{first}", as_user="bizdiv", json=adopt).status_code == 200
    published = api.post("review", "/api/publications", as_user="itdiv", json={"month": MONTH, "ticket_ids": [first]})
    assert published.status_code == 201, published.text
    revision = published.json()["revision"]

    # Confirmed after the publication: the preview says it amends it, publishing adds it to the same one.
    assert api.post("review", f"/api/confirmation/{later}", as_user="bizdiv", json=adopt).status_code == 200
    preview = api.get("review", "/api/publications/preview", as_user="itdiv", params={"month": MONTH}).json()
    assert (preview["batch_id"], preview["amends"], preview["revision"]) == (f"PUB-{MONTH}", True, revision + 1)
    assert later in {entry["ticket_id"] for entry in preview["entries"]}
    assert (
        api.get("review", "/api/publications/preview", as_user="submitter", params={"month": MONTH}).status_code == 403
    )
    body = {"month": MONTH, "ticket_ids": [later]}
    amended = api.post("review", "/api/publications", as_user="itdiv", json=body).json()
    assert (amended["_id"], amended["revision"], amended["added"]) == (f"PUB-{MONTH}", revision + 1, [later])
    assert {first, later} <= {entry["ticket_id"] for entry in amended["entries"]}
    listed = api.get("review", "/api/publications", as_user="submitter", params={"month": MONTH}).json()
    assert [p["_id"] for p in listed] == [f"PUB-{MONTH}"]

    def announced() -> list[dict]:
        shown = api.get("notify", "/api/announcements", as_user="submitter", params={"limit": 100}).json()
        return [a for a in shown if a["kind"] == "publication" and a["title"] == f"{MONTH} 需求公示"]

    eventually(lambda: (a := announced()) and f"第 {revision + 1} 次更新" in a[0]["body"], what="the update")
    [announcement] = announced()
    assert announcement["links"] == {"publication": f"/publications?batch=PUB-{MONTH}"}
