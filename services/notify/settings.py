"""Notify's own settings: the shared ones plus the delivery channels and the delivery queue (FD_ prefix).

Kept here rather than in shared/settings.py because only notify reads them. The WeCom and WeChat base
URLs are unset by default: the channel is then disabled and its deliveries are recorded as skipped with
the reason `channel_disabled` (docs/notifications.md). Production sets them to the platforms' API base URLs.
"""

from pydantic import SecretStr, model_validator

from shared.settings import Settings


class NotifySettings(Settings):
    service_name: str = "notify"
    # WeCom group robots: POST {wecom_base_url}/cgi-bin/webhook/send?key=<robot key>.
    wecom_base_url: str | None = None
    # WeCom allows 20 messages a minute per robot; the extra seconds absorb clock and network skew.
    wecom_robot_per_minute: int = 20
    wecom_window_margin_seconds: float = 1.0
    # WeChat official account template messages (stable access token by appid and secret).
    wechat_base_url: str | None = None
    wechat_appid: str = ""
    wechat_secret: SecretStr | None = None
    wechat_template_id: str = "fiscaldesk-notice"
    # Where a template message's link points (the portal's ticket page), if anywhere.
    portal_url: str = ""
    # The delivery queue.
    delivery_lease_seconds: float = 30.0
    delivery_http_timeout_seconds: float = 10.0
    delivery_max_attempts: int = 6
    delivery_backoff_base_seconds: float = 2.0
    delivery_backoff_cap_seconds: float = 600.0
    delivery_poll_seconds: float = 1.0
    delivery_concurrency: int = 8
    # How long the active notification scheme is kept in memory (it is read for every event).
    scheme_cache_seconds: float = 2.0

    @model_validator(mode="after")
    def lease_outlasts_a_send(self) -> "NotifySettings":
        # A lease that ran out while its send was still waiting for an answer would let a second worker send.
        if self.delivery_lease_seconds <= self.delivery_http_timeout_seconds:
            raise ValueError("FD_DELIVERY_LEASE_SECONDS must be longer than FD_DELIVERY_HTTP_TIMEOUT_SECONDS")
        return self

    @property
    def wecom_enabled(self) -> bool:
        return bool(self.wecom_base_url)

    @property
    def wechat_enabled(self) -> bool:
        return bool(self.wechat_base_url and self.wechat_appid and self.wechat_secret)
