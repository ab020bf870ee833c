"""统一身份认证: signing in with the province's identity provider over OpenID Connect (authorization code with
PKCE, docs/security.md). The provider says who the person is; the portal's directory says what they may do:
the person must already be an active portal user (administrators create users; an unknown identity is
refused, never provisioned), and the session is the one a password sign-in gives (`handlers._issue`).

    browser → GET /api/auth/oidc/start          → provider's authorization endpoint (state, nonce, S256)
    provider → GET /api/auth/oidc/callback?code&state → /login?sso=<one-time code>
    web UI  → POST /api/auth/oidc/token {code}  → our access and refresh tokens (never in a URL)
"""

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from services.portal.adapters import Directory, RefreshTokens
from services.portal.adapters.identity_provider import IdentityProvider, IdTokenRefused
from services.portal.adapters.oidc import OidcSignIns
from services.portal.domain import SignInFailed, UserAccount
from services.portal.handlers import TokenPolicy, _issue
from shared.errors import DomainError, Forbidden
from shared.events import new_id
from shared.logs import get_logger

log = get_logger(__name__)

# Time for the person to sign in at the provider, and for the web UI to trade the code it is handed.
SIGN_IN_TIME = timedelta(minutes=10)
HANDOFF_TIME = timedelta(seconds=60)
HOME = "/home"


class SignInStateInvalid(DomainError):
    status_code = 400


@dataclass(frozen=True)
class SingleSignOn:
    provider: IdentityProvider
    sign_ins: OidcSignIns
    user_claim: str  # the ID token claim whose value is the portal user name


def next_path(requested: str | None) -> str:
    """Where the UI goes once signed in: a path of our own origin only (no open redirect)."""
    if not requested or not requested.startswith("/") or requested.startswith(("//", "/\\")) or len(requested) > 512:
        return HOME
    return requested


async def start_sign_in(sso: SingleSignOn, *, browser: str, requested_next: str | None, now: datetime) -> str:
    """The provider's authorization URL for a new sign-in, whose state, nonce and PKCE verifier are kept in the
    database (any portal instance may receive the callback), bound to the browser's cookie value."""
    state, nonce, verifier = secrets.token_urlsafe(32), secrets.token_urlsafe(32), secrets.token_urlsafe(48)
    url = await sso.provider.authorization_url(state=state, nonce=nonce, code_verifier=verifier)
    await sso.sign_ins.sweep(now)
    await sso.sign_ins.begin(
        state,
        browser=browser,
        nonce=nonce,
        code_verifier=verifier,
        next_path=next_path(requested_next),
        expires_at=now + SIGN_IN_TIME,
    )
    return url


async def finish_sign_in(
    sso: SingleSignOn,
    *,
    state: str | None,
    code: str | None,
    error: str | None,
    browser: str | None,
    now: datetime,
    directory: Directory,
) -> tuple[str, str]:
    """The provider's callback: the state must be one we issued, unused, unexpired and started in this browser;
    the code is traded (with the PKCE verifier) for an ID token that must verify and name an active user.
    Answers the one-time hand-off code for the web UI and where the UI goes next."""
    pending = await sso.sign_ins.take(state) if state else None
    if pending is None or pending.expires_at <= now or not browser or not pending.started_by(browser):
        log.warning("single sign-on callback refused", known_state=pending is not None)
        raise SignInStateInvalid(
            "oidc_state_invalid", "登录请求已失效或已使用，请重新登录 (unknown, used or expired sign-in request)"
        )
    if error or not code:
        answer = error or "no code"
        raise IdTokenRefused("oidc_refused", f"统一身份认证未通过 (the identity provider answered {answer})")
    token = await sso.provider.exchange(code, code_verifier=pending.code_verifier)
    claims = await sso.provider.verify_id_token(token, nonce=pending.nonce)
    account = await _account_for(claims, sso=sso, directory=directory, now=now)
    handoff = secrets.token_urlsafe(32)
    await sso.sign_ins.hand_off(handoff, user_id=account.id, expires_at=now + HANDOFF_TIME)
    return handoff, pending.next_path


async def redeem_handoff(
    code: str, *, now: datetime, sso: SingleSignOn, directory: Directory, sessions: RefreshTokens, tokens: TokenPolicy
) -> dict:
    """The web UI trades the hand-off code, once, for the same token pair a password sign-in answers."""
    user_id = await sso.sign_ins.redeem(code, now)
    account = await directory.user_by_id(user_id) if user_id else None
    if account is None or not account.active:
        raise SignInFailed("oidc_handoff_invalid", "登录已失效，请重新登录 (sign-in code unknown, used or expired)")
    return await _issue(account, now=now, family=new_id(), sessions=sessions, tokens=tokens)


async def _account_for(
    claims: dict[str, Any], *, sso: SingleSignOn, directory: Directory, now: datetime
) -> UserAccount:
    name = claims.get(sso.user_claim)
    account = await directory.user_by_username(name) if isinstance(name, str) and name else None
    if account is None or not account.active:
        log.warning("single sign-on of an unknown identity", claim=sso.user_claim, subject=claims.get("sub"))
        raise Forbidden(
            "oidc_unknown_identity",
            f"统一身份认证账号 {name or claims.get('sub')} 未在本系统开通，请联系系统管理员"
            " (no active user of this system has this identity: ask an administrator to create it)",
        )
    if not await sso.sign_ins.bind(claims["iss"], claims["sub"], user_id=account.id, now=now):
        log.warning("single sign-on identity conflict", user_id=account.id, subject=claims.get("sub"))
        raise Forbidden(
            "oidc_identity_conflict",
            f"统一身份认证账号与本系统用户 {account.username} 的绑定不一致，请联系系统管理员"
            " (this identity, or this user, is bound to another one: ask an administrator)",
        )
    return account
