"""Comments on a ticket (the portal's): requester and handlers talk on the ticket itself, with screenshots,
@-mentions and watchers (docs/decisions/0014-comments-in-the-portal.md). On the `comments` topic, keyed by
the ticket id, so the timeline, the audit trail and notify read them in the ticket's order."""

from pydantic import BaseModel, ConfigDict, Field

from shared.events.base import Event


class Desk(BaseModel):
    """A role at an organisation that holds the ticket now (the reviewers of a bureau, the IT division, a
    vendor): told of a comment though no one of them may have acted on the ticket yet."""

    model_config = ConfigDict(extra="forbid")
    org_id: str
    role: str


class TicketCommented(Event):
    """Someone who may read the ticket commented on it. Who is told is decided when it is written: the users
    mentioned, the watchers at that moment and the desk holding the ticket — never the author."""

    ticket_id: str
    comment_id: str
    title: str = ""
    author_id: str
    author_name: str
    excerpt: str = Field(description="the first 140 characters of the text")
    mentioned_ids: list[str] = Field(default_factory=list)
    watcher_ids: list[str] = Field(default_factory=list)
    desk: list[Desk] = Field(default_factory=list)
    attachment_ids: list[str] = Field(default_factory=list)
