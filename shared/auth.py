"""Signed access tokens and the principal they carry; every service verifies tokens itself.

The portal signs short-lived access tokens with an ES256 key whose `kid` is in the token header; every
service verifies them locally against the public keys in `jwks.json`, so keys can rotate (publish the new
public key, sign with the new private key, drop the old public key when its last token has expired).
"""

import json
import time
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from jwt.algorithms import ECAlgorithm
from pydantic import BaseModel

from shared.events import Actor, new_id, utcnow

ISSUER = "fiscaldesk-portal"
AUDIENCE = "fiscaldesk"
ALGORITHM = "ES256"
REGION_CODE = "150000"

# Roles (issue: sign-in and access). A user belongs to one organisation and may hold several roles.
SUBMITTER = "submitter"  # 使用单位录入人员: submits requirements and problems, verifies deliveries
UNIT_ADMIN = "unit_admin"  # 单位管理员
REVIEWER = "reviewer"  # 财政部门审核人员 at a county, league/city or the region's finance bureau
IT_DIVISION = "it_division"  # 财政信息化主管处室: refines, publishes, dispatches, releases
BUSINESS_DIVISION = "business_division"  # 归口业务处室: confirms, answers business questions
DUTY_OPERATOR = "duty_operator"  # 400 热线 / 微信服务群值班
VENDOR = "vendor"
AUDITOR = "auditor"
SYSADMIN = "sysadmin"  # 系统管理员: at the region, administers everything (users, organisations)
# 盟市 / 旗县区管理员: at a league/city or county finance bureau, administers the users of its own division
# and the divisions below it (services/portal/areas.py).
ORG_ADMIN = "org_admin"
ROLES = (
    SUBMITTER, UNIT_ADMIN, REVIEWER, IT_DIVISION, BUSINESS_DIVISION, DUTY_OPERATOR, VENDOR, AUDITOR, SYSADMIN,
    ORG_ADMIN,
)  # fmt: skip


class Principal(BaseModel):
    """The signed-in user as every service sees it: who, which organisation, where in the tree, which roles."""

    user_id: str
    username: str
    name: str
    org_id: str
    org_name: str
    org_kind: str
    division_code: str
    # Division codes from the region down to the organisation's division, then the organisation's id.
    org_path: list[str]
    roles: list[str]
    vendor_id: str | None = None

    def has_role(self, *roles: str) -> bool:
        return any(role in self.roles for role in roles)

    @property
    def is_regional(self) -> bool:
        """The region's finance department (its bureau, IT and business divisions) sees the whole region."""
        return self.division_code == REGION_CODE and self.org_kind in {
            "finance_bureau",
            "it_division",
            "business_division",
        }

    def covers(self, org_path: list[str]) -> bool:
        """Whether a ticket raised by the organisation at `org_path` lies in this user's area."""
        if self.has_role(AUDITOR, SYSADMIN) or self.is_regional:
            return True
        if self.org_kind == "finance_bureau":
            return self.division_code in org_path[:-1]
        return bool(org_path) and org_path[-1] == self.org_id

    def area_filter(self, path_field: str) -> dict[str, Any]:
        """The database filter for "tickets in my area", the query form of `covers`."""
        if self.has_role(AUDITOR, SYSADMIN) or self.is_regional:
            return {}
        if self.org_kind == "finance_bureau":
            return {path_field: self.division_code}
        return {path_field: self.org_id}

    def area_scope(self) -> str | None:
        """What a ticket's organisation path must contain to be in my area (the SQL form of `area_filter`:
        `org_path @> ARRAY[$n]` on a GIN-indexed text[] column); None when my area is everything."""
        if self.has_role(AUDITOR, SYSADMIN) or self.is_regional:
            return None
        if self.org_kind == "finance_bureau":
            return self.division_code
        return self.org_id

    def actor(self) -> Actor:
        return Actor(user_id=self.user_id, name=self.name, org_id=self.org_id, roles=self.roles)


