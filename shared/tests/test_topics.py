"""The registry of topics (shared/topics.py): every topic the project uses has its partitions and settings in
SPECS, vendor topics are found by pattern, and a ticket's events are keyed by the ticket id."""

import re
from datetime import date

import pytest

from services.dispatch.vendors import VendorSelection
from shared.events import SYSTEM, RequirementForwarded, WorkOrderDispatched
from shared.orgtree import VENDORS
from shared.outbox import OutboxWriter
from shared.topics import SPECS, Topics

TOPICS = Topics("fiscaldesk")


def test_every_topic_of_the_project_has_its_partitions_and_settings_in_one_place() -> None:
    vendor_topics = [topic for vendor_id, _ in VENDORS for topic in TOPICS.of_vendor(vendor_id)]
    for topic in [*TOPICS.static, *vendor_topics, *TOPICS.of_vendor("vendor-added-later")]:
        assert TOPICS.spec(topic).partitions >= 1, topic
    assert TOPICS.spec(TOPICS.sessions).configs["cleanup.policy"] == "delete"
    assert set(SPECS) >= {"work-orders", "vendor-progress", "dead-letter"}


def test_a_topic_that_is_not_the_projects_has_no_spec() -> None:
    for topic in ("fiscaldesk.requirments", "other.requirements", "fiscaldesk"):
        with pytest.raises(LookupError):
            TOPICS.spec(topic)


def test_the_progress_pattern_matches_the_served_vendors_and_those_added_later() -> None:
    every = re.compile(TOPICS.vendor_progress_pattern())
    assert every.match(TOPICS.vendor_progress("vendor-a")) and every.match(TOPICS.vendor_progress("vendor-c"))
    assert not every.match(TOPICS.work_orders("vendor-a")) and not every.match("fiscaldesk.vendor-progress.a.b")
    only_a = re.compile(TOPICS.vendor_progress_pattern(["vendor-a"]))
    assert only_a.match(TOPICS.vendor_progress("vendor-a"))
    assert not only_a.match(TOPICS.vendor_progress("vendor-ab")) and not only_a.match(
        TOPICS.vendor_progress("vendor-b")
    )
    all_but_a = re.compile(TOPICS.vendor_progress_pattern(None, ["vendor-a"]))
    assert not all_but_a.match(TOPICS.vendor_progress("vendor-a"))
    assert all_but_a.match(TOPICS.vendor_progress("vendor-ab")) and all_but_a.match(TOPICS.vendor_progress("vendor-c"))
    assert TOPICS.vendor_of(TOPICS.vendor_progress("vendor-c")) == "vendor-c"
    with pytest.raises(ValueError):
        TOPICS.vendor_of(TOPICS.review_events)


def test_the_dispatch_vendors_setting_names_the_setting_and_the_rule_when_wrong() -> None:
    assert VendorSelection.parse("*").serves("vendor-new")
    assert VendorSelection.parse("", "vendor-a").serves("vendor-b")
    assert not VendorSelection.parse("*", "vendor-a").serves("vendor-a")
    assert VendorSelection.parse("vendor-a, vendor-b").only == {"vendor-a", "vendor-b"}
    with pytest.raises(ValueError, match=r"FD_DISPATCH_VENDORS must be vendor ids.*Vendor_A"):
        VendorSelection.parse("Vendor_A")
    with pytest.raises(ValueError, match="FD_DISPATCH_VENDORS_EXCEPT"):
        VendorSelection.parse("*", "vendor.a")


def test_a_tickets_events_are_keyed_by_the_ticket_id_whatever_their_topic() -> None:
    ticket_id = "REQ-202612-0000ABCD"
    forwarded = RequirementForwarded(
        ticket_id=ticket_id, task_id=f"{ticket_id}-county", level="county", division_code="150102", next_level="city"
    )
    dispatched = WorkOrderDispatched(
        work_order_id=f"WO-{ticket_id}-1",
        ticket_id=ticket_id,
        vendor_id="vendor-c",
        category="optimisation",
        title="测试",
        description="测试",
        priority="P2",
        effort_days=5,
        planned_start=date(2026, 12, 1),
        planned_delivery=date(2026, 12, 31),
    )
    entries = OutboxWriter(TOPICS, source="/tests").entries([forwarded, dispatched], actor=SYSTEM)
    assert [(e["topic"], e["key"]) for e in entries] == [
        (TOPICS.review_events, ticket_id),
        (TOPICS.work_orders("vendor-c"), ticket_id),
    ]
