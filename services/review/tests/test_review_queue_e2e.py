"""The review queue's due dates through the running services (the region's rule, decision 0009): the stack's
business clock starts on Tuesday 1 December 2026, 10:00 in Beijing, so a task opened now is due on Friday."""

from datetime import datetime, timedelta

import pytest
from pymongo import MongoClient

from infra.launcher import Stack
from services.review.tests.test_review_flow_e2e import queued, submitted_for_review
from tests.support import Api, eventually, requirement

pytestmark = pytest.mark.e2e


def queue(api: Api, **params) -> list[dict]:
    response = api.get("review", "/api/review-tasks", as_user="county", params=params)
    assert response.status_code == 200, response.text
    return response.json()


def backdate(stack: Stack, ticket_id: str, days: int) -> None:
    """The task opened `days` earlier, as if the bureau had left it lying (the stored instant is real time).

    PyMongo's synchronous client: the browser journeys call this while Playwright's loop runs in the thread."""
    with MongoClient(stack.mongodb_url, tz_aware=True) as client:
        cases = client[f"{stack.db_prefix}_review"]["review_cases"]
        earlier = cases.find_one({"_id": ticket_id})["current_opened_at"] - timedelta(days=days)
        cases.update_one({"_id": ticket_id}, {"$set": {"current_opened_at": earlier}})


def test_each_task_shows_when_it_opened_and_is_due(api: Api) -> None:
    ticket_id = submitted_for_review(api, "审核时限：指标调整增加审批意见")

    [task] = [t for t in queue(api) if t["_id"] == ticket_id]

    assert datetime.fromisoformat(task["opened_at"]).date().isoformat() == "2026-12-01"
    assert (task["due_on"], task["overdue"], task["working_days_left"]) == ("2026-12-04", False, 3)
    assert task["due_at"] == "2026-12-04T23:59:59+08:00"


def test_an_overdue_task_comes_first_and_the_filters_narrow_the_queue(api: Api, stack: Stack) -> None:
    late = submitted_for_review(api, "审核时限：逾期的需求")
    body = requirement(title="审核时限：紧急的收款人校验", urgency="urgent", category="new")
    urgent = api.post("intake", "/api/requirements", as_user="submitter", json=body).json()["id"]
    eventually(lambda: queued(api, "county", urgent), what=f"{urgent} in the county queue")
    backdate(stack, late, days=10)  # opened Saturday 21 November: due Wednesday 25th

    tasks = queue(api)
    assert tasks[0]["_id"] == late
    assert (tasks[0]["overdue"], tasks[0]["due_on"], tasks[0]["working_days_left"]) == (True, "2026-11-25", -4)
    overdue = queue(api, overdue="true")
    assert late in {t["_id"] for t in overdue} and all(t["overdue"] for t in overdue)
    assert late not in {t["_id"] for t in queue(api, overdue="false")}
    assert {t["_id"] for t in queue(api, urgency="urgent", category="new")} >= {urgent}
    assert {t["_id"] for t in queue(api, keyword="收款人校验")} == {urgent}
    org_id = tasks[0]["org_id"]
    assert all(t["org_id"] == org_id for t in queue(api, org_id=org_id)) and queue(api, org_id="bu-none") == []
    assert api.get("review", "/api/review-tasks", as_user="county", params={"keyword": "x" * 101}).status_code == 422
