"""Wiring of the portal (sign-in, org directory, read models for timelines, the audit trail, the web UI)."""

from datetime import timedelta

from fastapi import FastAPI

from services.portal.adapters import Directory, RefreshTokens, SignInGuard, TicketViews
from services.portal.adapters.comments import Comments
from services.portal.adapters.identity_provider import IdentityProvider, ProviderClient
from services.portal.adapters.intake_files import IntakeFiles
from services.portal.adapters.oidc import OidcSignIns
from services.portal.comments import CommentDesk
from services.portal.domain import LockoutPolicy
from services.portal.entrypoints import build_router, build_single_sign_on_router, subscribe, subscribe_audit
from services.portal.gateway import build_gateway, mount_web_ui
from services.portal.handlers import TokenPolicy
from services.portal.single_sign_on import SingleSignOn
from shared.audit import AuditKey, AuditLog
from shared.audit_anchors import AnchorDirectory, AnchorExport
from shared.db import Database
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
    directory = Directory(db, runtime.outbox, access_token_minutes=settings.access_token_minutes)
    sessions = RefreshTokens(db, runtime.outbox)
    tokens = TokenPolicy(runtime.keys, settings.access_token_minutes, settings.refresh_token_days)
    router = build_router(
        directory=directory,
        sessions=sessions,
        views=views,
        tokens=tokens,
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
        comments=CommentDesk(
            Comments(db, runtime.outbox), views, directory, IntakeFiles(settings.service_urls.get("intake", ""))
        ),
    )
    single_sign_on = build_single_sign_on_router(
        sso=single_sign_on_of(settings, db),
        secure_cookie=(settings.oidc_redirect_uri or "").startswith("https://"),
        directory=directory,
        sessions=sessions,
        tokens=tokens,
    )
    routers = [router, single_sign_on, build_gateway(settings.service_urls, settings.review_deployments)]
    app = create_app(runtime, title="fiscaldesk portal", routers=routers)
    mount_web_ui(app, settings.web_dist)  # last: its catch-all route must not shadow the API
    return app


def single_sign_on_of(settings: Settings, db: Database) -> SingleSignOn | None:
    """The province's identity provider, when FD_OIDC_ISSUER is set (with its client id and our callback)."""
    if not settings.oidc_issuer:
        return None
    if not (settings.oidc_client_id and settings.oidc_redirect_uri):
        raise ValueError("FD_OIDC_ISSUER is set: FD_OIDC_CLIENT_ID and FD_OIDC_REDIRECT_URI must be set too")
    secret = settings.oidc_client_secret.get_secret_value() if settings.oidc_client_secret else None
    client = ProviderClient(
        issuer=settings.oidc_issuer,
        client_id=settings.oidc_client_id,
        client_secret=secret,
        redirect_uri=settings.oidc_redirect_uri,
        scopes=settings.oidc_scopes,
        timeout=settings.oidc_http_timeout_seconds,
    )
    return SingleSignOn(IdentityProvider(client), OidcSignIns(db), settings.oidc_user_claim)
