"""The production compose file, read as Docker Compose reads it (YAML with merge keys): what each container
may hold. (`docker compose config` needs the compose plugin, absent on the build machines.)"""

from pathlib import Path

import yaml

from infra.launcher import ROOT

SERVICES = ("intake", "review", "dispatch", "notify", "portal")


def compose() -> dict:
    return yaml.safe_load(Path(ROOT / "docker-compose.yml").read_text())


def volumes_of(container: dict) -> dict[str, str]:
    """volume name → "target[:mode]" of a container's mounts."""
    return {mount.split(":", 1)[0]: mount.split(":", 1)[1] for mount in container.get("volumes", [])}


def test_only_the_portal_holds_the_token_signing_key() -> None:
    containers = compose()["services"]
    holders = sorted(name for name, container in containers.items() if "jwt-private" in volumes_of(container))
    assert holders == ["keys", "portal"], "the signing key reaches no other service"
    assert volumes_of(containers["portal"])["jwt-private"] == "/keys-private:ro"
    assert containers["portal"]["environment"]["FD_PRIVATE_KEY_FILE"] == "/keys-private/private.pem"
    for name in SERVICES:
        assert volumes_of(containers[name])["jwt-public"] == "/keys:ro", f"{name} verifies against jwks.json"


def test_only_the_portal_holds_the_audit_key_and_writes_the_anchors() -> None:
    """The audit chain is keyed with a secret the database does not hold: no other container (not postgres,
    not another service) mounts it; the anchors of the chain's head go to a volume of the portal's."""
    containers = compose()["services"]
    holders = sorted(name for name, container in containers.items() if "audit-key" in volumes_of(container))
    assert holders == ["keys", "portal"]
    portal = containers["portal"]
    assert volumes_of(portal)["audit-key"] == "/audit-key:ro"
    assert portal["environment"]["FD_AUDIT_KEY_FILE"] == "/audit-key/audit.key"
    assert volumes_of(portal)["audit-anchors"] == "/audit-anchors"
    assert portal["environment"]["FD_AUDIT_ANCHOR_DIR"] == "/audit-anchors"
    assert "ensure_audit_key(Path('/audit-key/audit.key'))" in containers["keys"]["command"][-1]
