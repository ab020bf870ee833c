"""The transactional inbox (decision 0011): a consumer's effects and the id of the event it processed
commit in one transaction, and the Kafka offset is committed only after it. A redelivered event finds its
row and is skipped; a crash before the commit leaves neither the effects nor the row. Repositories called
by the handler join the transaction (shared.db.Database.transaction)."""

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from shared.db import Database

Handler = Callable[[], Awaitable[None]]


class Inbox:
    def __init__(self, db: "Database") -> None:
        self._db = db

    async def process(self, consumer: str, event_id: str, event_type: str, handler: Handler) -> bool:
        """Run `handler` with the inbox row in one transaction; False (and nothing run) for a duplicate."""
        async with self._db.transaction() as conn:
            fresh = await conn.fetchval(
                "INSERT INTO inbox (consumer, event_id, type) VALUES ($1, $2, $3)"
                " ON CONFLICT DO NOTHING RETURNING true",
                consumer,
                event_id,
                event_type,
            )
            if not fresh:
                return False
            await handler()
            return True
