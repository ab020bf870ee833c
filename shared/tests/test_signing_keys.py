"""The signing key apart from the public keys: what compose's keys job writes and the portal reads."""

import time
from pathlib import Path

import jwt
import pytest

from shared.auth import KeySet, Principal, ensure_keys, issue_access_token


def test_a_service_without_the_private_key_verifies_tokens_but_cannot_sign(tmp_path: Path) -> None:
    public, private = tmp_path / "keys", tmp_path / "keys-private" / "private.pem"
    ensure_keys(public, private)
    assert sorted(p.name for p in public.iterdir()) == ["jwks.json"], "no private key beside the public ones"
    assert private.stat().st_mode & 0o777 == 0o600

    principal = Principal(
        user_id="u-1", username="zhang", name="张", org_id="itd", org_name="财政厅信息化处", org_kind="it_division",
        division_code="150000", org_path=["150000", "itd"], roles=["auditor"],
    )  # fmt: skip
    token = issue_access_token(KeySet(public, private), principal, minutes=5)
    service = KeySet(public)  # intake, review, dispatch, notify: jwks.json only
    assert service.verify(token)["sub"] == "u-1"
    with pytest.raises(FileNotFoundError):
        service.sign({"sub": "forged"})


def test_a_token_verified_once_is_known_until_it_expires_and_an_altered_copy_never_is(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    public, private = tmp_path / "keys", tmp_path / "keys-private" / "private.pem"
    ensure_keys(public, private)
    principal = Principal(
        user_id="u-2", username="li", name="李", org_id="bu-150102-01", org_name="新城区教育局",
        org_kind="budget_unit", division_code="150102", org_path=["150000", "150100", "150102", "bu-150102-01"],
        roles=["submitter"],
    )  # fmt: skip
    token = issue_access_token(KeySet(public, private), principal, minutes=5)
    service = KeySet(public)
    first = service.verify(token)
    first["principal"] = "changed by a caller"
    assert service.verify(token)["principal"]["user_id"] == "u-2", "a caller's change is not kept"

    header, payload, signature = token.split(".")
    forged_payload = payload[:-2] + ("A" if payload[-2] != "A" else "B") + payload[-1]
    for altered in (f"{header}.{forged_payload}.{signature}", f"{header}.{payload}.{signature[:-2]}AA"):
        with pytest.raises(jwt.InvalidTokenError):
            service.verify(altered)

    later = time.time() + 6 * 60
    monkeypatch.setattr(time, "time", lambda: later)
    with pytest.raises(jwt.ExpiredSignatureError):  # the answer PyJWT gives for an expired token
        service.verify(token)
