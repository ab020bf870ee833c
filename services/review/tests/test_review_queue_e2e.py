"""The review queue's due dates through the running services (the region's rule, decision 0009): the stack's
business clock starts on Tuesday 1 December 2026, 10:00 in Beijing, so a task opened now is due on Friday."""

import asyncio
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta

import asyncpg
import pytest

from infra.launcher import Stack
from services.review.tests.test_review_flow_e2e import queued, submitted_for_review
from tests.support import Api, eventually, requirement

pytestmark = pytest.mark.e2e


def queue(api: Api, **params) -> list[dict]:
    response = api.get("review", "/api/review-tasks", as_user="county", params=params)
    assert response.status_code == 200, response.text
    return response.json()


def backdate(stack: Stack, ticket_id: str, days: int) -> None:
    """The task opened `days` earlier, as if the bureau had left it lying (the stored instant is real time):
    the queue's column and the open task in the case's document, in review's own database.

    In a thread of its own: the browser journeys call this while Playwright's loop runs in this one."""

    async def move() -> None:
        conn = await asyncpg.connect(stack.database_url("review"))
        try:
            async with conn.transaction():
                opened = await conn.fetchval(
                    "SELECT current_opened_at FROM review_cases WHERE id = $1 FOR UPDATE", ticket_id
                )
                earlier = opened - timedelta(days=days)
                last_task = "ARRAY['tasks', (jsonb_array_length(doc->'tasks') - 1)::text, 'opened_at']"
                await conn.execute(
                    "UPDATE review_cases SET current_opened_at = $2, doc = jsonb_set(jsonb_set(doc,"
                    f" {last_task}, to_jsonb($3::text)), '{{current_opened_at}}', to_jsonb($3::text), false)"
                    " WHERE id = $1",
                    ticket_id,
                    earlier,
                    earlier.isoformat(),
                )
        finally:
            await conn.close()

    with ThreadPoolExecutor(1) as thread:
        thread.submit(asyncio.run, move()).result()


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


def test_a_missed_deadline_reminds_the_bureau_and_shows_on_the_timeline(api: Api, stack: Stack) -> None:
    """The periodic check (every 2 s in the tests, FD_REVIEW_OVERDUE_CHECK_SECONDS) finds the task past its
    due day and says so once: the county bureau's reviewers are reminded, the ticket's history shows it."""
    ticket_id = submitted_for_review(api, "审核时限：逾期提醒")
    backdate(stack, ticket_id, days=10)  # opened Saturday 21 November: due Wednesday 25th

    def reminder() -> dict | None:
        inbox = api.get("notify", "/api/notifications", as_user="county", params={"limit": 200}).json()
        return next((n for n in inbox if n["ticket_id"] == ticket_id and n["title"].startswith("审核已逾期")), None)

    note = eventually(reminder, what="the county bureau's reminder")
    assert "2026-11-25" in note["body"] and "旗县区" in note["body"]

    def overdue_entries() -> list[dict]:
        timeline = api.get("portal", f"/api/tickets/{ticket_id}/timeline", as_user="submitter").json()
        return [entry for entry in timeline["entries"] if entry["type"] == "ReviewTaskOverdue"]

    [entry] = eventually(overdue_entries, what="审核逾期 on the ticket's timeline")
    assert entry["label"] == "审核逾期"
    case = api.get("review", f"/api/review-cases/{ticket_id}", as_user="county").json()
    assert case["tasks"][-1]["overdue_at"] is not None  # said once: the check passes over it from now on
    assert [t["_id"] for t in queue(api, overdue="true")].count(ticket_id) == 1
