"""The in-app inbox: a notification document per (event, recipient), read by the recipient's users."""

from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import DuplicateKeyError

from services.notify.channels.base import Channel, Delivery, DeliveryResult
from shared.events import utcnow


class InboxChannel(Channel):
    name = "inbox"

    def __init__(self, notifications: AsyncCollection) -> None:
        self._notifications = notifications

    async def send(self, delivery: Delivery) -> DeliveryResult:
        """The notification's id is the delivery's, so a second send finds it there and adds nothing."""
        try:
            await self._notifications.insert_one(
                {
                    "_id": delivery.id,
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
                    "read_by": [],
                }
            )
        except DuplicateKeyError:
            pass
        return DeliveryResult.ok()
