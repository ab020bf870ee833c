"""Dispatch's Kafka entry points: what it learns from review, from vendors and from itself.

Each group commits only after its handler succeeded (shared.bus); handlers are idempotent (deterministic
ids, inserts that skip duplicates, stages that only move forward), so a redelivery changes nothing.
"""

from functools import partial

from services.dispatch.adapters import DispatchCaseRepository, VendorRefusalRepository
from services.dispatch.domain import VENDOR_IDS
from services.dispatch.handlers import (
    when_problem_ready_for_dispatch_queue_it,
    when_requirement_confirmed_open_case,
    when_requirement_released_close_case,
    when_vendor_reports_progress_advance_or_refuse,
)
from shared.runtime import Runtime

GROUP = "dispatch"
PROGRESS_GROUP = "dispatch-progress"
RELEASES_GROUP = "dispatch-releases"


def subscribe(runtime: Runtime, cases: DispatchCaseRepository, refusals: VendorRefusalRepository) -> None:
    topics = runtime.topics
    runtime.subscribe(
        topics.review_events,
        group=GROUP,
        handlers={"RequirementConfirmed": partial(when_requirement_confirmed_open_case, cases=cases)},
    )
    runtime.subscribe(
        topics.problem_events,
        group=f"{GROUP}-problems",
        handlers={"ProblemReadyForDispatch": partial(when_problem_ready_for_dispatch_queue_it, cases=cases)},
    )
    # One progress topic per vendor, each written only by that vendor (docs/security.md): the topic a report
    # arrives on says whose it is, whatever the report claims. Every message there is read as it came and
    # checked against the published contract (shared.vendor_reports); what fails is refused, for the vendor.
    for vendor_id in VENDOR_IDS:
        runtime.subscribe_outside(
            topics.vendor_progress(vendor_id),
            group=PROGRESS_GROUP,
            handler=partial(
                when_vendor_reports_progress_advance_or_refuse, vendor_id=vendor_id, cases=cases, refusals=refusals
            ),
        )
    # A release is one transaction of the releases table; the cases it names follow from its events.
    runtime.subscribe(
        topics.dispatch_events,
        group=RELEASES_GROUP,
        handlers={"RequirementReleased": partial(when_requirement_released_close_case, cases=cases)},
    )
