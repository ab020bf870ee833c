"""The in-app inbox: a notification per (event, recipient), read by the recipient's users."""

from services.notify.adapters import NotificationRepository
from services.notify.channels.base import Channel, Delivery, DeliveryResult
from shared.events import utcnow


class InboxChannel(Channel):
    name = "inbox"

    def __init__(self, notifications: NotificationRepository) -> None:
        self._notifications = notifications

    async def send(self, delivery: Delivery) -> DeliveryResult:
        """The notification's id is the delivery's, so a second send finds it there and adds nothing."""
        await self._notifications.add(
            {
                "id": delivery.id,
                "message_key": delivery.id.rsplit(":", 1)[0],
                "ticket_id": delivery.ticket_id,
                "recipient": delivery.recipient,
                "channel": self.name,
                "category": delivery.category,
                "title": delivery.title,
                "body": delivery.body,
                "texts": delivery.texts,
                "urgent": delivery.urgent,
                "event_type": delivery.event_type,
                "scheme_version": delivery.scheme_version,
                "created_at": delivery.created_at or utcnow(),
            }
        )
        return DeliveryResult.ok()
