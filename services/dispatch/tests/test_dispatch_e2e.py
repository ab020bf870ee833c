"""Dispatch end to end (第六条五～八) through real Kafka and PostgreSQL, every service its own process.

The adopted requirements come from RequirementConfirmed envelopes produced straight to the review-events
topic with plain aiokafka (services/dispatch/tests/support.py: `adopt`), not through the review service,
whose confirmation endpoints are being built at the same time; dispatch cannot tell the difference.
"""

from datetime import timedelta

import pytest

from infra.launcher import Stack
from services.dispatch.tests.support import (
    adopt,
    delivered,
    dispatch,
    dispatch_body,
    message_of,
    queued,
    report,
    today,
    verify,
    work_order,
)
from tests.support import Api, eventually

pytestmark = pytest.mark.e2e


def vendor_topic(stack: Stack, vendor: str = "vendor-a") -> str:
    return f"{stack.topic_prefix}.work-orders.{vendor}"


def dispatch_events(stack: Stack) -> str:
    return f"{stack.topic_prefix}.dispatch-events"


def test_adopted_requirement_is_queued_once_and_dispatched_to_the_vendors_own_topic(api: Api, stack: Stack) -> None:
    ticket_id = adopt(stack, api, urgency="urgent", times=2)  # the same adoption announced twice
    [item] = queued(api, ticket_id)
    assert item["default_priority"] == "P1"
    assert api.get("dispatch", "/api/dispatch-queue", as_user="vendor1").status_code == 403

    response = dispatch(api, stack, ticket_id, priority=None)
    assert response.status_code == 201, response.text
    order = response.json()
    assert (order["id"], order["priority"], order["status"]) == (f"WO-{ticket_id}-1", "P1", "dispatched")
    assert order["submitter_id"] == "u-submitter"
    assert queued(api, ticket_id) == []

    again = dispatch(api, stack, ticket_id, vendor_id="vendor-b")
    assert (again.status_code, again.json()["error"]) == (409, "work_order_open")

    [message] = eventually(
        lambda: message_of(stack, vendor_topic(stack), "WorkOrderDispatched", ticket_id=ticket_id),
        what="the work order on vendor-a's topic",
    )
    assert message["key"] == message["subject"] == ticket_id
    assert message["data"]["work_order_id"] == order["id"] and message["actor"]["user_id"] == "u-itdiv"
    assert message_of(stack, vendor_topic(stack, "vendor-b"), "WorkOrderDispatched", ticket_id=ticket_id) == []


def test_vendor_b_can_neither_see_nor_report_on_vendor_as_work_order(api: Api, stack: Stack) -> None:
    ticket_id = adopt(stack, api)
    work_order_id = dispatch(api, stack, ticket_id).json()["id"]

    def listed(user: str) -> set[str]:
        return {w["id"] for w in api.get("dispatch", "/api/work-orders", as_user=user, params={"limit": 500}).json()}

    assert (
        work_order_id in listed("vendor1") and work_order_id in listed("itdiv") and work_order_id in listed("auditor")
    )
    assert work_order_id not in listed("vendor2")
    assert api.get("dispatch", f"/api/work-orders/{work_order_id}", as_user="vendor2").status_code == 404
    assert report(api, work_order_id, "accepted", as_user="vendor2").status_code == 404
    assert report(api, work_order_id, "accepted", as_user="itdiv").status_code == 403
    assert api.get("dispatch", f"/api/work-orders/{work_order_id}", as_user="submitter").status_code == 403
    assert "submitter_id" not in work_order(api, work_order_id, as_user="vendor1"), "vendors do not see who asked"
    assert work_order(api, work_order_id)["status"] == "dispatched", "vendor-b's attempt changed nothing"


