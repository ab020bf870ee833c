"""The fakes' state and rules: what the WeCom robot webhook and the WeChat official account API accept,
count and answer. Thread-safe (the HTTP server runs in its own thread); tests read and steer them directly.

WeCom group robot (POST /cgi-bin/webhook/send?key=KEY): msgtype text (content ≤ 2048 bytes) or markdown
(content ≤ 4096 bytes); 20 messages per robot in any sliding minute, the 21st answered 45009; an unknown or
removed key answers 93000 (invalid webhook url); -1 is "system busy". Content over the limit answers 40058
and an empty one 44004, unknown msgtype 40008.

WeChat official account: POST /cgi-bin/stable_token hands out a token valid 7200 s (the same one while it
is valid, unless force_refresh); POST /cgi-bin/message/template/send?access_token=T answers 40001 for an
unknown token, 42001 for an expired one, 43004 for an openid that does not follow the account, 43101 for
one that refuses messages, 47003 for a field value over its type's limit (thing ≤ 20 characters,
character_string ≤ 32 ASCII, ...), and sends one message per openid + client_msg_id within 10 minutes.
"""

import itertools
import re
import threading
from collections import defaultdict, deque
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

Clock = Callable[[], datetime]
CONTENT_BYTES = {"text": 2048, "markdown": 4096}
WINDOW = timedelta(seconds=60)
FIELD_LIMITS = {"thing": 20, "number": 32, "letter": 32, "symbol": 5, "character_string": 32, "phrase": 5}
ASCII_ONLY = {"number", "letter", "symbol", "character_string"}
ERRMSG = {45009: "api freq out of limit", -1: "system busy", 93000: "invalid webhook url"}


def real_now() -> datetime:
    return datetime.now(UTC)


def answer(code: int, message: str, **extra: Any) -> dict[str, Any]:
    return {"errcode": code, "errmsg": message, **extra}


