"""The one registry of Kafka topics, and which topic each event goes to.

Review tasks go to one topic per finance level, so each level's reviewers can be deployed and scaled
on their own; work orders go to one topic per vendor, so a vendor can be given access to its own alone
(ACLs in docker-compose); each vendor writes its progress to a topic of its own.

Every topic is the project's own (docs/decisions/0015-topics-owned-by-the-project.md): the services create
theirs at start with the partitions and settings of SPECS, dispatch creates a vendor's two when the vendor
appears in the org directory, and the broker creates none (auto.create.topics.enable=false), so a misspelt
topic fails loudly instead of appearing with the broker's defaults. Every message is keyed by its subject,
the ticket id for a ticket's events, so one ticket's events land on one partition and stay in order.
"""

import re
from collections.abc import Collection
from dataclasses import dataclass, field

from shared.events import (
    PROBLEM_FLOW_EVENTS,
    AnnouncementPublished,
    AnnouncementWithdrawn,
    CalendarDayCorrected,
    DeliveryRetried,
    Event,
    NotificationDelivered,
    NotificationSchemeChanged,
    OrganisationChanged,
    ProblemReported,
    PublicationPublished,
    RefreshTokenReused,
    ReleaseAnnounced,
    RequirementConfirmed,
    RequirementForwarded,
    RequirementMerged,
    RequirementPublished,
    RequirementRefined,
    RequirementRejected,
    RequirementReleased,
    RequirementReturned,
    RequirementReviewCompleted,
    RequirementSplit,
    RequirementSubmitted,
    ReviewTaskOpened,
    ReviewTaskOverdue,
    RobotAdded,
    RobotChanged,
    SessionRevoked,
    SignedIn,
    SignInLocked,
    SubmissionWindowOpened,
    TicketCommented,
    UserChanged,
    VendorProgressReported,
    VerificationFailed,
    VerificationPassed,
    VerificationRequested,
    WorkOrderDispatched,
    WorkOrderOverdue,
    WorkOrderProgressed,
    WorkOrderReopened,
)

LEVELS = ("county", "city", "region")
# A vendor id as the org directory accepts it (services/portal/directory.py): no dots, so it is one segment.
VENDOR_ID = r"[a-z0-9][a-z0-9-]*"


@dataclass(frozen=True)
class TopicSpec:
    """How a topic is created: its partitions (the most consumers of one group that can share it; a ticket's
    events stay on one, by key) and its settings other than the broker's defaults."""

    partitions: int = 3
    configs: dict[str, str] = field(default_factory=dict)


# Every kind of topic, by its name without the prefix up to the first dot after it ("review-tasks" for
# review-tasks.county, "work-orders" for every vendor's work orders). A topic of a kind not listed here is
# not created: add it here. The sessions topic is read from its start by every instance when it starts:
# six hours is far more than an access token lives (30 minutes), and little to read.
SPECS: dict[str, TopicSpec] = {
    "requirements": TopicSpec(),
    "review-tasks": TopicSpec(),
    "review-events": TopicSpec(),
    "work-orders": TopicSpec(),
    "vendor-progress": TopicSpec(),
    "dispatch-events": TopicSpec(),
    "problem-events": TopicSpec(),
    "comments": TopicSpec(),
    "notifications": TopicSpec(),
    "directory": TopicSpec(),
    "accounts": TopicSpec(),
    "sessions": TopicSpec(configs={"retention.ms": str(6 * 3600 * 1000), "cleanup.policy": "delete"}),
    "dead-letter": TopicSpec(),
}


