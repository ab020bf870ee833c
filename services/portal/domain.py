"""Portal rules, pure: who a user is once signed in, and when repeated failures lock an account."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from shared.auth import Principal
from shared.errors import DomainError


class SignInFailed(DomainError):
    status_code = 401


class AccountLocked(DomainError):
    status_code = 423

    def __init__(self, until: datetime) -> None:
        super().__init__(
            "account_locked",
            f"密码错误次数过多，账号锁定至 {until:%Y-%m-%d %H:%M:%S} UTC (account locked until then)",
        )
        self.until = until


class ConcurrentChange(DomainError):
    """Someone else changed the record between our read and our write: read it again and retry (409)."""

    def __init__(self, record_id: str) -> None:
        super().__init__(
            "concurrent_change", f"{record_id} 已被他人修改，请刷新后重试 (changed concurrently, please retry)"
        )


@dataclass(frozen=True)
class LockoutPolicy:
    """`failures` wrong passwords in a row lock the account for `duration`; a right one resets the count."""

    failures: int
    duration: timedelta

    def check(self, locked_until: datetime | None, now: datetime) -> None:
        if locked_until is not None and now < locked_until:
            raise AccountLocked(locked_until)

    def lock_after(self, failures_so_far: int, now: datetime) -> datetime | None:
        """When the count of consecutive failures reaches the limit, the time the lock ends."""
        return now + self.duration if failures_so_far >= self.failures else None


@dataclass(frozen=True)
class UserAccount:
    id: str
    username: str
    name: str
    org: dict[str, Any]
    org_path: list[str]
    roles: list[str]
    password_hash: str
    vendor_id: str | None = None
    active: bool = True  # the user's own flag and their organisation's: False, and sign-in is refused
    locked_until: datetime | None = None
    must_change_password: bool = False  # a new account or a reset password: changed at the first sign-in

    def principal(self) -> Principal:
        return Principal(
            user_id=self.id,
            username=self.username,
            name=self.name,
            org_id=self.org["id"],
            org_name=self.org["name"],
            org_kind=self.org["kind"],
            division_code=self.org["division_code"],
            org_path=self.org_path,
            roles=self.roles,
            vendor_id=self.vendor_id,
        )
