"""Refresh tokens, stored only as digests; each is used once and replaced (rotation)."""

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from shared.db import Database
from shared.events import SYSTEM, Actor, Event, RefreshTokenReused, SessionRevoked
from shared.outbox import Outbox


@dataclass(frozen=True)
class StoredRefreshToken:
    user_id: str
    family: str
    expires_at: datetime
    used: bool  # already used before this use: a replay


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


# One statement marks the token used and answers whether it was used before: of two concurrent uses of
# one token exactly one sees `used = false` (the second waits for the first's row lock, then reads it used).
USE = """
UPDATE refresh_tokens AS token SET used = true
FROM (SELECT digest, used FROM refresh_tokens WHERE digest = $1 FOR UPDATE) AS before
WHERE token.digest = before.digest
RETURNING token.user_id, token.family, token.expires_at, before.used
"""


class RefreshTokens:
    def __init__(self, db: Database, outbox: Outbox | None = None) -> None:
        self._db = db
        self._outbox = outbox

    async def add(
        self,
        token: str,
        *,
        user_id: str,
        family: str,
        expires_at: datetime,
        events: Sequence[Event] = (),
        actor: Actor = SYSTEM,
    ) -> None:
        """Store the token; `events` (a sign-in, for the audit trail) are written in the same transaction."""
        async with self._db.transaction() as conn:
            await conn.execute(
                "INSERT INTO refresh_tokens (digest, user_id, family, expires_at) VALUES ($1, $2, $3, $4)",
                _digest(token),
                user_id,
                family,
                expires_at,
            )
            if events and self._outbox is not None:
                await self._outbox.add(conn, events, actor=actor)

    async def use(self, token: str) -> StoredRefreshToken | None:
        """Mark the token used and answer it as it was before (None if unknown); `used` tells a replay."""
        row = await self._db.fetchrow(USE, _digest(token))
        return StoredRefreshToken(row["user_id"], row["family"], row["expires_at"], row["used"]) if row else None

    async def revoke_family(self, family: str, *, user_id: str, reason: str, tokens_until: datetime) -> None:
        """End the session: its refresh tokens are spent and, in the same transaction, SessionRevoked tells
        every service to refuse its access tokens until the last of them expires (`tokens_until`)."""
        async with self._db.transaction() as conn:
            events = await end_sessions(conn, user_id, reason=reason, until=tokens_until, family=family)
            if self._outbox is not None:
                if reason == "refresh_reused":  # for the audit trail: a stolen or replayed token
                    events.append(RefreshTokenReused(user_id=user_id, session_id=family))
                await self._outbox.add(conn, events, actor=SYSTEM)


async def end_sessions(
    conn: Any, user_id: str, *, reason: str, until: datetime, family: str | None = None
) -> list[Event]:
    """Spend the refresh tokens of one session of the user (`family`) or of all of them, in the caller's
    transaction; answers the SessionRevoked events that end their access tokens everywhere (shared/sessions.py)."""
    if family is not None:  # the family's index; all of a user's: the index of their unspent tokens
        spent = await conn.fetch(
            "UPDATE refresh_tokens SET used = true WHERE family = $1 AND NOT used RETURNING family", family
        )
    else:
        spent = await conn.fetch(
            "UPDATE refresh_tokens SET used = true WHERE user_id = $1 AND NOT used RETURNING family", user_id
        )
    families = {row["family"] for row in spent} | ({family} if family else set())
    return [SessionRevoked(session_id=ended, user_id=user_id, reason=reason, until=until) for ended in sorted(families)]
