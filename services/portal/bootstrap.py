"""Wiring of the portal (sign-in, org directory, read models for timelines, the audit trail, the web UI)."""

from datetime import timedelta

from fastapi import FastAPI

from services.portal.adapters import Directory, RefreshTokens, SignInGuard, TicketViews
from services.portal.domain import LockoutPolicy
from services.portal.entrypoints import build_router, subscribe, subscribe_audit
from services.portal.gateway import build_gateway, mount_web_ui
from services.portal.handlers import TokenPolicy
from shared.audit import AuditKey, AuditLog
from shared.audit_anchors import AnchorDirectory, AnchorExport
from shared.ratelimit import Limit, RateLimiter
from shared.runtime import Runtime
from shared.settings import Settings
from shared.web import create_app


def create_service(settings: Settings | None = None) -> FastAPI:
    runtime = Runtime(settings or Settings(service_name="portal"))
    settings = runtime.settings
    db = runtime.database
    views = TicketViews(db)
    # The chain is keyed with a secret outside the database; its head is anchored outside it too.
    audit_key = AuditKey.from_file(settings.audit_key_file)
    audit = AuditLog(db, chain="events", key=audit_key)
    anchors = AnchorDirectory(settings.audit_anchor_dir, audit_key)
    runtime.background.append(AnchorExport([audit], anchors, settings.audit_anchor_minutes * 60))  # type: ignore[arg-type]
    subscribe(runtime, views)
    subscribe_audit(runtime, audit)
    router = build_router(
        directory=Directory(db, runtime.outbox),
        sessions=RefreshTokens(db, runtime.outbox),
        views=views,
        tokens=TokenPolicy(runtime.keys, settings.access_token_minutes, settings.refresh_token_days),
        guard=SignInGuard(
            db,
            LockoutPolicy(settings.lockout_failures, timedelta(minutes=settings.lockout_minutes)),
            runtime.outbox,
        ),
        limiter=RateLimiter(db),
        sign_in_limit=Limit("sign_in", settings.sign_in_per_minute, 60),
        source_limit=Limit("sign_in_source", settings.sign_ins_per_source_per_minute, 60),
        trusted_proxies=frozenset(settings.trusted_proxies),
        audit=audit,
        clock=runtime.clock,
    )
    app = create_app(runtime, title="fiscaldesk portal", routers=[router, build_gateway(settings.service_urls)])
    mount_web_ui(app, settings.web_dist)  # last: its catch-all route must not shadow the API
    return app
