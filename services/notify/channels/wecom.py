"""WeCom group robots (企业微信群机器人): text or markdown posted to a group's webhook.

The platform's rules followed here: POST {base}/cgi-bin/webhook/send?key=KEY with
{"msgtype": "markdown", "markdown": {"content": ...}} (at most 4096 bytes) or {"msgtype": "text",
"text": {"content": ...}} (at most 2048 bytes); at most 20 messages a minute per robot (RobotThrottle);
errcode 45009 (over the limit) → wait a window and retry, without spending an attempt; -1 (system busy)
→ retry with backoff; 93000 (invalid webhook URL: the robot was removed from its group) → the robot is
disabled and an administrator alerted; any other errcode is permanent for that message.
"""

from collections.abc import Awaitable, Callable

import httpx

from services.notify.channels.base import Channel, Delivery, DeliveryResult
from services.notify.throttle import RobotThrottle

CONTENT_BYTES = {"markdown": 4096, "text": 2048}
RATE_LIMITED, INVALID_WEBHOOK, BUSY = 45009, 93000, -1
WINDOW_SECONDS = 60.0

RobotLookup = Callable[[str], Awaitable[dict | None]]
RobotDisabled = Callable[[str, str], Awaitable[None]]


def clip_bytes(text: str, limit: int) -> str:
    """At most `limit` UTF-8 bytes, never cutting a character in half; marks the cut with an ellipsis."""
    encoded = text.encode()
    if len(encoded) <= limit:
        return text
    return encoded[: limit - 3].decode(errors="ignore") + "…"


# WeCom's markdown has no escape character (a backslash is printed and the link after it still works), so
# the characters of its syntax are written as their full-width forms: 【点此】(http://…) in a submitter's
# title stays text in a bureau's group instead of becoming a link, <@userid> no longer mentions anyone,
# a line starting with # or > is no heading or quote. The characters read the same in Chinese text.
MARKDOWN_SYNTAX = str.maketrans(
    {"[": "［", "]": "］", "(": "（", ")": "）", "<": "＜", ">": "＞", "`": "｀", "*": "＊", "_": "＿", "#": "＃"}
    | {"~": "～", "|": "｜", "!": "！", "\\": "＼", "&": "＆"}
)


def markdown_text(text: str) -> str:
    """User text (a title, a reason) as plain text inside a markdown message: no markup of its own."""
    return text.translate(MARKDOWN_SYNTAX)


def content(delivery: Delivery, msgtype: str) -> str:
    zh = delivery.text("zh-CN")
    if msgtype == "markdown":
        # The rendered texts hold the users' words (titles, reasons): the only markup is the one added here.
        title, body = markdown_text(" ".join(zh["title"].split())), markdown_text(zh["body"])
        text = f"**{title}**\n{body}\n> 编号：{markdown_text(delivery.ticket_id)}"
    else:
        text = f"{zh['title']}\n{zh['body']}\n编号：{delivery.ticket_id}"
    return clip_bytes(text, CONTENT_BYTES[msgtype])


class WeComRobotChannel(Channel):
    name = "wecom"

    def __init__(
        self,
        http: httpx.AsyncClient,
        base_url: str,
        robot: RobotLookup,
        throttle: RobotThrottle,
        disable_robot: RobotDisabled,
    ) -> None:
        self._http = http
        self._url = f"{base_url.rstrip('/')}/cgi-bin/webhook/send"
        self._robot = robot
        self._throttle = throttle
        self._disable_robot = disable_robot

    async def send(self, delivery: Delivery) -> DeliveryResult:
        robot = await self._robot(delivery.robot_id or "")
        if robot is None or not robot.get("enabled"):
            return DeliveryResult.permanent("robot_disabled")
        wait = await self._throttle.take(robot["_id"])
        if wait > 0:
            return DeliveryResult.retry(wait, "rate_limited: waiting for the robot's token", counts_as_attempt=False)
        msgtype = robot.get("msgtype", "markdown")
        payload = {"msgtype": msgtype, msgtype: {"content": content(delivery, msgtype)}}
        try:
            response = await self._http.post(self._url, params={"key": robot["key"]}, json=payload)
            answer = response.json() if response.status_code == 200 else {"errcode": BUSY, "errmsg": response.text}
        except (httpx.HTTPError, ValueError) as error:
            return DeliveryResult.retry(0, f"network: {error!r}"[:300])
        code, message = answer.get("errcode", BUSY), str(answer.get("errmsg", ""))[:200]
        if code == 0:
            return DeliveryResult.ok()
        if code == RATE_LIMITED:
            return DeliveryResult.retry(WINDOW_SECONDS, f"45009 {message}", counts_as_attempt=False)
        if code == BUSY:
            return DeliveryResult.retry(0, f"-1 {message}")
        if code == INVALID_WEBHOOK:
            await self._disable_robot(robot["_id"], f"93000 {message}")
        return DeliveryResult.permanent(f"{code} {message}")
