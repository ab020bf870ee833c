"""The one registry of Kafka topics, and which topic each event goes to.

Review tasks go to one topic per finance level, so each level's reviewers can be deployed and scaled
on their own; work orders go to one topic per vendor, so a vendor can be given access to its own alone.
"""

from dataclasses import dataclass

from shared.events import Event, NotificationDelivered, RequirementSubmitted, ReviewTaskOpened

LEVELS = ("county", "city", "region")
PARTITIONS = 3


@dataclass(frozen=True)
class Topics:
    prefix: str = "fiscaldesk"

    @property
    def requirements(self) -> str:
        return f"{self.prefix}.requirements"

    def review_tasks(self, level: str) -> str:
        return f"{self.prefix}.review-tasks.{level}"

    @property
    def all_review_tasks(self) -> list[str]:
        return [self.review_tasks(level) for level in LEVELS]

    @property
    def notifications(self) -> str:
        return f"{self.prefix}.notifications"

    def work_orders(self, vendor_id: str) -> str:
        return f"{self.prefix}.work-orders.{vendor_id}"

    @property
    def vendor_progress(self) -> str:
        return f"{self.prefix}.vendor-progress"

    @property
    def dead_letter(self) -> str:
        return f"{self.prefix}.dead-letter"

    @property
    def static(self) -> list[str]:
        """Topics that exist from the start (vendor topics are created when a vendor is registered)."""
        return [
            self.requirements,
            *self.all_review_tasks,
            self.notifications,
            self.vendor_progress,
            self.dead_letter,
        ]

    def for_event(self, event: Event) -> str:
        match event:
            case RequirementSubmitted():
                return self.requirements
            case ReviewTaskOpened(level=level):
                return self.review_tasks(level)
            case NotificationDelivered():
                return self.notifications
        raise LookupError(f"no topic for {type(event).__name__}")