@dataclass(frozen=True)
class Topics:
    prefix: str = "fiscaldesk"

    @property
    def requirements(self) -> str:
        """Intake's events: submissions from every channel, extra windows, calendar corrections."""
        return f"{self.prefix}.requirements"

    def review_tasks(self, level: str) -> str:
        return f"{self.prefix}.review-tasks.{level}"

    @property
    def all_review_tasks(self) -> list[str]:
        return [self.review_tasks(level) for level in LEVELS]

    @property
    def review_events(self) -> str:
        """Review's decisions: forwarded, rejected, returned, refined, confirmed, published."""
        return f"{self.prefix}.review-events"

    def work_orders(self, vendor_id: str) -> str:
        """One topic per vendor: the vendor's principal may read this topic and no other."""
        return f"{self.prefix}.work-orders.{vendor_id}"

    def vendor_progress(self, vendor_id: str) -> str:
        """Written by one vendor (its principal may write this topic and no other): VendorProgressReported.
        The topic names the vendor, so a report cannot claim another vendor's work order."""
        return f"{self.prefix}.vendor-progress.{vendor_id}"

    @property
    def dispatch_events(self) -> str:
        """Dispatch's state changes: progress accepted, overdue, verification, releases."""
        return f"{self.prefix}.dispatch-events"

    @property
    def problem_events(self) -> str:
        """Review's problem cases (第七条–第十一条): every step, SLA warnings and breaches, FAQ entries."""
        return f"{self.prefix}.problem-events"

    @property
    def comments(self) -> str:
        """The portal's comments on tickets (TicketCommented): part of a ticket's history."""
        return f"{self.prefix}.comments"

    @property
    def notifications(self) -> str:
        return f"{self.prefix}.notifications"

    @property
    def directory(self) -> str:
        """The portal's changes of the organisation tree."""
        return f"{self.prefix}.directory"

    @property
    def accounts(self) -> str:
        """The portal's sign-ins, lockouts, reused refresh tokens (and user administration): for the audit."""
        return f"{self.prefix}.accounts"

    @property
    def sessions(self) -> str:
        """Sessions the portal ended early: read whole by every instance of every service (no consumer
        group), so each refuses their tokens at once; kept only as long as an access token lives (SPECS)."""
        return f"{self.prefix}.sessions"

    @property
    def dead_letter(self) -> str:
        return f"{self.prefix}.dead-letter"

    def of_vendor(self, vendor_id: str) -> list[str]:
        """A vendor's two topics, created by dispatch when the vendor appears (services/dispatch/vendors.py)."""
        return [self.work_orders(vendor_id), self.vendor_progress(vendor_id)]

    def vendor_progress_pattern(self, only: Collection[str] | None = None, but: Collection[str] = ()) -> str:
        """A regular expression of the progress topics of the vendors `only` names (None: every vendor,
        those added later too) except those `but` names, for a consumer subscribing by pattern: it starts
        reading a matching topic when the topic appears, without a restart."""
        return self._per_vendor_pattern("vendor-progress", only, but)

    def work_orders_pattern(self) -> str:
        """Every vendor's work-orders topic, those of vendors added later too (subscribe by pattern)."""
        return self._per_vendor_pattern("work-orders", None, ())

    def _per_vendor_pattern(self, kind: str, only: Collection[str] | None, but: Collection[str]) -> str:
        # No braces: FastStream reads "{name}" in a pattern as a path parameter.
        vendor = "(?:" + "|".join(re.escape(v) for v in sorted(only)) + ")" if only is not None else VENDOR_ID
        excluded = "(?!(?:" + "|".join(re.escape(v) for v in sorted(but)) + ")$)" if but else ""
        return f"^{re.escape(self.prefix)}\\.{kind}\\.{excluded}{vendor}$"

    def vendor_of(self, topic: str) -> str:
        """The vendor whose topic this is (work orders or progress); ValueError for any other topic."""
        for kind in ("vendor-progress", "work-orders"):
            start = f"{self.prefix}.{kind}."
            if topic.startswith(start) and re.fullmatch(VENDOR_ID, topic[len(start) :]):
                return topic[len(start) :]
        raise ValueError(f"{topic} is not a vendor's topic")

    def spec(self, topic: str) -> TopicSpec:
        """How `topic` is created (SPECS); LookupError for a topic that is not one of the project's."""
        start = f"{self.prefix}."
        kind = topic[len(start) :].split(".", 1)[0] if topic.startswith(start) else ""
        if kind not in SPECS:
            raise LookupError(f"{topic} is no topic of fiscaldesk's (shared/topics.py SPECS)")
        return SPECS[kind]

    @property
    def static(self) -> list[str]:
        """Topics that exist from the start (a vendor's two are created when the vendor appears)."""
        return [
            self.requirements,
            *self.all_review_tasks,
            self.review_events,
            self.dispatch_events,
            self.problem_events,
            self.comments,
            self.notifications,
            self.directory,
            self.accounts,
            self.sessions,
            self.dead_letter,
        ]

    @property
    def ticket_events(self) -> list[str]:
        """Every topic whose events belong to a ticket's history (timelines, audit, notifications)."""
        return [
            self.requirements,
            *self.all_review_tasks,
            self.review_events,
            self.dispatch_events,
            self.problem_events,
            self.comments,
        ]

    def for_event(self, event: Event) -> str:
        if isinstance(event, PROBLEM_FLOW_EVENTS):
            return self.problem_events
        match event:
            case RequirementSubmitted() | SubmissionWindowOpened() | CalendarDayCorrected() | ProblemReported():
                return self.requirements
            case ReviewTaskOpened(level=level) | ReviewTaskOverdue(level=level):
                return self.review_tasks(level)
            case (
                RequirementForwarded()
                | RequirementRejected()
                | RequirementReturned()
                | RequirementReviewCompleted()
                | RequirementRefined()
                | RequirementMerged()
                | RequirementSplit()
                | RequirementConfirmed()
                | PublicationPublished()
                | RequirementPublished()
            ):
                return self.review_events
            case WorkOrderDispatched(vendor_id=vendor) | WorkOrderReopened(vendor_id=vendor):
                return self.work_orders(vendor)
            case VendorProgressReported(vendor_id=vendor):
                return self.vendor_progress(vendor)
            case (
                WorkOrderProgressed()
                | WorkOrderOverdue()
                | VerificationRequested()
                | VerificationPassed()
                | VerificationFailed()
                | ReleaseAnnounced()
                | RequirementReleased()
            ):
                return self.dispatch_events
            case (
                NotificationDelivered()
                | NotificationSchemeChanged()
                | RobotAdded()
                | RobotChanged()
                | AnnouncementPublished()
                | AnnouncementWithdrawn()
                | DeliveryRetried()
            ):
                return self.notifications
            case SignedIn() | SignInLocked() | RefreshTokenReused():
                return self.accounts
            case OrganisationChanged() | UserChanged():
                return self.directory
            case SessionRevoked():
                return self.sessions
            case TicketCommented():
                return self.comments
        raise LookupError(f"no topic for {type(event).__name__}")
