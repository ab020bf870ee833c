"""Notify's reactions to other services' events, and the inbox use cases."""

from services.notify.adapters import AnnouncementRepository, NotificationRepository
from services.notify.domain import addressed_to, announcement_for, notifications_for
from shared.auth import Principal
from shared.errors import NotFound
from shared.events import SYSTEM, Envelope, utcnow


async def when_procedure_event_notify(
    envelope: Envelope, *, repository: NotificationRepository, announcements: AnnouncementRepository
) -> None:
    """Tell whoever the scheme names; each (event, recipient, channel) once, however often it arrives."""
    now = utcnow()
    for notification in notifications_for(envelope, now):
        await repository.add(notification, actor=SYSTEM, cause=envelope)
    if announcement := announcement_for(envelope, now):
        await announcements.add(announcement)


async def mark_read(notification_id: str, *, reader: Principal, repository: NotificationRepository) -> None:
    if not await repository.mark_read(notification_id, addressed_to(reader), reader.user_id):
        raise NotFound("notification_not_found", "通知不存在 (no such notification)")
