"""Administrative actions, so they reach the audit trail like every state change."""

from datetime import datetime

from pydantic import Field

from shared.events.base import Event


class CalendarDayCorrected(Event):
    """The region corrected the official calendar for one day (e.g. the next year's holiday arrangement)."""

    day: str
    is_workday: bool | None  # None: the correction was removed
    note: str = ""

    @property
    def subject(self) -> str:
        return f"calendar-{self.day}"


class OrganisationChanged(Event):
    """The region's administrators added or changed an organisation of the tree (第三条 needs it right)."""

    org_id: str
    change: str  # created | updated
    name: str
    kind: str
    division_code: str
    domains: list[str] = Field(default_factory=list)
    active: bool = True

    @property
    def subject(self) -> str:
        return f"org-{self.org_id}"


class SessionRevoked(Event):
    """A signed-in session ended before its tokens expired (signed out, or its refresh token was reused): every
    service refuses its access tokens from now on, until `until`, when the last of them expires anyway."""

    session_id: str
    user_id: str
    reason: str  # signed_out | refresh_reused | deactivated | password_changed
    until: datetime

    @property
    def subject(self) -> str:
        return f"session-{self.session_id}"


class UserChanged(Event):
    """An administrator created, edited, deactivated a user or reset their password, or a user changed their
    own password. Never carries a password or its hash: what the trail keeps is who did what to whom."""

    user_id: str
    change: str  # created | updated | deactivated | password_reset | password_changed
    username: str
    name: str
    org_id: str
    org_path: list[str]
    roles: list[str]
    active: bool = True
    must_change_password: bool = False

    @property
    def subject(self) -> str:
        return f"user-{self.user_id}"
