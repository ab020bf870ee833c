"""The walking skeleton through real Kafka and PostgreSQL, every service its own process:
a unit submits a requirement to intake → review opens the task for the unit's own finance bureau →
notify puts a notification in that bureau's reviewers' inbox → the portal shows the ticket's timeline."""

import pytest

from tests.support import Api, eventually, requirement

pytestmark = pytest.mark.e2e


def notifications_for(api: Api, user: str, ticket_id: str) -> list[dict]:
    inbox = api.get("notify", "/api/notifications", as_user=user, params={"limit": 200}).json()
    return [item for item in inbox if item["ticket_id"] == ticket_id]


def test_walking_skeleton_submission_reaches_county_reviewers_inbox_and_timeline(api: Api) -> None:
    response = api.post("intake", "/api/requirements", as_user="submitter", json=requirement())
    assert response.status_code == 201, response.text
    ticket_id = response.json()["id"]

    # The unit (新城区教育局) belongs to 新城区: that county's finance bureau reviews first (第三条).
    tasks = eventually(
        lambda: [t for t in api.get("review", "/api/review-tasks", as_user="county").json() if t["_id"] == ticket_id],
        what="the county review task",
    )
    assert tasks[0]["current_level"] == "county"
    assert tasks[0]["current_division"] == "150102"

    [notification] = eventually(lambda: notifications_for(api, "county", ticket_id), what="the reviewer's notification")
    assert "待审核需求" in notification["title"]
    assert notification["read"] is False

    timeline = eventually(
        lambda: (
            (r := api.get("portal", f"/api/tickets/{ticket_id}/timeline", as_user="submitter")).status_code == 200
            and len(r.json()["entries"]) >= 3
            and r.json()
        ),
        what="three timeline entries",
    )
    assert [e["type"] for e in timeline["entries"]] == [
        "RequirementSubmitted",
        "ReviewTaskOpened",
        "NotificationDelivered",
    ]
    assert len({e["correlation_id"] for e in timeline["entries"]}) == 1, "one correlation id across services"


def test_walking_skeleton_other_areas_see_nothing(api: Api) -> None:
    ticket_id = api.post("intake", "/api/requirements", as_user="submitter", json=requirement()).json()["id"]
    eventually(lambda: notifications_for(api, "county", ticket_id), what="the reviewer's notification")

    # 东河区 (包头市) is another county and another city: its reviewer gets no task, no notification,
    # and the requirement does not exist for it.
    assert notifications_for(api, "county2", ticket_id) == []
    assert all(t["_id"] != ticket_id for t in api.get("review", "/api/review-tasks", as_user="county2").json())
    assert api.get("intake", f"/api/requirements/{ticket_id}", as_user="county2").status_code == 404
    assert api.get("portal", f"/api/tickets/{ticket_id}/timeline", as_user="submitter2").status_code == 404
    # ... while the unit's own bureau and the city above it can read it.
    assert api.get("intake", f"/api/requirements/{ticket_id}", as_user="county").status_code == 200
    assert api.get("intake", f"/api/requirements/{ticket_id}", as_user="city").status_code == 200


def test_notification_marked_read_leaves_unread_count(api: Api) -> None:
    ticket_id = api.post("intake", "/api/requirements", as_user="submitter2", json=requirement()).json()["id"]
    [notification] = eventually(lambda: notifications_for(api, "county2", ticket_id), what="notification")
    before = api.get("notify", "/api/notifications/unread-count", as_user="county2").json()["unread"]

    assert api.post("notify", f"/api/notifications/{notification['_id']}/read", as_user="county2").status_code == 204

    assert api.get("notify", "/api/notifications/unread-count", as_user="county2").json()["unread"] == before - 1
    assert notifications_for(api, "county2", ticket_id)[0]["read"] is True
