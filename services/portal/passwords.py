"""Password hashing with argon2 (argon2-cffi's defaults: argon2id), the password policy, and the one-time
temporary passwords an administrator hands over (docs/security.md)."""

import re
import secrets
import string

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from shared.errors import InvalidInput

_hasher = PasswordHasher()

MIN_LENGTH = 10
MAX_LENGTH = 128
# The password every demo account shares (services/portal/seed.py): known to everyone who read the docs.
DEMO_PASSWORD = "Fiscal@2026"
_LETTER = re.compile(r"[A-Za-z]")
_DIGIT = re.compile(r"\d")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def check_password_policy(password: str, *, username: str, field: str = "password") -> None:
    """至少 10 位，含字母和数字，不是用户名，不是演示密码; a breach is a 422 naming `field`."""

    def refuse(code: str, message: str) -> None:
        raise InvalidInput(code, message, field=field)

    if not MIN_LENGTH <= len(password) <= MAX_LENGTH:
        refuse(
            "password_length",
            f"密码长度应为 {MIN_LENGTH}～{MAX_LENGTH} 位 (a password has {MIN_LENGTH} to {MAX_LENGTH} characters)",
        )
    if not (_LETTER.search(password) and _DIGIT.search(password)):
        refuse("password_too_simple", "密码须同时包含字母和数字 (a password needs letters and digits)")
    if username and username.casefold() in password.casefold():
        refuse("password_contains_username", "密码不能包含用户名 (a password must not contain the user name)")
    if password == DEMO_PASSWORD:
        refuse("password_is_demo", "不能使用演示环境的公开密码 (the demo password is public)")


def temporary_password() -> str:
    """A one-time password for a new or reset account: 14 characters, letters and digits both, no look-alikes."""
    letters = "".join(c for c in string.ascii_letters if c not in "lIO")
    digits = "23456789"
    while True:
        candidate = "".join(secrets.choice(letters + digits) for _ in range(14))
        if _LETTER.search(candidate) and _DIGIT.search(candidate):
            return candidate
