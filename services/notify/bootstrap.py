"""Wiring of the notify service: stores, channels, the delivery worker, the API and the subscribers."""

from collections.abc import Callable
from datetime import datetime
from functools import partial

import httpx
from fastapi import FastAPI

from services.notify.adapters import AnnouncementRepository, DeliveryQueue, NotificationRepository
from services.notify.admin_api import build_admin_router
from services.notify.channels import Channel
from services.notify.channels.inbox import InboxChannel
from services.notify.channels.wechat import AccessTokenCache, WeChatTemplateChannel
from services.notify.channels.wecom import WINDOW_SECONDS, WeComRobotChannel
from services.notify.config_store import PreferenceStore, RobotStore, SchemeStore
from services.notify.entrypoints import build_router, subscribe
from services.notify.handlers import Notify, when_robot_rejected_disable_and_alert, when_wechat_user_unreachable
from services.notify.seed import seed
from services.notify.settings import NotifySettings
from services.notify.throttle import RobotThrottle
from services.notify.worker import DeliveryWorker
from shared.db import Database
from shared.events import utcnow
from shared.outbox import Outbox
from shared.runtime import Runtime
from shared.web import create_app


def build_notify(db: Database, scheme_cache_seconds: float = 0.0, outbox: Outbox | None = None) -> Notify:
    """The stores, all on the service's PostgreSQL database; `outbox` records administrative changes."""
    return Notify(
        queue=DeliveryQueue(db),
        inbox=NotificationRepository(db),
        announcements=AnnouncementRepository(db),
        schemes=SchemeStore(db, scheme_cache_seconds),
        robots=RobotStore(db),
        preferences=PreferenceStore(db),
        db=db,
        outbox=outbox,
    )


def build_channels(
    settings: NotifySettings, notify: Notify, db: Database, http: httpx.AsyncClient, now: Callable[[], datetime]
) -> dict[str, Channel]:
    """The inbox always; WeCom and WeChat when their base URLs (and WeChat's credentials) are set."""
    channels: dict[str, Channel] = {"inbox": InboxChannel(notify.inbox)}
    if settings.wecom_enabled:
        window = WINDOW_SECONDS + settings.wecom_window_margin_seconds
        throttle = RobotThrottle(db, now, settings.wecom_robot_per_minute, window)
        disable = partial(when_robot_rejected_disable_and_alert, notify=notify)
        channels["wecom"] = WeComRobotChannel(http, settings.wecom_base_url or "", notify.robots.get, throttle, disable)
    if settings.wechat_enabled and settings.wechat_secret:
        base = settings.wechat_base_url or ""
        tokens = AccessTokenCache(http, base, settings.wechat_appid, settings.wechat_secret.get_secret_value(), now)
        unreachable = partial(when_wechat_user_unreachable, notify=notify)
        channels["wechat"] = WeChatTemplateChannel(
            http, base, tokens, settings.wechat_template_id, settings.portal_url, now, unreachable
        )
    notify.enabled = frozenset(channels)
    return channels


class Delivering:
    """The delivery worker as one of the runtime's background tasks: started after the broker, stopped
    before the database closes; its HTTP client closes with it."""

    def __init__(self, worker: DeliveryWorker, http: httpx.AsyncClient) -> None:
        self._worker, self._http = worker, http

    async def start(self) -> None:
        await self._worker.start()

    async def stop(self) -> None:
        await self._worker.stop()
        await self._http.aclose()


def create_service(settings: NotifySettings | None = None) -> FastAPI:
    settings = settings or NotifySettings()
    runtime = Runtime(settings)
    db = runtime.database
    notify = build_notify(db, scheme_cache_seconds=settings.scheme_cache_seconds, outbox=runtime.outbox)
    http = httpx.AsyncClient(timeout=settings.delivery_http_timeout_seconds)
    channels = build_channels(settings, notify, db, http, utcnow)
    worker = DeliveryWorker(notify.queue, channels, runtime.outbox_writer, runtime.topics.dead_letter, settings, utcnow)
    notify.wake = worker.wake
    runtime.background.append(Delivering(worker, http))  # type: ignore[arg-type]
    subscribe(runtime, notify)
    return create_app(
        runtime,
        title="fiscaldesk notify",
        routers=[build_router(notify), build_admin_router(notify)],
        on_start=[partial(seed, notify.schemes, notify.robots)],
    )
