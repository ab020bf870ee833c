"""The production file starts no demo seed: docker-compose.yml runs the install job (one administrator from a
secret, services/portal/install.py) and nothing runs services.portal.seed. Checked on the file as Compose
resolves it (`docker compose config`, where the Compose plugin is installed) and on the parsed YAML with its
anchors and merge keys resolved (everywhere)."""

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from infra.launcher import ROOT

COMPOSE = ROOT / "docker-compose.yml"


def env_example() -> dict[str, str]:
    lines = (ROOT / ".env.example").read_text().splitlines()
    pairs = (line.split("=", 1) for line in lines if "=" in line and not line.startswith("#"))
    return {name: value for name, value in pairs}


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


def compose_command() -> list[str] | None:
    if shutil.which("docker"):
        probe = subprocess.run(["docker", "compose", "version"], capture_output=True, check=False)
        if probe.returncode == 0:
            return ["docker", "compose"]
    return None


def test_docker_compose_config_of_the_production_file_creates_no_demo_user(tmp_path: Path) -> None:
    command = compose_command()
    if command is None:
        pytest.skip("the Docker Compose plugin is not installed (`docker compose version` fails)")
    secret = tmp_path / "admin-password"
    secret.write_text("Fd-install-2026\n")
    env = {**os.environ, **env_example(), "FD_ADMIN_SECRET_FILE": str(secret)}
    resolved = subprocess.run(
        [*command, "-f", str(COMPOSE), "config", "--format", "json"],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        check=True,
    )
    config = json.loads(resolved.stdout)
    check_no_demo_seed(config["services"])
    assert config["secrets"]["fd_admin_password"]["file"] == str(secret)
