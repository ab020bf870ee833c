"""The production file as Docker Compose reads it (YAML, its anchors and merge keys resolved): it starts no
demo seed — the install job creates one administrator from a secret (services/portal/install.py) — and only
the portal holds the token signing key. (`docker compose config` needs the Compose plugin, which the build
machines lack; docs/operations-docker.md shows the same check with it.)"""

import json

import yaml

from infra.launcher import ROOT
from services.dispatch.vendors import VendorSelection
from shared.orgtree import VENDORS
from shared.review_deployments import parse_deployments

COMPOSE = ROOT / "docker-compose.yml"


def check_no_demo_seed(services: dict) -> None:
    commands = {name: " ".join(service.get("command") or []) for name, service in services.items()}
    assert not [name for name, command in commands.items() if "services.portal.seed" in command], commands
    install = services["install"]
    assert " ".join(install["command"]).endswith("-m services.portal.install")
    assert install["environment"]["FD_ADMIN_PASSWORD_FILE"] == "/run/secrets/fd_admin_password"
    assert [s if isinstance(s, str) else s["source"] for s in install["secrets"]] == ["fd_admin_password"]
    assert "install" in services["portal"]["depends_on"] and "seed" not in services


def test_the_production_file_runs_the_install_job_and_no_demo_seed() -> None:
    config = yaml.safe_load(COMPOSE.read_text())
    check_no_demo_seed(config["services"])
    assert config["secrets"]["fd_admin_password"]["file"].startswith("${FD_ADMIN_SECRET_FILE:?")


SERVICES = ("intake", "review-county", "review-city", "review-region", "dispatch", "notify", "portal")


def volumes_of(container: dict) -> dict[str, str]:
    """volume name → "target[:mode]" of a container's mounts."""
    return {mount.split(":", 1)[0]: mount.split(":", 1)[1] for mount in container.get("volumes", [])}


def test_only_the_portal_holds_the_token_signing_key() -> None:
    containers = yaml.safe_load(COMPOSE.read_text())["services"]
    holders = sorted(name for name, container in containers.items() if "jwt-private" in volumes_of(container))
    assert holders == ["keys", "portal"], "the signing key reaches no other service"
    assert volumes_of(containers["portal"])["jwt-private"] == "/keys-private:ro"
    assert containers["portal"]["environment"]["FD_PRIVATE_KEY_FILE"] == "/keys-private/private.pem"
    for name in SERVICES:
        assert volumes_of(containers[name])["jwt-public"] == "/keys:ro", f"{name} verifies against jwks.json"


def test_only_the_portal_holds_the_audit_key_and_writes_the_anchors() -> None:
    """The audit chain is keyed with a secret the database does not hold: no other container (not postgres,
    not another service) mounts it; the anchors of the chain's head go to a volume of the portal's."""
    containers = yaml.safe_load(COMPOSE.read_text())["services"]
    holders = sorted(name for name, container in containers.items() if "audit-key" in volumes_of(container))
    assert holders == ["keys", "portal"]
    portal = containers["portal"]
    assert volumes_of(portal)["audit-key"] == "/audit-key:ro"
    assert portal["environment"]["FD_AUDIT_KEY_FILE"] == "/audit-key/audit.key"
    assert volumes_of(portal)["audit-anchors"] == "/audit-anchors"
    assert portal["environment"]["FD_AUDIT_ANCHOR_DIR"] == "/audit-anchors"
    assert "ensure_audit_key(Path('/audit-key/audit.key'))" in containers["keys"]["command"][-1]


def test_every_vendor_is_served_by_exactly_one_dispatch_deployment_and_vendor_a_by_two_replicas() -> None:
    """A vendor's progress is read by one deployment (a second would share its partitions, not steal them, but
    the file means one), those added at run time by the deployment that answers the API."""
    containers = yaml.safe_load(COMPOSE.read_text())["services"]
    deployments = {
        name: VendorSelection.parse(
            c["environment"]["FD_DISPATCH_VENDORS"], c["environment"]["FD_DISPATCH_VENDORS_EXCEPT"]
        )
        for name, c in containers.items()
        if c.get("build", {}).get("args", {}).get("SERVICE") == "dispatch"
    }
    assert set(deployments) == {"dispatch", "dispatch-vendor-a", "dispatch-vendor-b"}
    for vendor_id in [*(v for v, _ in VENDORS), "vendor-added-later"]:
        serving = [name for name, served in deployments.items() if served.serves(vendor_id)]
        assert len(serving) == 1, f"{vendor_id} is served by {serving}"
    assert deployments["dispatch"].serves("vendor-added-later")
    assert containers["dispatch-vendor-a"]["deploy"]["replicas"] == 2
    assert "ports" not in containers["dispatch-vendor-a"], "replicas cannot share a host port"
    for name in deployments:
        assert containers[name]["environment"]["FD_KAFKA_USERNAME"] == "dispatch"
        assert volumes_of(containers[name])["jwt-public"] == "/keys:ro"


def test_the_broker_creates_no_topic() -> None:
    kafka = yaml.safe_load(COMPOSE.read_text())["services"]["kafka"]
    assert kafka["environment"]["KAFKA_AUTO_CREATE_TOPICS_ENABLE"] == "false"
    dev = (ROOT / "infra" / "kafka" / "server.properties.in").read_text().splitlines()
    assert "auto.create.topics.enable=false" in dev, "the dev and test broker neither"


def test_review_runs_a_deployment_per_finance_level_with_replicas_and_the_gateway_routes_to_each() -> None:
    """Decision 0016: review-county (2 replicas), review-city and review-region, one image and one database;
    the portal's gateway sends the whole chain to the region's and each reviewer to their level's."""
    containers = yaml.safe_load(COMPOSE.read_text())["services"]
    levels = {name: c["environment"]["FD_REVIEW_LEVEL"] for name, c in containers.items() if name.startswith("review")}
    assert levels == {"review-county": "county", "review-city": "city", "review-region": "region"}
    assert containers["review-county"]["deploy"]["replicas"] == 2
    assert "ports" not in containers["review-county"], "replicas cannot share a host port"
    databases = {containers[name]["environment"]["FD_DATABASE_URL"].rsplit("/", 1)[1] for name in levels}
    assert databases == {"review"}
    portal = containers["portal"]["environment"]
    assert json.loads(portal["FD_SERVICE_URLS"])["review"] == "http://review-region:8000"
    routes = parse_deployments(portal["FD_REVIEW_DEPLOYMENTS"])
    assert [(level, bases) for level, _, bases in routes] == [
        (level, [f"http://review-{level}:8000"]) for level in ("county", "city", "region")
    ]
