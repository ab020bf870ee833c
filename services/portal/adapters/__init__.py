"""The portal's stores on its PostgreSQL database: the directory (users and organisations), sessions
(refresh tokens), and the read model of every ticket built from events. SQL lives here only."""

from services.portal.adapters.directory import Directory, StoredOrganisation
from services.portal.adapters.guard import SignInGuard, keys_of
from services.portal.adapters.sessions import RefreshTokens, StoredRefreshToken
from services.portal.adapters.tickets import TicketViews

__all__ = [
    "Directory", "RefreshTokens", "SignInGuard", "StoredOrganisation", "StoredRefreshToken", "TicketViews", "keys_of",
]  # fmt: skip
