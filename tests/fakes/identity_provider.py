"""The province's identity provider, as far as the portal's single sign-on uses it: a minimal OpenID Connect
authorization server on authlib's pieces (its PKCE S256 check and at_hash) and joserfc (RS256 ID tokens),
served by FakeServer like the other fakes. Thread-safe; tests steer and read it directly.

- GET /.well-known/openid-configuration: the discovery document.
- GET /authorize: response_type=code for the one registered client and its exact redirect URI, scope with
  openid, PKCE required (code_challenge_method=S256). Nobody types a password: it approves at once as the
  person `sign_in_as` set (a preset login), or answers error=access_denied when nobody is signed in.
- POST /token: grant_type=authorization_code with client_secret_basic or client_secret_post; a code works
  once, within 60 s, for the redirect URI it was issued to, and only with the verifier of its challenge
  (otherwise 400 invalid_grant, counted in `refusals`).
- GET /jwks: the public signing key.

Knobs for what a real provider does not do on purpose: `next_id_token` overrides or adds claims of the next
ID token (a foreign `aud`, an `exp` in the past, another `nonce`), `sign_next_with_foreign_key` signs it with
a key that is not in the JWKS (a forged token).
"""

import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from authlib.oauth2.rfc7636.challenge import compare_s256_code_challenge
from authlib.oidc.core.util import create_half_hash
from joserfc import jwt
from joserfc.jwk import RSAKey

CODE_SECONDS = 60
ID_TOKEN_SECONDS = 300


@dataclass(frozen=True)
class Person:
    """Who is signed in at the provider: the subject and the claims it releases about them."""

    subject: str
    claims: dict[str, Any] = field(default_factory=dict)


@dataclass
class IssuedCode:
    redirect_uri: str
    challenge: str
    nonce: str | None
    person: Person
    expires: float


class FakeIdentityProvider:
    def __init__(self, client_id: str, client_secret: str) -> None:
        self.client_id, self.client_secret = client_id, client_secret
        self.issuer = ""  # FakeServer sets its URL
        self.redirect_uri = ""  # the portal's callback, registered by the test
        self.lock = threading.Lock()
        self.key = RSAKey.generate_key(2048, parameters={"kid": "province-1", "use": "sig", "alg": "RS256"})
        self.foreign_key = RSAKey.generate_key(2048, parameters={"kid": "province-1", "alg": "RS256"})
        self.person: Person | None = None
        self.authorize_requests: list[dict[str, str]] = []
        self.refusals: list[str] = []  # why each refused token request was refused
        self.next_id_token: dict[str, Any] = {}
        self.sign_next_with_foreign_key = False
        self._codes: dict[str, IssuedCode] = {}

    def sign_in_as(self, subject: str, **claims: Any) -> None:
        with self.lock:
            self.person = Person(subject, claims)

    # Endpoints.
    def discovery(self) -> dict[str, Any]:
        return {
            "issuer": self.issuer,
            "authorization_endpoint": f"{self.issuer}/authorize",
            "token_endpoint": f"{self.issuer}/token",
            "jwks_uri": f"{self.issuer}/jwks",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "scopes_supported": ["openid", "profile"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            "code_challenge_methods_supported": ["S256"],
            "grant_types_supported": ["authorization_code"],
        }

    def jwks(self) -> dict[str, Any]:
        return {"keys": [self.key.as_dict(private=False)]}

    def authorize(self, params: dict[str, str]) -> tuple[int, str]:
        """(400, reason) for a request that cannot be answered to the client, else (302, where to)."""
        with self.lock:
            self.authorize_requests.append(params)
            if params.get("client_id") != self.client_id or params.get("redirect_uri") != self.redirect_uri:
                return 400, "unknown client or redirect_uri"
            back = {"state": params["state"]} if "state" in params else {}
            if params.get("response_type") != "code" or "openid" not in params.get("scope", "").split():
                return 302, self._back({**back, "error": "invalid_request"})
            if params.get("code_challenge_method") != "S256" or not params.get("code_challenge"):
                return 302, self._back({**back, "error": "invalid_request", "error_description": "PKCE S256 required"})
            if self.person is None:
                return 302, self._back({**back, "error": "access_denied"})
            code = secrets.token_urlsafe(24)
            self._codes[code] = IssuedCode(
                params["redirect_uri"],
                params["code_challenge"],
                params.get("nonce"),
                self.person,
                time.time() + CODE_SECONDS,
            )
            return 302, self._back({"code": code, **back})

    def token(self, form: dict[str, str], basic: tuple[str, str] | None) -> tuple[int, dict[str, Any]]:
        with self.lock:
            client_id, secret = basic or (form.get("client_id"), form.get("client_secret"))
            if client_id != self.client_id or not secrets.compare_digest(secret or "", self.client_secret):
                return self._refuse(401, "invalid_client")
            if form.get("grant_type") != "authorization_code":
                return self._refuse(400, "unsupported_grant_type")
            issued = self._codes.pop(form.get("code", ""), None)  # a code works once, right or wrong
            if issued is None or issued.expires < time.time():
                return self._refuse(400, "invalid_grant", "unknown, used or expired code")
            if form.get("redirect_uri") != issued.redirect_uri:
                return self._refuse(400, "invalid_grant", "redirect_uri differs")
            verifier = form.get("code_verifier") or ""
            if not compare_s256_code_challenge(verifier, issued.challenge):
                return self._refuse(400, "invalid_grant", "PKCE verifier does not match the challenge")
            access_token = secrets.token_urlsafe(32)
            return 200, {
                "access_token": access_token,
                "token_type": "Bearer",
                "expires_in": 300,
                "scope": "openid profile",
                "id_token": self._id_token(issued, access_token),
            }

    # Helpers.
    def _id_token(self, issued: IssuedCode, access_token: str) -> str:
        now = int(time.time())
        claims = {
            "iss": self.issuer,
            "sub": issued.person.subject,
            "aud": self.client_id,
            "iat": now,
            "exp": now + ID_TOKEN_SECONDS,
            "auth_time": now,
            "at_hash": create_half_hash(access_token, "RS256").decode(),
            **({"nonce": issued.nonce} if issued.nonce else {}),
            **issued.person.claims,
            **self.next_id_token,
        }
        key = self.foreign_key if self.sign_next_with_foreign_key else self.key
        self.next_id_token, self.sign_next_with_foreign_key = {}, False
        return jwt.encode({"alg": "RS256", "kid": key.kid}, claims, key)

    def _back(self, params: dict[str, str]) -> str:
        return f"{self.redirect_uri}?{urlencode(params)}"

    def _refuse(self, status: int, error: str, description: str = "") -> tuple[int, dict[str, Any]]:
        self.refusals.append(description or error)
        return status, {"error": error, **({"error_description": description} if description else {})}
