"""The event envelope, and the base every event's data derives from.

Every message on Kafka is one `Envelope` (after CloudEvents 1.0, structured JSON mode) whose `data` is one
event model. Events are named in the past tense; `type` is the class name and the schema version travels
in `dataschema`, so a consumer can refuse a version it does not know.
"""

from datetime import UTC, datetime
from typing import Any, ClassVar, Literal
from uuid import uuid4

from pydantic import BaseModel, ConfigDict, Field

SPEC_VERSION = "1.0"


def utcnow() -> datetime:
    return datetime.now(UTC)


def new_id() -> str:
    return uuid4().hex


class Actor(BaseModel):
    """Who caused the event: a signed-in user, or a service acting on its own (user_id "system")."""

    user_id: str
    name: str = ""
    org_id: str = ""
    roles: list[str] = Field(default_factory=list)


SYSTEM = Actor(user_id="system", name="system")

Level = Literal["county", "city", "region"]


class Event(BaseModel):
    """Base of every event's data. `subject` is the ticket id: the Kafka key, so one ticket stays in order."""

    model_config = ConfigDict(extra="forbid")
    schema_version: ClassVar[int] = 1
    registry: ClassVar[dict[str, type["Event"]]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        Event.registry[cls.__name__] = cls

    @property
    def subject(self) -> str:
        return self.ticket_id  # type: ignore[attr-defined]


class Envelope(BaseModel):
    """CloudEvents attributes plus correlation and causation ids and the acting user."""

    model_config = ConfigDict(extra="forbid")

    specversion: str = SPEC_VERSION
    id: str = Field(default_factory=new_id)
    type: str
    source: str
    subject: str
    time: datetime = Field(default_factory=utcnow)
    datacontenttype: str = "application/json"
    dataschema: str
    correlationid: str
    causationid: str | None = None
    actor: Actor
    data: dict[str, Any]

    @classmethod
    def wrap(
        cls,
        event: Event,
        *,
        source: str,
        actor: Actor,
        correlation_id: str | None = None,
        causation: "Envelope | None" = None,
    ) -> "Envelope":
        name = type(event).__name__
        return cls(
            type=name,
            source=source,
            subject=event.subject,
            dataschema=f"fiscaldesk:{name}:v{event.schema_version}",
            correlationid=causation.correlationid if causation else (correlation_id or new_id()),
            causationid=causation.id if causation else None,
            actor=actor,
            data=event.model_dump(mode="json"),
        )

    def event(self) -> Event:
        """The typed event inside; raises KeyError for an unknown type and ValidationError for bad data."""
        return Event.registry[self.type].model_validate(self.data)
