"""Dispatch's Kafka entry points: what it learns from review, from vendors and from itself.

Each group commits only after its handler succeeded (shared.bus); handlers are idempotent (deterministic
ids, inserts that skip duplicates, stages that only move forward), so a redelivery changes nothing.
"""

from functools import partial

from services.dispatch.adapters import DispatchCaseRepository, VendorRefusalRepository
from services.dispatch.handlers import (
    when_problem_ready_for_dispatch_queue_it,
    when_requirement_confirmed_open_case,
    when_requirement_released_close_case,
    when_vendor_reports_progress_advance_or_refuse,
)
from services.dispatch.vendors import VendorDirectory, VendorSelection, when_organisation_changed_keep_vendors
from shared.events import Envelope
from shared.runtime import Runtime

GROUP = "dispatch"
PROGRESS_GROUP = "dispatch-progress"
RELEASES_GROUP = "dispatch-releases"
DIRECTORY_GROUP = "dispatch-directory"


def subscribe(
    runtime: Runtime,
    cases: DispatchCaseRepository,
    refusals: VendorRefusalRepository,
    vendors: VendorDirectory,
    served: VendorSelection,
) -> None:
    topics = runtime.topics
    # The portal's directory: a vendor added there gets its topics and can be dispatched to at once.
    runtime.subscribe(
        topics.directory,
        group=DIRECTORY_GROUP,
        handlers={"OrganisationChanged": partial(when_organisation_changed_keep_vendors, vendors=vendors)},
        wants=_about_a_vendor,
    )
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
    # By pattern, of the vendors this deployment serves: a vendor added later is read without a restart
    # (services/dispatch/vendors.py: one group for every deployment).
    advance_or_refuse = partial(when_vendor_reports_progress_advance_or_refuse, cases=cases, refusals=refusals)
    runtime.subscribe_outside(served.progress_pattern(topics), group=PROGRESS_GROUP, handler=advance_or_refuse)
    # A release is one transaction of the releases table; the cases it names follow from its events.
    runtime.subscribe(
        topics.dispatch_events,
        group=RELEASES_GROUP,
        handlers={"RequirementReleased": partial(when_requirement_released_close_case, cases=cases)},
    )


async def _about_a_vendor(envelope: Envelope) -> bool:
    return envelope.data.get("kind") == "vendor"