class KeySet:
    """The public verification keys (`keys_dir/jwks.json`, every service) and the private signing key (the
    portal only: `private_key_file`, by default `keys_dir/private.pem`; in compose a volume of its own)."""

    # Tokens already verified, kept until they expire: an ES256 verification costs about half a millisecond
    # of CPU, and a browser sends the same token with every request for its lifetime (minutes).
    VERIFIED_KEPT = 20_000

    def __init__(self, keys_dir: Path, private_key_file: Path | None = None) -> None:
        self._private = private_key_file or keys_dir / "private.pem"
        jwks = json.loads((keys_dir / "jwks.json").read_text())
        self._public = {key["kid"]: ECAlgorithm.from_jwk(json.dumps(key)) for key in jwks["keys"]}
        self._current_kid = jwks["keys"][0]["kid"]
        self._verified: dict[str, dict[str, Any]] = {}

    def sign(self, claims: dict[str, Any]) -> str:
        private = serialization.load_pem_private_key(self._private.read_bytes(), password=None)
        return jwt.encode(claims, private, algorithm=ALGORITHM, headers={"kid": self._current_kid})

    def verify(self, token: str) -> dict[str, Any]:
        """Raises jwt.InvalidTokenError for a tampered, expired, wrongly signed or unknown-key token.

        A token verified before is answered from memory until its `exp`: the whole token is the key, its
        signature included, so an altered copy is never found there and is verified (and refused) anew.
        What the caller checks besides (the token's type, a revoked session) it checks every time."""
        kept = self._verified.get(token)
        if kept is not None:
            if kept["exp"] > time.time():
                return dict(kept)
            del self._verified[token]
            raise jwt.ExpiredSignatureError("Signature has expired")
        kid = jwt.get_unverified_header(token).get("kid")
        key = self._public.get(kid)
        if key is None:
            raise jwt.InvalidTokenError("unknown key id")
        claims = jwt.decode(
            token, key, algorithms=[ALGORITHM], audience=AUDIENCE, issuer=ISSUER, options={"require": ["exp"]}
        )
        if len(self._verified) >= self.VERIFIED_KEPT:
            del self._verified[next(iter(self._verified))]  # the oldest
        self._verified[token] = claims
        return dict(claims)


def issue_access_token(keys: KeySet, principal: Principal, minutes: int, session_id: str | None = None) -> str:
    """`session_id` (the `sid` claim) is the sign-in session the token belongs to: ending the session
    (signing out) makes every service refuse the token at once (shared/sessions.py)."""
    now = utcnow()
    claims = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": principal.user_id,
        "iat": now,
        "exp": now + timedelta(minutes=minutes),
        "jti": new_id(),
        "typ": "access",
        "principal": principal.model_dump(),
        **({"sid": session_id} if session_id else {}),
    }
    return keys.sign(claims)


def ensure_keys(keys_dir: Path, private_key_file: Path | None = None) -> None:
    """Create a signing key pair and its JWKS if the folder has none (dev and test stacks; compose's keys
    job, which writes the private key apart, into the portal's volume alone)."""
    if (keys_dir / "jwks.json").exists():
        return
    private_file = private_key_file or keys_dir / "private.pem"
    keys_dir.mkdir(parents=True, exist_ok=True)
    private_file.parent.mkdir(parents=True, exist_ok=True)
    private = ec.generate_private_key(ec.SECP256R1())
    private_file.write_bytes(
        private.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    private_file.chmod(0o600)
    jwk = json.loads(ECAlgorithm.to_jwk(private.public_key()))
    jwk.update(kid=f"k-{new_id()[:12]}", use="sig", alg=ALGORITHM)
    (keys_dir / "jwks.json").write_text(json.dumps({"keys": [jwk]}, indent=2))


_bearer = HTTPBearer(auto_error=False)


async def current_principal(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> Principal:
    """The request's signed-in user. A coroutine though it awaits nothing: FastAPI runs a plain function
    dependency in a worker thread, a thread hop (and a GIL hand-over) on every request of every service."""
    if credentials is None:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "sign in first", headers={"WWW-Authenticate": "Bearer"})
    try:
        claims = request.app.state.keys.verify(credentials.credentials)
        if claims.get("typ") != "access":
            raise jwt.InvalidTokenError("not an access token")
        revoked = getattr(request.app.state, "revoked", None)
        if revoked is not None and claims.get("sid") in revoked:
            raise jwt.InvalidTokenError("the session has ended (signed out)")
        return Principal.model_validate(claims["principal"])
    except (jwt.InvalidTokenError, KeyError, ValueError) as error:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED, f"invalid token: {error}", headers={"WWW-Authenticate": "Bearer"}
        ) from error


CurrentUser = Annotated[Principal, Depends(current_principal)]