def test_http_progress_moves_forward_only_and_delivery_asks_the_requester_to_verify(api: Api, stack: Stack) -> None:
    ticket_id = adopt(stack, api)
    work_order_id = dispatch(api, stack, ticket_id).json()["id"]

    assert report(api, work_order_id, "accepted").json() == {
        "work_order_id": work_order_id,
        "reported": "accepted",
        "status": "accepted",
        "changed": True,
    }
    assert report(api, work_order_id, "in_testing").json()["changed"] is True  # in_development skipped
    stale = report(api, work_order_id, "in_development")
    assert (stale.status_code, stale.json()["changed"], stale.json()["status"]) == (200, False, "in_testing")
    no_version = report(api, work_order_id, "delivered")
    assert no_version.status_code == 422
    assert no_version.json()["detail"][0]["field"] == "version"
    assert report(api, work_order_id, "delivered", version="v2027.01.2", note="已部署验证环境").json()["changed"]

    order = work_order(api, work_order_id)
    assert (order["status"], order["delivered_version"]) == ("delivered", "v2027.01.2")
    assert [h["action"] for h in order["history"]] == ["adopted", "dispatched", "accepted", "in_testing", "delivered"]
    pending = next(
        v for v in api.get("dispatch", "/api/verifications", as_user="submitter").json() if v["ticket_id"] == ticket_id
    )
    assert (pending["work_order_id"], pending["version"]) == (work_order_id, "v2027.01.2")
    assert all(
        v["ticket_id"] != ticket_id for v in api.get("dispatch", "/api/verifications", as_user="submitter2").json()
    )
    [requested] = eventually(
        lambda: message_of(stack, dispatch_events(stack), "VerificationRequested", ticket_id=ticket_id),
        what="VerificationRequested",
    )
    assert requested["data"]["submitter_id"] == "u-submitter"
    progressed = message_of(stack, dispatch_events(stack), "WorkOrderProgressed", ticket_id=ticket_id)
    assert [m["data"]["stage"] for m in progressed] == ["accepted", "in_testing", "delivered"]


def test_failed_verification_goes_back_to_the_vendor_with_the_reason(api: Api, stack: Stack) -> None:
    ticket_id, work_order_id = delivered(api, stack)
    assert verify(api, ticket_id, "failed", "导出缺少合计行", as_user="submitter2").status_code == 404  # other area
    assert verify(api, ticket_id, "failed", "导出缺少合计行", as_user="county").status_code == 403  # sees it, not hers
    short = verify(api, ticket_id, "failed", "不行")
    assert (short.status_code, short.json()["detail"][0]["field"]) == (422, "reason")

    response = verify(api, ticket_id, "failed", "导出的 Excel 缺少合计行")
    assert response.status_code == 200, response.text
    assert response.json()["work_order_status"] == "in_development"
    as_vendor = work_order(api, work_order_id, as_user="vendor1")
    assert as_vendor["reopen_count"] == 1
    [failed] = [entry for entry in as_vendor["history"] if entry["action"] == "verification_failed"]
    assert (failed["note"], failed["actor"]) == ("导出的 Excel 缺少合计行", {"user_id": None, "name": "需求用户"})
    [reopened] = eventually(
        lambda: message_of(stack, vendor_topic(stack), "WorkOrderReopened", work_order_id=work_order_id),
        what="WorkOrderReopened on vendor-a's topic",
    )
    assert reopened["data"]["reason"] == "导出的 Excel 缺少合计行" and reopened["key"] == ticket_id
    assert verify(api, ticket_id, "passed", "再次验证通过了").status_code == 409, "nothing to verify until redelivered"

    assert report(api, work_order_id, "in_testing").json()["changed"] is True
    assert report(api, work_order_id, "delivered", version="v1.0.1").json()["changed"] is True
    passed = verify(api, ticket_id, "passed", "合计行已补充，验证通过")
    assert (passed.status_code, passed.json().get("status")) == (200, "verified"), passed.text
    assert work_order(api, work_order_id)["status"] == "verified"


