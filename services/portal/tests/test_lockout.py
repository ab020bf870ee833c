"""The lockout rule with a fixed clock: five wrong passwords in a row from one address lock the name there
for 15 minutes, twenty from anywhere lock it everywhere, and each further lock lasts twice as long."""

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


def test_each_further_lock_lasts_twice_as_long_up_to_a_day() -> None:
    assert POLICY.lock_after(5, NOW, locks_before=1) == NOW + timedelta(minutes=30)
    assert POLICY.lock_after(5, NOW, locks_before=3) == NOW + timedelta(hours=2)
    assert POLICY.lock_after(5, NOW, locks_before=40) == NOW + timedelta(hours=24)


def test_the_name_from_every_address_locks_only_after_four_times_as_many() -> None:
    assert POLICY.lock_after(19, NOW, scope="account") is None
    assert POLICY.lock_after(20, NOW, scope="account") == NOW + timedelta(minutes=15)


def test_the_lock_message_gives_beijing_time() -> None:
    assert "2026-12-01 17:15（北京时间）" in AccountLocked(NOW + timedelta(minutes=15)).message
