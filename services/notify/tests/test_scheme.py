"""The notification scheme: who is told of each step, and that one event yields each message once."""

from datetime import UTC, date, datetime

from services.notify.domain import announcement_for, notifications_for
from shared.events import (
    SYSTEM,
    Envelope,
    ReleaseAnnounced,
    RequirementConfirmed,
    RequirementRejected,
    ReviewTaskOpened,
    WorkOrderDispatched,
)

NOW = datetime(2026, 12, 1, 2, tzinfo=UTC)
PATH = ["150000", "150100", "150102", "bu-150102-01"]


def wrap(event) -> Envelope:
    return Envelope.wrap(event, source="/tests", actor=SYSTEM)


def recipients(event) -> list[str]:
    return [n.recipient.key for n in notifications_for(wrap(event), NOW)]


def test_a_review_task_tells_the_reviewers_of_that_bureau() -> None:
    event = ReviewTaskOpened(
        task_id="t", ticket_id="REQ-1", title="导出", level="city", division_code="150100", bureau_org_id="fb-150100",
        org_path=PATH,
    )  # fmt: skip
    assert recipients(event) == ["role:fb-150100:reviewer"]


def test_a_rejection_reaches_the_submitter_with_its_reason() -> None:
    event = RequirementRejected(
        ticket_id="REQ-1", task_id="t", level="county", division_code="150102", reason="不具有通用性，建议本地解决",
        submitter_id="u-submitter", org_path=PATH,
    )  # fmt: skip
    [notification] = notifications_for(wrap(event), NOW)
    assert notification.recipient.key == "user:u-submitter"
    assert "不具有通用性" in notification.body


def test_a_decline_tells_the_submitter_why_and_an_adoption_when() -> None:
    common = dict(
        ticket_id="REQ-1", business_division_id="bd-budget", title="导出", description="d", category="new",
        urgency="normal", submitter_id="u-submitter", org_path=PATH,
    )  # fmt: skip
    [declined] = notifications_for(wrap(RequirementConfirmed(adopted=False, reason="已有替代功能", **common)), NOW)
    [adopted] = notifications_for(
        wrap(RequirementConfirmed(adopted=True, expected_upgrade=date(2027, 3, 1), **common)), NOW
    )
    assert "已有替代功能" in declined.body and "2027-03-01" in adopted.body


def test_a_work_order_tells_only_its_vendor() -> None:
    event = WorkOrderDispatched(
        work_order_id="WO-1", ticket_id="REQ-1", vendor_id="vendor-b", category="new", title="导出", description="d",
        priority="P1", effort_days=5, planned_start=date(2026, 12, 7), planned_delivery=date(2026, 12, 31), urgent=True,
    )  # fmt: skip
    [notification] = notifications_for(wrap(event), NOW)
    assert notification.recipient.key == "role:vendor-b:vendor" and notification.urgent


def test_the_same_event_yields_the_same_notification_ids() -> None:
    envelope = wrap(
        ReviewTaskOpened(
            task_id="t", ticket_id="REQ-1", title="导出", level="county", division_code="150102",
            bureau_org_id="fb-150102", org_path=PATH,
        )
    )  # fmt: skip
    assert [n.id for n in notifications_for(envelope, NOW)] == [n.id for n in notifications_for(envelope, NOW)]


def test_a_release_becomes_a_pinned_announcement_with_its_guides() -> None:
    event = ReleaseAnnounced(
        release_id="REL-1", version="V3.2.0", release_date=date(2026, 12, 20), title="12月版本", notes="新增导出",
        ticket_ids=["REQ-1"], manual_url="https://docs.example/manual",
    )  # fmt: skip
    announcement = announcement_for(wrap(event), NOW)
    assert announcement.pinned and "V3.2.0" in announcement.body
    assert announcement.links == {"manual_url": "https://docs.example/manual"}
