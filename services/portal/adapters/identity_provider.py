"""The province's identity provider as an OpenID Connect client: its discovery document and keys, the
authorization URL with PKCE, the code exchange, and the ID token check — authlib's authorization request and
S256 challenge, its OIDC ID token claims check (CodeIDToken), and joserfc (authlib's JOSE library) for the
signature; the HTTP calls go through httpx as every other call of ours does.

Discovery and keys are fetched when first needed and kept for an hour; a key id not in the kept set fetches
the keys again (the provider rotated). Everything else is per sign-in: no state lives here between requests,
so any portal instance can finish a sign-in another began."""

import time
from dataclasses import dataclass
from typing import Any

import httpx
from authlib.oauth2.rfc6749.parameters import prepare_grant_uri
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from authlib.oidc.core import CodeIDToken
from joserfc import jwt
from joserfc.errors import ClaimError, ExpiredTokenError, InvalidKeyIdError, JoseError
from joserfc.jwk import KeySet

from shared.errors import DomainError, ServiceUnavailable

KEEP_SECONDS = 3600
LEEWAY_SECONDS = 60  # clocks of the provider and the portal may differ a little
# Asymmetric signatures only: "none" and HS256 (keyed with our client secret) are refused.
ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA")


class IdTokenRefused(DomainError):
    status_code = 401


@dataclass(frozen=True)
class ProviderClient:
    """Who the portal is at the provider (its client registration there)."""

    issuer: str
    client_id: str
    client_secret: str | None
    redirect_uri: str
    scopes: str
    timeout: float


class IdentityProvider:
    def __init__(self, client: ProviderClient) -> None:
        self.client = client
        self._metadata: dict[str, Any] | None = None
        self._keys: dict[str, Any] | None = None
        self._fetched_at = 0.0

    async def authorization_url(self, *, state: str, nonce: str, code_verifier: str) -> str:
        """Where to send the browser: the provider's authorization endpoint with state, nonce and the PKCE S256
        challenge of `code_verifier`."""
        metadata = await self.metadata()
        return prepare_grant_uri(
            metadata["authorization_endpoint"],
            client_id=self.client.client_id,
            response_type="code",
            redirect_uri=self.client.redirect_uri,
            scope=self.client.scopes,
            state=state,
            nonce=nonce,
            code_challenge=create_s256_code_challenge(code_verifier),
            code_challenge_method="S256",
        )

    async def exchange(self, code: str, *, code_verifier: str) -> dict[str, Any]:
        """The provider's tokens for an authorization code, sent with the PKCE verifier (client_secret_basic when
        the portal has a secret there, a public client's client_id otherwise)."""
        metadata = await self.metadata()
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": self.client.redirect_uri,
            "code_verifier": code_verifier,
        }
        secret = self.client.client_secret
        auth = (self.client.client_id, secret) if secret else None
        if not secret:
            form["client_id"] = self.client.client_id
        try:
            async with httpx.AsyncClient(timeout=self.client.timeout) as http:
                response = await http.post(metadata["token_endpoint"], data=form, auth=auth)
            token = response.json()
        except (httpx.HTTPError, ValueError) as failure:
            raise _unreachable() from failure
        if not isinstance(token, dict) or response.status_code >= 500:
            raise _unreachable()
        if "error" in token or response.status_code >= 400:
            raise IdTokenRefused(
                "oidc_code_refused",
                f"统一身份认证未能完成，请重新登录 (the identity provider refused the code: {token.get('error')})",
            )
        if "id_token" not in token:
            raise IdTokenRefused("oidc_id_token_invalid", "统一身份认证未返回身份令牌 (no ID token in the answer)")
        return token

    async def verify_id_token(self, token: dict[str, Any], *, nonce: str) -> dict[str, Any]:
        """The ID token's claims once its signature (the provider's keys), issuer, audience, expiry and nonce
        are right; IdTokenRefused (401) naming what is wrong otherwise."""
        metadata = await self.metadata()
        offered = metadata.get("id_token_signing_alg_values_supported") or ["RS256"]
        algorithms = [name for name in offered if name in ALGORITHMS]
        try:
            try:
                decoded = jwt.decode(token["id_token"], KeySet.import_key_set(await self._jwks()), algorithms)
            except InvalidKeyIdError:
                decoded = jwt.decode(token["id_token"], KeySet.import_key_set(await self._jwks(force=True)), algorithms)
            claims = CodeIDToken(
                decoded.claims,
                decoded.header,
                {
                    "iss": {"essential": True, "value": self.client.issuer},
                    "aud": {"essential": True, "value": self.client.client_id},
                },
                {"nonce": nonce, "client_id": self.client.client_id, "access_token": token.get("access_token")},
            )
            claims.validate(leeway=LEEWAY_SECONDS)
        except ExpiredTokenError as refusal:
            raise IdTokenRefused(
                "oidc_id_token_expired", "统一身份认证的身份令牌已过期 (the ID token has expired)"
            ) from refusal
        except ClaimError as refusal:
            raise IdTokenRefused(
                "oidc_id_token_invalid",
                f"统一身份认证的身份令牌无效：{refusal.claim} (the ID token's {refusal.claim} is wrong)",
            ) from refusal
        except (JoseError, ValueError) as refusal:
            raise IdTokenRefused(
                "oidc_id_token_invalid", "统一身份认证的身份令牌签名无效 (the ID token's signature does not verify)"
            ) from refusal
        return dict(claims)

    async def metadata(self) -> dict[str, Any]:
        """The discovery document (/.well-known/openid-configuration); it must name our issuer exactly."""
        if self._metadata is None or time.monotonic() - self._fetched_at > KEEP_SECONDS:
            url = f"{self.client.issuer.rstrip('/')}/.well-known/openid-configuration"
            metadata = await self._get(url)
            if metadata.get("issuer") != self.client.issuer:
                raise ServiceUnavailable(
                    "oidc_misconfigured",
                    "统一身份认证配置有误，请联系系统管理员 (the provider's discovery names another issuer)",
                )
            self._metadata, self._keys, self._fetched_at = metadata, None, time.monotonic()
        return self._metadata

    async def _jwks(self, *, force: bool = False) -> dict[str, Any]:
        if self._keys is None or force:
            self._keys = await self._get((await self.metadata())["jwks_uri"])
        return self._keys

    async def _get(self, url: str) -> dict[str, Any]:
        try:
            async with httpx.AsyncClient(timeout=self.client.timeout) as http:
                response = await http.get(url)
                response.raise_for_status()
                return response.json()
        except (httpx.HTTPError, ValueError) as failure:
            raise _unreachable() from failure


def _unreachable() -> ServiceUnavailable:
    return ServiceUnavailable(
        "oidc_unavailable", "统一身份认证暂不可用，请稍后重试或使用密码登录 (identity provider unreachable)"
    )
