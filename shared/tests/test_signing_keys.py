"""The signing key apart from the public keys: what compose's keys job writes and the portal reads."""

from pathlib import Path

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
