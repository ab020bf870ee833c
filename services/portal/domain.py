"""Portal rules, pure: who a user is once signed in, and when repeated failures lock an account."""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from shared.auth import Principal
from shared.errors import DomainError

SHANGHAI = ZoneInfo("Asia/Shanghai")


class SignInFailed(DomainError):
    status_code = 401


class AccountLocked(DomainError):
    """The same answer for a user name that exists and one that does not (both are counted alike)."""

    status_code = 423

    def __init__(self, until: datetime) -> None:
        local = until.astimezone(SHANGHAI)
        super().__init__(
            "account_locked",
            f"密码错误次数过多，请于 {local:%Y-%m-%d %H:%M}（北京时间）后再试"
            f" (too many wrong passwords: try again after {until:%Y-%m-%d %H:%M} UTC)",
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
    """Wrong passwords in a row lock the user name — from the source they came from after `failures`, from
    every source after `failures × account_factor` (a guess spread over many addresses). Each lock of the
    same key within a day lasts twice the one before (15 min, 30 min, 1 h … at most `longest`), so a guesser
    gets a few dozen tries a day, while someone else typing wrong passwords elsewhere locks only their
    own source: the owner signing in from their office is not locked out by them. A right password clears
    the counts of its source and of the name."""

    failures: int
    duration: timedelta
    account_factor: int = 4
    longest: timedelta = timedelta(hours=24)
    memory: timedelta = timedelta(days=1)

    def check(self, locked_until: datetime | None, now: datetime) -> None:
        if locked_until is not None and now < locked_until:
            raise AccountLocked(locked_until)

    def limit(self, scope: str) -> int:
        """How many failures in a row lock a key: "source" (the name from one address) or "account"."""
        return self.failures if scope == "source" else self.failures * self.account_factor

    def lock_after(self, failures_so_far: int, now: datetime, *, locks_before: int = 0, scope: str = "source"):
        """When the count of consecutive failures reaches the limit, the time the lock ends (else None)."""
        if failures_so_far < self.limit(scope):
            return None
        return now + min(self.duration * 2 ** min(locks_before, 16), self.longest)


def member_principal(user: Mapping[str, Any]) -> Principal:
    """Whom a user acts as: an account, or a user record of the directory (`id`, `username`, `name`, `org`,
    `org_path`, `roles`, `vendor_id`)."""
    org = user["org"]
    return Principal(
        user_id=user["id"],
        username=user["username"],
        name=user["name"],
        org_id=org["id"],
        org_name=org["name"],
        org_kind=org["kind"],
        division_code=org["division_code"],
        org_path=list(user["org_path"]),
        roles=list(user["roles"]),
        vendor_id=user.get("vendor_id"),
    )


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
        return member_principal(vars(self))
