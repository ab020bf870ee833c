"""The lockout rule with a fixed clock: five wrong passwords in a row lock the account for 15 minutes."""

from datetime import UTC, datetime, timedelta

import pytest

from services.portal.domain import AccountLocked, LockoutPolicy

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
POLICY = LockoutPolicy(failures=5, duration=timedelta(minutes=15))


def test_fewer_failures_than_the_limit_do_not_lock() -> None:
    assert all(POLICY.lock_after(count, NOW) is None for count in range(5))


def test_the_fifth_consecutive_failure_locks_for_the_duration() -> None:
    assert POLICY.lock_after(5, NOW) == NOW + timedelta(minutes=15)


def test_a_locked_account_is_refused_until_the_lock_ends() -> None:
    until = NOW + timedelta(minutes=15)
    with pytest.raises(AccountLocked) as refused:
        POLICY.check(until, NOW + timedelta(minutes=14, seconds=59))
    assert refused.value.status_code == 423
    POLICY.check(until, until)  # the lock ends on time: no error
    POLICY.check(None, NOW)