def test_release_holds_verified_requirements_only_and_everyone_reads_it(api: Api, stack: Stack) -> None:
    verified_ticket, work_order_id = delivered(api, stack)
    assert verify(api, verified_ticket, "passed", "功能验证通过").status_code == 200
    unverified_ticket, _ = delivered(api, stack)
    body = {
        "version": f"v{verified_ticket[-8:]}",
        "release_date": (today(stack) + timedelta(days=2)).isoformat(),
        "title": "预算管理一体化系统升级",
        "notes": "新增指标查询导出功能。",
        "ticket_ids": [verified_ticket, unverified_ticket],
        "manual_url": "https://docs.fiscal.test/manual.pdf",
    }
    refused = api.post("dispatch", "/api/releases", as_user="itdiv", json=body)
    assert (refused.status_code, refused.json()["error"]) == (409, "ticket_not_verified")
    assert unverified_ticket in refused.json()["message"]
    bad_link = api.post("dispatch", "/api/releases", as_user="itdiv", json=body | {"video_url": "ftp://x/v.mp4"})
    assert (bad_link.status_code, bad_link.json()["detail"][0]["field"]) == (422, "video_url")
    assert api.post("dispatch", "/api/releases", as_user="vendor1", json=body).status_code == 403

    created = api.post("dispatch", "/api/releases", as_user="itdiv", json=body | {"ticket_ids": [verified_ticket]})
    assert created.status_code == 201, created.text
    release = created.json()
    assert release["ticket_ids"] == [verified_ticket] and release["version"] == body["version"]
    for user in ("submitter2", "vendor2", "auditor"):
        assert release["id"] in {r["id"] for r in api.get("dispatch", "/api/releases", as_user=user).json()}
    [announced] = eventually(
        lambda: message_of(stack, dispatch_events(stack), "ReleaseAnnounced", release_id=release["id"]),
        what="ReleaseAnnounced",
    )
    assert announced["subject"] == release["id"]
    assert message_of(stack, dispatch_events(stack), "RequirementReleased", ticket_id=verified_ticket)
    eventually(
        lambda: work_order(api, work_order_id)["requirement_status"] == "released", what="the case marked released"
    )
    again = api.post("dispatch", "/api/releases", as_user="itdiv", json=body | {"version": "v-again"})
    assert again.status_code == 409


def test_work_order_past_its_planned_delivery_is_listed_as_overdue(api: Api, stack: Stack) -> None:
    ticket_id = adopt(stack, api)
    past = {"planned_start": (today(stack) - timedelta(days=20)).isoformat()}
    past["planned_delivery"] = (today(stack) - timedelta(days=1)).isoformat()
    work_order_id = dispatch(api, stack, ticket_id, **past).json()["id"]

    assert work_order(api, work_order_id)["overdue"] is True
    late = api.get("dispatch", "/api/work-orders", as_user="vendor1", params={"overdue": "true", "limit": 500})
    on_time = api.get("dispatch", "/api/work-orders", as_user="vendor1", params={"overdue": "false", "limit": 500})
    assert work_order_id in {w["id"] for w in late.json()}
    assert work_order_id not in {w["id"] for w in on_time.json()}
    report(api, work_order_id, "delivered", version="v1")
    assert work_order(api, work_order_id)["overdue"] is False, "a delivery is never overdue"


@pytest.mark.parametrize(
    ("change", "status", "field"),
    [
        ({"effort_days": 0}, 422, "effort_days"),
        ({"effort_days": 1001}, 422, "effort_days"),
        ({"vendor_id": "vendor-z"}, 422, "vendor_id"),
        ({"priority": None}, 422, "priority"),
        ({"priority": "P0"}, 422, "priority"),
        ({"planned_delivery": "2020-01-01"}, 422, "planned_delivery"),
        ({"ticket_id": "REQ-000000-NOPE"}, 404, None),
    ],
)
def test_dispatch_that_breaks_a_rule_is_refused_and_changes_nothing(
    api: Api, stack: Stack, change: dict, status: int, field: str | None
) -> None:
    ticket_id = adopt(stack, api)
    response = dispatch(api, stack, ticket_id, **change)
    assert response.status_code == status, response.text
    if field:
        assert response.json()["detail"][0]["field"] == field
    assert queued(api, ticket_id), "still waiting for dispatch"
    as_vendor = api.post("dispatch", "/api/work-orders", as_user="vendor1", json=dispatch_body(stack, ticket_id))
    assert as_vendor.status_code == 403
