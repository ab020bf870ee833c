"""A software bug through its work order (第十一条一): confirmed by the user in review, queued in dispatch,
fixed by the vendor, the patch released by the IT division, verified by the user — and a failed second
verification sends the work order back to the vendor."""

import pytest

from services.review.problems.tests.support import BUG, act, done, problem, report
from tests.support import Api, eventually

pytestmark = pytest.mark.e2e


def confirmed_bug(api: Api, title: str) -> str:
    ticket_id = report(api, problem("bug", title, BUG, urgent=True))
    done(api, "itdiv", ticket_id, "refine", notes="已确认报错与浏览器版本")
    done(api, "itdiv", ticket_id, "reproduce", reproduced=True, notes="测试环境复现")
    done(api, "submitter", ticket_id, "confirm", requirements="修复后能正常下载回单")
    return ticket_id


def queued(api: Api, ticket_id: str) -> dict | None:
    items = api.get("dispatch", "/api/dispatch-queue", as_user="itdiv").json()
    return next((item for item in items if item["ticket_id"] == ticket_id), None)


def work_order(api: Api, ticket_id: str, user: str = "itdiv") -> dict | None:
    orders = api.get("dispatch", "/api/work-orders", as_user=user, params={"limit": 500}).json()
    return next((order for order in orders if order["ticket_id"] == ticket_id), None)


def dispatched(api: Api, ticket_id: str) -> dict:
    item = eventually(lambda: queued(api, ticket_id), what="the bug in the dispatch queue")
    assert item["default_priority"] == "P1"  # 急事急办: an urgent bug comes first
    plan = {"ticket_id": ticket_id, "vendor_id": "vendor-a", "effort_days": 2,
            "planned_start": "2026-12-01", "planned_delivery": "2026-12-03"}  # fmt: skip
    response = api.post("dispatch", "/api/work-orders", as_user="itdiv", json=plan)
    assert response.status_code == 201, response.text
    return response.json()


def delivered(api: Api, work_order_id: str, version: str) -> None:
    for stage in ("accepted", "in_development", "in_testing"):
        api.post("dispatch", f"/api/work-orders/{work_order_id}/progress", as_user="vendor1", json={"stage": stage})
    body = {"stage": "delivered", "version": version}
    assert api.post("dispatch", f"/api/work-orders/{work_order_id}/progress", as_user="vendor1", json=body).is_success


def test_bug_through_its_work_order_to_the_users_second_verification(api: Api) -> None:
    ticket_id = confirmed_bug(api, "浏览器下载回单报错")
    order = dispatched(api, ticket_id)
    assert work_order(api, ticket_id, user="vendor1")["id"] == order["id"]
    assert work_order(api, ticket_id, user="vendor2") is None  # another vendor never sees it

    delivered(api, order["id"], "V3.2.1-patch7")
    # A problem's fix is not verified in dispatch: the IT division releases the patch (第十一条一7).
    assert work_order(api, ticket_id)["requirement_status"] == "awaiting_patch"
    pending = api.get("dispatch", "/api/verifications", as_user="submitter").json()
    assert all(v["ticket_id"] != ticket_id for v in pending)
    done(api, "itdiv", ticket_id, "patch-released", version="V3.2.1-patch7")
    closed = done(api, "submitter", ticket_id, "verify", passed=True)
    assert (closed["status"], closed["outcome"]) == ("closed", "resolved")


def test_failed_second_verification_sends_the_work_order_back_to_the_vendor(api: Api) -> None:
    ticket_id = confirmed_bug(api, "补丁后回单仍无法下载")
    order = dispatched(api, ticket_id)
    delivered(api, order["id"], "V3.2.1-patch8")
    done(api, "itdiv", ticket_id, "patch-released", version="V3.2.1-patch8")
    assert act(api, "submitter", ticket_id, "verify", passed=False, reason="补丁后仍提示服务器错误").is_success

    reopened = eventually(
        lambda: (o := work_order(api, ticket_id)) and o["status"] == "in_development" and o,
        what="the work order back in development",
    )
    assert reopened["reopen_count"] == 1
