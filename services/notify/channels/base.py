"""One interface for every delivery channel (after Netflix Dispatch's plugins): `send(delivery)` answers
ok, retry after some seconds, or a permanent failure with its reason. The worker owns the queue, the
lease and the backoff; a channel only knows its platform's payloads, limits and error codes."""

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar, Literal


@dataclass(frozen=True)
class Delivery:
    """One (event, recipient, channel) as the queue holds it."""

    id: str
    channel: str
    ticket_id: str
    recipient: str
    title: str
    body: str
    category: str = ""
    urgent: bool = False
    attempts: int = 0
    texts: dict[str, dict[str, str]] = field(default_factory=dict)
    robot_id: str | None = None
    openid: str | None = None
    language: str = "zh-CN"
    event_type: str = ""
    scheme_version: int | None = None
    created_at: datetime | None = None

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> "Delivery":
        return cls(**{name: doc[key] for name, key in _FIELDS.items() if key in doc and doc[key] is not None})

    def text(self, language: str) -> dict[str, str]:
        return self.texts.get(language) or {"title": self.title, "body": self.body}


_FIELDS = {name: ("_id" if name == "id" else name) for name in Delivery.__dataclass_fields__}


@dataclass(frozen=True)
class DeliveryResult:
    outcome: Literal["ok", "retry", "permanent"]
    after: float = 0.0
    reason: str = ""
    # A retry that is only a wait for the rate limit is not a failed attempt.
    counts_as_attempt: bool = True

    @classmethod
    def ok(cls) -> "DeliveryResult":
        return cls("ok")

    @classmethod
    def retry(cls, after: float, reason: str, *, counts_as_attempt: bool = True) -> "DeliveryResult":
        return cls("retry", after, reason, counts_as_attempt)

    @classmethod
    def permanent(cls, reason: str) -> "DeliveryResult":
        return cls("permanent", reason=reason)


class Channel(ABC):
    name: ClassVar[str]

    @abstractmethod
    async def send(self, delivery: Delivery) -> DeliveryResult:
        """Deliver once; never raise for the platform's answers, map them to a result."""
