"""The single sign-on's state in the portal's database (migration 0003): sign-ins under way, one-time
hand-off codes for the web UI, and the binding of a provider's subject to a portal user. Secrets that
arrive from outside (state, browser cookie, hand-off code) are stored only as SHA-256 digests, and each row
is taken by one DELETE … RETURNING, so of two uses of the same value exactly one finds it."""

import hashlib
from dataclasses import dataclass
from datetime import datetime

import asyncpg

from shared.db import Database


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


@dataclass(frozen=True)
class PendingSignIn:
    """What the portal keeps between sending the browser to the provider and the provider's callback."""

    browser_digest: str
    nonce: str
    code_verifier: str
    next_path: str
    expires_at: datetime

    def started_by(self, browser: str) -> bool:
        return _digest(browser) == self.browser_digest


class OidcSignIns:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def begin(
        self, state: str, *, browser: str, nonce: str, code_verifier: str, next_path: str, expires_at: datetime
    ) -> None:
        await self._db.execute(
            "INSERT INTO oidc_sign_ins (state_digest, browser_digest, nonce, code_verifier, next_path, expires_at)"
            " VALUES ($1, $2, $3, $4, $5, $6)",
            _digest(state),
            _digest(browser),
            nonce,
            code_verifier,
            next_path,
            expires_at,
        )

    async def take(self, state: str) -> PendingSignIn | None:
        """The sign-in `state` names, removed: a state works once (None if unknown or already used)."""
        row = await self._db.fetchrow(
            "DELETE FROM oidc_sign_ins WHERE state_digest = $1"
            " RETURNING browser_digest, nonce, code_verifier, next_path, expires_at",
            _digest(state),
        )
        return PendingSignIn(**dict(row)) if row else None

    async def bind(self, issuer: str, subject: str, *, user_id: str, now: datetime) -> bool:
        """Bind the provider's subject to the user, or confirm it is bound to them; False when the subject is
        bound to another user, or the user to another subject of this provider."""
        try:
            bound = await self._db.fetchval(
                "INSERT INTO oidc_identities (issuer, subject, user_id, first_signed_in_at, last_signed_in_at)"
                " VALUES ($1, $2, $3, $4, $4)"
                " ON CONFLICT (issuer, subject) DO UPDATE SET last_signed_in_at = excluded.last_signed_in_at"
                " WHERE oidc_identities.user_id = excluded.user_id RETURNING true",
                issuer,
                subject,
                user_id,
                now,
            )
        except asyncpg.UniqueViolationError:  # (issuer, user_id): the user has another subject there
            return False
        return bool(bound)

    async def hand_off(self, code: str, *, user_id: str, expires_at: datetime) -> None:
        await self._db.execute(
            "INSERT INTO oidc_handoffs (code_digest, user_id, expires_at) VALUES ($1, $2, $3)",
            _digest(code),
            user_id,
            expires_at,
        )

    async def redeem(self, code: str, now: datetime) -> str | None:
        """The user a hand-off code was made for, if it is unused and unexpired; it works once either way."""
        row = await self._db.fetchrow(
            "DELETE FROM oidc_handoffs WHERE code_digest = $1 RETURNING user_id, expires_at", _digest(code)
        )
        return row["user_id"] if row and row["expires_at"] > now else None

    async def sweep(self, now: datetime) -> None:
        """Forget sign-ins abandoned at the provider and codes never redeemed."""
        await self._db.execute("DELETE FROM oidc_sign_ins WHERE expires_at < $1", now)
        await self._db.execute("DELETE FROM oidc_handoffs WHERE expires_at < $1", now)
