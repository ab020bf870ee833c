"""Notify's reactions to other services' events, and the inbox use cases."""

from services.notify.adapters import NotificationRepository
from services.notify.domain import addressed_to, notify_reviewers_of_task
from shared.auth import Principal
from shared.errors import NotFound
from shared.events import SYSTEM, Envelope, ReviewTaskOpened, utcnow


async def when_review_task_opened_notify_reviewers(envelope: Envelope, *, repository: NotificationRepository) -> None:
    event = envelope.event()
    assert isinstance(event, ReviewTaskOpened)
    await repository.add(notify_reviewers_of_task(envelope.id, event, utcnow()), actor=SYSTEM, cause=envelope)


async def mark_read(notification_id: str, *, reader: Principal, repository: NotificationRepository) -> None:
    if not await repository.mark_read(notification_id, addressed_to(reader), reader.user_id):
        raise NotFound("notification_not_found", "通知不存在 (no such notification)")
