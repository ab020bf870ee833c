"""Events of the notify service."""

from shared.events.base import Event


class NotificationDelivered(Event):
    """A notification reached a recipient on a channel."""

    notification_id: str
    ticket_id: str
    channel: str
    recipient: str
    title: str
