"""WeChat official account template messages (公众号模板消息) to a user's bound openid.

The platform's rules followed here: a stable access token from POST {base}/cgi-bin/stable_token
({"grant_type": "client_credential", "appid", "secret"}), cached until shortly before `expires_in`;
POST {base}/cgi-bin/message/template/send?access_token=TOKEN with touser, template_id, url, data and
client_msg_id (the platform sends one message per openid + client_msg_id within 10 minutes, which closes
the crash window of a retried send). 40001/40014/42001 (token invalid or expired) → the token is fetched
again once, by one caller, and the send repeated once; 43004 (not subscribed) and 43101 (user refuses)
are permanent for that user; field values are cut to the platform's limits by their key's type.
"""

import asyncio
import hashlib
import re
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

import httpx

from services.notify.channels.base import Channel, Delivery, DeliveryResult
from shared.logs import get_logger

log = get_logger(__name__)

TOKEN_ERRORS = {40001, 40014, 42001}
UNREACHABLE = {43004: "43004 require subscribe", 43101: "43101 user refuse to accept the msg"}
BUSY, DAILY_QUOTA = -1, 45009
# 类目模板 value limits by the key's type prefix (thing1, character_string2, ...), in characters.
FIELD_LIMITS = {
    "thing": 20, "number": 32, "letter": 32, "symbol": 5, "character_string": 32, "phone_number": 17,
    "car_number": 8, "name": 10, "phrase": 5,
}  # fmt: skip
ASCII_ONLY = {"number", "letter", "symbol", "character_string", "phone_number"}
KEY_TYPE = re.compile(r"^([a-z_]+?)\d*$")


def fit(key: str, value: str) -> str:
    """A template field value within its type's limit (the platform answers 47003 otherwise)."""
    kind = KEY_TYPE.match(key).group(1) if KEY_TYPE.match(key) else key
    if kind in ASCII_ONLY:
        value = "".join(ch for ch in value if ch.isascii() and ch.isprintable())
    limit = FIELD_LIMITS.get(kind)
    if limit is None or len(value) <= limit:
        return value
    return value[: limit - 1] + "…" if kind == "thing" else value[:limit]


def template_data(delivery: Delivery, sent_at: datetime) -> dict[str, dict[str, str]]:
    text = delivery.text(delivery.language)
    values = {
        "thing1": text["title"],
        "character_string2": delivery.ticket_id,
        "time3": sent_at.strftime("%Y-%m-%d %H:%M"),
        "thing4": text["body"] or text["title"],
    }
    return {key: {"value": fit(key, value)} for key, value in values.items()}


class TokenUnavailable(Exception):
    pass


class AccessTokenCache:
    """One stable access token per process, fetched by one caller at a time and dropped when rejected."""

    def __init__(self, http: httpx.AsyncClient, base_url: str, appid: str, secret: str, now: Callable[[], datetime]):
        self._http, self._url, self._now = http, f"{base_url.rstrip('/')}/cgi-bin/stable_token", now
        self._credentials = {"grant_type": "client_credential", "appid": appid, "secret": secret}
        self._token: str | None = None
        self._expires_at = datetime.min
        self._lock = asyncio.Lock()
        self.fetches = 0

    async def get(self) -> str:
        async with self._lock:
            if self._token and self._now() < self._expires_at:
                return self._token
            try:
                answer = (await self._http.post(self._url, json={**self._credentials, "force_refresh": False})).json()
            except (httpx.HTTPError, ValueError) as error:
                raise TokenUnavailable(f"network: {error!r}") from error
            self.fetches += 1
            if "access_token" not in answer:
                raise TokenUnavailable(f"{answer.get('errcode')} {answer.get('errmsg')}")
            # Refresh a minute early: the platform keeps the old token valid for 5 minutes after renewing.
            self._token = answer["access_token"]
            self._expires_at = self._now() + timedelta(seconds=max(int(answer.get("expires_in", 7200)) - 60, 30))
            return self._token

    async def invalidate(self, token: str) -> None:
        """Drop `token` unless another caller already replaced it, so a burst of rejections refreshes once."""
        async with self._lock:
            if self._token == token:
                self._token = None


UserUnreachable = Callable[[str, str, str], Awaitable[None]]


class WeChatTemplateChannel(Channel):
    name = "wechat"

    def __init__(
        self,
        http: httpx.AsyncClient,
        base_url: str,
        tokens: AccessTokenCache,
        template_id: str,
        link: str,
        now: Callable[[], datetime],
        user_unreachable: UserUnreachable,
    ) -> None:
        self._http, self._url, self._tokens = http, f"{base_url.rstrip('/')}/cgi-bin/message/template/send", tokens
        self._template_id, self._link, self._now = template_id, link.rstrip("/"), now
        self._user_unreachable = user_unreachable

    def _payload(self, delivery: Delivery) -> dict:
        payload = {
            "touser": delivery.openid,
            "template_id": self._template_id,
            "data": template_data(delivery, self._now()),
            # At most 64 bytes: a digest of the delivery id, the same for every retry of this delivery.
            "client_msg_id": hashlib.sha256(delivery.id.encode()).hexdigest()[:32],
        }
        if self._link:
            payload["url"] = f"{self._link}/tickets/{delivery.ticket_id}"
        return payload

    async def _post(self, payload: dict, token: str) -> dict:
        response = await self._http.post(self._url, params={"access_token": token}, json=payload)
        return response.json() if response.status_code == 200 else {"errcode": BUSY, "errmsg": response.text[:200]}

    async def send(self, delivery: Delivery) -> DeliveryResult:
        if not delivery.openid:
            return DeliveryResult.permanent("no_wechat_binding")
        payload = self._payload(delivery)
        try:
            token = await self._tokens.get()
            answer = await self._post(payload, token)
            if answer.get("errcode") in TOKEN_ERRORS:
                log.info("wechat access token rejected; fetching it again", errcode=answer.get("errcode"))
                await self._tokens.invalidate(token)
                answer = await self._post(payload, await self._tokens.get())
        except TokenUnavailable as error:
            return DeliveryResult.retry(0, f"access token: {error}"[:300])
        except (httpx.HTTPError, ValueError) as error:
            return DeliveryResult.retry(0, f"network: {error!r}"[:300])
        return await self._result(delivery, answer)

    async def _result(self, delivery: Delivery, answer: dict) -> DeliveryResult:
        code, message = answer.get("errcode", BUSY), str(answer.get("errmsg", ""))[:200]
        if code == 0:
            return DeliveryResult.ok()
        if code in UNREACHABLE:
            await self._user_unreachable(delivery.recipient, delivery.openid or "", UNREACHABLE[code])
            return DeliveryResult.permanent(UNREACHABLE[code])
        if code in TOKEN_ERRORS:
            return DeliveryResult.retry(0, f"{code} token rejected twice: {message}")
        if code == BUSY:
            return DeliveryResult.retry(0, f"-1 {message}")
        if code == DAILY_QUOTA:
            return DeliveryResult.retry(3600, f"45009 {message}", counts_as_attempt=False)
        return DeliveryResult.permanent(f"{code} {message}")
