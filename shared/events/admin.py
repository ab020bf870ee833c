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


# ── Sign-in (the portal), for the audit trail: on the accounts topic ─────────────────────────────────────
# User administration adds its events here the same way (e.g. UserCreated, UserRolesChanged): a class with
# a `subject` of "user-<id>", routed to `Topics.accounts` in shared/topics.py, written through the portal's
# outbox in the transaction of the change. The audit consumer reads that topic whole (docs/security.md).


class SignedIn(Event):
    """A user signed in with the right password: a new session (its refresh tokens' family)."""

    user_id: str
    session_id: str
    source: str  # the client address (shared by proxies: services/portal/entrypoints.client_address)

    @property
    def subject(self) -> str:
        return f"user-{self.user_id}"


class SignInLocked(Event):
    """Wrong passwords locked a user name (as typed, whether it exists or not) from one address (`scope`
    "source") or from everywhere ("account") until `until` (docs/security.md, lockout)."""

    username: str
    source: str
    scope: str  # source | account
    until: datetime

    @property
    def subject(self) -> str:
        return f"sign-in-{self.username}"


class RefreshTokenReused(Event):
    """A refresh token was presented a second time (a stolen copy, or a replay): its session was ended."""

    user_id: str
    session_id: str

    @property
    def subject(self) -> str:
        return f"user-{self.user_id}"


# ── Notify's administration, for the audit trail: on the notifications topic ───────────────────────────


class NotificationSchemeChanged(Event):
    """A region administrator replaced one event type's rules: a new version of the scheme."""

    version: int
    base_version: int
    event_type: str
    rules: int  # how many rules the event type has now (0: nobody is told)
    note: str = ""

    @property
    def subject(self) -> str:
        return f"notification-scheme-{self.version}"


class RobotAdded(Event):
    """A WeCom group robot was added. Its key (the webhook's secret) is never in an event."""

    robot_id: str
    name: str
    org_ids: list[str] = Field(default_factory=list)
    division_prefix: str | None = None

    @property
    def subject(self) -> str:
        return f"robot-{self.robot_id}"


class RobotChanged(Event):
    """A robot was changed: the names of the fields changed (a new key is only "key"), and whether it is
    enabled now."""

    robot_id: str
    fields: list[str]
    enabled: bool

    @property
    def subject(self) -> str:
        return f"robot-{self.robot_id}"


class AnnouncementPublished(Event):
    """An administrator published an announcement (通知公告) to an audience, inside a window."""

    announcement_id: str
    title: str
    visible_from: datetime
    visible_until: datetime | None
    pinned: bool
    division_prefixes: list[str] = Field(default_factory=list)
    org_ids: list[str] = Field(default_factory=list)
    roles: list[str] = Field(default_factory=list)

    @property
    def subject(self) -> str:
        return self.announcement_id


class AnnouncementWithdrawn(Event):
    announcement_id: str

    @property
    def subject(self) -> str:
        return self.announcement_id


class DeliveryRetried(Event):
    """An administrator sent a failed, permanent or skipped delivery again."""

    delivery_id: str
    channel: str
    recipient: str

    @property
    def subject(self) -> str:
        return f"delivery-{self.delivery_id}"