class FakeWeCom:
    def __init__(self, clock: Clock = real_now, per_minute: int = 20) -> None:
        self.clock = clock
        self.per_minute = per_minute
        self.lock = threading.Lock()
        self.messages: list[dict[str, Any]] = []
        self.answers: list[tuple[str, int]] = []
        self.invalid_keys: set[str] = set()
        self.rate_limited = 0  # 45009 answered because a robot really went over 20 a minute
        self.dropped = 0  # held requests whose sender went away before the robot took them
        self._injected: dict[str, deque[int]] = defaultdict(deque)
        self._held_keys: set[str] = set()
        self._admits: dict[str, int] = defaultdict(int)
        self.holding = 0  # requests waiting at the gate now

    # Knobs.
    def fail_next(self, key: str, code: int, times: int = 1) -> None:
        with self.lock:
            self._injected[key].extend([code] * times)

    def hold(self, key: str) -> None:
        """From now on, requests for `key` wait (not taken by the robot) until admitted or released."""
        with self.lock:
            self._held_keys.add(key)
            self._admits[key] = 0

    def admit(self, key: str, count: int) -> None:
        """Let `count` waiting (or coming) requests for a held `key` through."""
        with self.lock:
            self._admits[key] += count

    def release(self) -> None:
        with self.lock:
            self._held_keys.clear()

    def must_wait(self, key: str) -> bool:
        with self.lock:
            if key not in self._held_keys:
                return False
            if self._admits[key] > 0:
                self._admits[key] -= 1
                return False
            return True

    def sent(self, key: str) -> list[dict[str, Any]]:
        with self.lock:
            return [m for m in self.messages if m["key"] == key]

    def max_in_any_window(self, key: str) -> int:
        """The most messages this robot took in any 60-second window."""
        times = sorted(m["at"] for m in self.sent(key))
        return max((sum(1 for t in times[i:] if t - start < WINDOW) for i, start in enumerate(times)), default=0)

    # The platform.
    def before_taking(self, key: str, body: dict[str, Any]) -> dict[str, Any] | None:
        """An early answer (invalid key, injected error, bad payload), or None to go on."""
        with self.lock:
            if key in self.invalid_keys:
                return self._answer(key, answer(93000, "invalid webhook url, hint: [fake]"))
            if self._injected[key]:
                code = self._injected[key].popleft()
                return self._answer(
                    key, answer(code, {45009: "api freq out of limit", -1: "system busy"}.get(code, ""))
                )
        msgtype = body.get("msgtype")
        if msgtype not in CONTENT_BYTES:
            return self._answer(key, answer(40008, "invalid message type"))
        content = (body.get(msgtype) or {}).get("content") or ""
        if not content:
            return self._answer(key, answer(44004, "empty content"))
        if len(content.encode()) > CONTENT_BYTES[msgtype]:
            return self._answer(key, answer(40058, f"{msgtype}.content exceed max length {CONTENT_BYTES[msgtype]}"))
        return None

    def take(self, key: str, body: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            now = self.clock()
            recent = [m for m in self.messages if m["key"] == key and now - m["at"] < WINDOW]
            if len(recent) >= self.per_minute:
                self.rate_limited += 1
                return self._answer(key, answer(45009, "api freq out of limit"))
            msgtype = body["msgtype"]
            self.messages.append({"key": key, "msgtype": msgtype, "content": body[msgtype]["content"], "at": now})
            return self._answer(key, answer(0, "ok"))

    def _answer(self, key: str, body: dict[str, Any]) -> dict[str, Any]:
        self.answers.append((key, body["errcode"]))
        return body


class FakeWeChat:
    def __init__(self, appid: str, secret: str, clock: Clock = real_now) -> None:
        self.appid, self.secret, self.clock = appid, secret, clock
        self.lock = threading.Lock()
        self.messages: list[dict[str, Any]] = []
        self.answers: list[int] = []
        self.tokens_issued = 0
        self.unsubscribed: set[str] = set()
        self.refusing: set[str] = set()
        self._token: str | None = None
        self._expires_at = datetime.min.replace(tzinfo=UTC)
        self._seen: dict[tuple[str, str], tuple[int, datetime]] = {}
        self._injected: deque[int] = deque()
        self._numbers = itertools.count(1)

    # Knobs.
    @property
    def current_token(self) -> str | None:
        """The access token handed out last (a test checks it never reaches a log)."""
        return self._token

    def expire_token(self) -> None:
        """The current access token expires now (sends with it answer 42001)."""
        with self.lock:
            self._expires_at = self.clock()

    def fail_next(self, code: int, times: int = 1) -> None:
        with self.lock:
            self._injected.extend([code] * times)

    def sent_to(self, openid: str) -> list[dict[str, Any]]:
        with self.lock:
            return [m for m in self.messages if m["touser"] == openid]

    # The platform.
    def stable_token(self, body: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            if body.get("grant_type") != "client_credential":
                return answer(40002, "invalid grant_type")
            if body.get("appid") != self.appid:
                return answer(40013, "invalid appid")
            if body.get("secret") != self.secret:
                return answer(40125, "invalid appsecret")
            now = self.clock()
            if body.get("force_refresh") or self._token is None or now >= self._expires_at:
                self._token = f"token-{next(self._numbers)}"
                self._expires_at = now + timedelta(seconds=7200)
                self.tokens_issued += 1
            return {"access_token": self._token, "expires_in": int((self._expires_at - now).total_seconds())}

    def send_template(self, token: str, body: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            result = self._send(token, body)
            self.answers.append(result["errcode"])
            return result

    def _send(self, token: str, body: dict[str, Any]) -> dict[str, Any]:
        now = self.clock()
        if token != self._token:
            return answer(40001, "invalid credential, access_token is invalid or not latest")
        if now >= self._expires_at:
            return answer(42001, "access_token expired")
        if self._injected:
            return answer(self._injected.popleft(), "system error")
        openid = body.get("touser", "")
        if openid in self.unsubscribed:
            return answer(43004, "require subscribe")
        if openid in self.refusing:
            return answer(43101, "user refuse to accept the msg")
        for key, field in (body.get("data") or {}).items():
            kind = re.sub(r"\d+$", "", key)
            value = str(field.get("value", ""))
            too_long = len(value) > FIELD_LIMITS.get(kind, 10_000)
            if too_long or (kind in ASCII_ONLY and not value.isascii()):
                return answer(47003, f"argument invalid! data.{key}.value invalid")
        dedupe = (openid, body.get("client_msg_id") or "")
        if dedupe[1] and dedupe in self._seen and now - self._seen[dedupe][1] < timedelta(minutes=10):
            return answer(0, "ok", msgid=self._seen[dedupe][0])
        msgid = next(self._numbers)
        self._seen[dedupe] = (msgid, now)
        self.messages.append({**body, "msgid": msgid, "at": now})
        return answer(0, "ok", msgid=msgid)
