"""The one registry of Kafka topics, and which topic each event goes to.

Review tasks go to one topic per finance level, so each level's reviewers can be deployed and scaled
on their own; work orders go to one topic per vendor, so a vendor can be given access to its own alone
(ACLs in docker-compose); vendors write progress to one topic.
"""

from dataclasses import dataclass

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
PARTITIONS = 3
# Topic settings other than the broker's defaults, by the topic's name without its prefix. The sessions
# topic is read from its start by every instance when it starts: six hours is far more than an access
# token lives (30 minutes), and little to read.
CONFIGS: dict[str, dict[str, str]] = {"sessions": {"retention.ms": str(6 * 3600 * 1000), "cleanup.policy": "delete"}}


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
        group), so each refuses their tokens at once; kept only as long as an access token lives (CONFIGS)."""
        return f"{self.prefix}.sessions"

    @property
    def dead_letter(self) -> str:
        return f"{self.prefix}.dead-letter"

    @property
    def static(self) -> list[str]:
        """Topics that exist from the start (vendor topics are created with the vendor's first order)."""
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
