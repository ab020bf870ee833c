"""Start the whole system as separate processes, as in production: infrastructure, every service, demo data.

    python -m infra.launcher run      # what `make run` does; Ctrl-C stops everything, data is kept
    FD_INSTANCES=2 FD_REVIEW_SPLIT=county:2,city:1,region:1 python -m infra.launcher run
                                      # every service twice, review deployed by finance level (decision 0016)
    python -m infra.launcher infra    # only the infrastructure: Kafka and PostgreSQL (with a role and a
                                      # database per service)

Tests and the benchmark use `Stack` and `ServiceProcess` from here to run the same processes on their own
ports and a throw-away data folder.
"""

import argparse
import asyncio
import json
import os
import random
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

import asyncpg
import httpx

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
SERVICES = ("portal", "intake", "review", "dispatch", "notify")


@dataclass
class Ports:
    kafka: int = 9092
    kafka_controller: int = 9093
    postgres: int = 15432
    # portal, intake, review, dispatch, notify in that order; a second instance of each on the next five
    http_base: int = 8100

    def http(self, service: str, instance: int = 0) -> int:
        return self.http_base + SERVICES.index(service) + len(SERVICES) * instance

    def deployment(self, number: int) -> int:
        """The HTTP port of the `number`-th process of a level review deployment (after every instance's)."""
        return self.http_base + len(SERVICES) * MAX_INSTANCES + number

    @classmethod
    def free(cls) -> "Ports":
        """Ports nobody listens on, all different, so tests and the benchmark can run beside a dev stack."""
        while True:
            http_base = free_port_block(len(SERVICES) * MAX_INSTANCES + MAX_DEPLOYMENT_PROCESSES)
            ports = cls(
                kafka=free_port(),
                kafka_controller=free_port(),
                postgres=free_port(),
                http_base=http_base,
            )
            http = range(ports.http_base, ports.http_base + len(SERVICES) * MAX_INSTANCES + MAX_DEPLOYMENT_PROCESSES)
            taken = [ports.kafka, ports.kafka_controller, ports.postgres, *http]
            if len(set(taken)) == len(taken):
                return ports


MAX_INSTANCES = 4  # instances per service the launcher can start (tests run every service twice)
MAX_DEPLOYMENT_PROCESSES = 16  # processes of level review deployments (FD_REVIEW_SPLIT), all together


def parse_review_split(text: str) -> list[tuple[str, int]]:
    """FD_REVIEW_SPLIT: `county:2,county/1502:1,city:1,region:1`, the level review deployments (decision
    0016) and how many instances each runs. Empty: one review serves every level. The region's deployment
    is required: it serves the whole chain (the IT division, publications, the problem procedure)."""
    sys.path.insert(0, str(ROOT))
    from shared.review_deployments import ReviewDeployment

    split: list[tuple[str, int]] = []
    for entry in filter(None, (part.strip() for part in text.split(","))):
        scope, _, count = entry.partition(":")
        level, _, area = scope.partition("/")
        ReviewDeployment.of(level, area)  # raises ValueError naming the rule
        if not count.strip().isdigit() or not 1 <= int(count) <= MAX_INSTANCES:
            raise ValueError(f"FD_REVIEW_SPLIT entry {entry!r}: level[/area]:instances, 1 to {MAX_INSTANCES}")
        split.append((scope.strip(), int(count)))
    if split and not any(scope == "region" for scope, _ in split):
        raise ValueError("FD_REVIEW_SPLIT needs region:N: the region's deployment serves the whole chain")
    if sum(count for _, count in split) > MAX_DEPLOYMENT_PROCESSES:
        raise ValueError(f"FD_REVIEW_SPLIT: at most {MAX_DEPLOYMENT_PROCESSES} processes in all")
    return split


# Listening ports are drawn below the kernel's ephemeral range (Linux: 32768–60999): a port taken from that
# range can be grabbed, between the draw and the server's bind, as the local port of any outgoing
# connection (a Kafka client's, say), and the server then fails with "address already in use".
LISTEN_PORTS = range(20000, 32000)


def free_port() -> int:
    for _ in range(200):
        port = random.choice(LISTEN_PORTS)
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port below the ephemeral range")


def free_port_block(size: int) -> int:
    """The first of `size` consecutive free ports (the services' HTTP ports)."""
    for _ in range(50):
        base = free_port()
        try:
            for offset in range(size):
                with socket.socket() as sock:
                    sock.bind(("127.0.0.1", base + offset))
            return base
        except OSError:
            continue
    raise RuntimeError("no block of free ports")


def with_database(url: str, database: str, user: str | None = None, password: str | None = None) -> str:
    """`url` (postgresql://...) pointed at another database, optionally with other credentials."""
    parts = urlsplit(url)
    netloc = parts.netloc.rpartition("@")[2]
    if user is not None:
        netloc = f"{quote(user)}:{quote(password or '')}@{netloc}"
    elif "@" in parts.netloc:
        netloc = parts.netloc
    return urlunsplit(parts._replace(netloc=netloc, path=f"/{database}"))


async def provision_databases(admin_url: str, roles: dict[str, tuple[str, str]]) -> None:
    """One role and one database per service (decision 0011): the role owns its database and is the only
    one besides the superuser allowed to connect to it, so a service cannot read another's data. pg_trgm
    is created by the superuser, so migrations need no extension rights. Idempotent: a second run only
    resets the passwords to the kept ones."""
    admin = await asyncpg.connect(admin_url)
    try:
        for role, (database, password) in roles.items():
            exists = await admin.fetchval("SELECT 1 FROM pg_roles WHERE rolname = $1", role)
            verb = "ALTER" if exists else "CREATE"
            # Utility statements take no parameters; the password is ours (token_urlsafe), quoted as a literal.
            literal = password.replace("'", "''")
            await admin.execute(f"{verb} ROLE \"{role}\" LOGIN PASSWORD '{literal}'")
            if not await admin.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", database):
                await admin.execute(
                    f'CREATE DATABASE "{database}" OWNER "{role}" TEMPLATE template0 ENCODING \'UTF8\' '
                    "LC_COLLATE 'C.UTF-8' LC_CTYPE 'C.UTF-8'"
                )
            await admin.execute(f'REVOKE ALL ON DATABASE "{database}" FROM PUBLIC')
            await admin.execute(f'GRANT ALL ON DATABASE "{database}" TO "{role}"')
            db = await asyncpg.connect(with_database(admin_url, database))
            try:
                await db.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
            finally:
                await db.close()
    finally:
        await admin.close()


@dataclass
class Stack:
    """Kafka and PostgreSQL (infra/stack.sh) with the environment every service gets."""

    state_dir: Path
    ports: Ports = field(default_factory=Ports)
    db_prefix: str = "fiscaldesk"
    topic_prefix: str = "fiscaldesk"
    # The business clock's start (shared/clock.py), e.g. inside a submission window for tests.
    clock_start: str | None = None
    # Settings every service gets on top of the defaults (e.g. shorter periodic checks in the tests).
    settings: dict[str, str] = field(default_factory=dict)
    # A test or benchmark stack: its PostgreSQL cluster runs without fsync (its data is thrown away).
    throwaway: bool = False
    # Instances of every service (at most MAX_INSTANCES): `start_services` starts that many of each.
    instances: int = 1
    # Review deployed by finance level (FD_REVIEW_SPLIT, `parse_review_split`): `start_services` starts these
    # review processes instead of `instances` all-level ones, and the portal's gateway routes to them.
    review_split: list[tuple[str, int]] = field(default_factory=list)

    def review_deployments(self) -> list["ServiceProcess"]:
        """The processes of the level review deployments, `review-county`, `review-county-2`, ..."""
        processes, number = [], 0
        for scope, count in self.review_split:
            level, _, area = scope.partition("/")
            for instance in range(count):
                label = f"review-{scope.replace('/', '-')}" + (f"-{instance + 1}" if instance else "")
                env = {"FD_REVIEW_LEVEL": level, "FD_REVIEW_AREA": area}
                port = self.ports.deployment(number)
                processes.append(
                    ServiceProcess("review", self, instance, env=env, port_override=port, label_override=label)
                )
                number += 1
        return processes

    def _review_routing(self) -> dict[str, str]:
        """With a split: the gateway's review is the region's deployment, and every deployment by its scope."""
        if not self.review_split:
            return {}
        by_scope: dict[str, list[str]] = {}
        for process in self.review_deployments():
            level, area = process.env["FD_REVIEW_LEVEL"], process.env["FD_REVIEW_AREA"]
            by_scope.setdefault(f"{level}/{area}" if area else level, []).append(process.url)
        return {
            "review": ",".join(by_scope["region"]),
            "deployments": ";".join(f"{scope}={','.join(urls)}" for scope, urls in by_scope.items()),
        }

    @property
    def kafka_bootstrap(self) -> str:
        return os.environ.get("KAFKA_BOOTSTRAP_SERVERS") or f"127.0.0.1:{self.ports.kafka}"

    @property
    def admin_database_url(self) -> str:
        """The PostgreSQL superuser's URL: DATABASE_URL when a running server was given, else the cluster
        infra/stack.sh made in <state>/postgres. Only the launcher and tests use it; services get their own."""
        if given := os.environ.get("DATABASE_URL"):
            return given
        password = (self.state_dir / "postgres" / "superuser.password").read_text().strip()
        return f"postgresql://postgres:{quote(password)}@127.0.0.1:{self.ports.postgres}/postgres"

    def database_role(self, service: str) -> str:
        return f"{self.db_prefix}_{service}"

    def database_url(self, service: str) -> str:
        """The service's own role and database (what it gets as FD_DATABASE_URL)."""
        role = self.database_role(service)
        return with_database(self.admin_database_url, role, user=role, password=self._role_passwords()[service])

    def _role_passwords(self) -> dict[str, str]:
        """One password per service role, drawn once and kept in the state folder (0600)."""
        path = self.state_dir / f"database-roles-{self.db_prefix}.json"
        kept = json.loads(path.read_text()) if path.exists() else {}
        if missing := [name for name in SERVICES if name not in kept]:
            import secrets

            kept |= {name: secrets.token_urlsafe(18) for name in missing}
            path.parent.mkdir(parents=True, exist_ok=True)
            path.touch(mode=0o600)
            path.write_text(json.dumps(kept, indent=2))
        return kept

    def provision_databases(self) -> None:
        passwords = self._role_passwords()
        roles = {self.database_role(name): (self.database_role(name), passwords[name]) for name in SERVICES}
        asyncio.run(provision_databases(self.admin_database_url, roles))

    @property
    def external(self) -> bool:
        """Servers already running were given (KAFKA_BOOTSTRAP_SERVERS and DATABASE_URL): start none."""
        return all(os.environ.get(name) for name in ("KAFKA_BOOTSTRAP_SERVERS", "DATABASE_URL"))

    def _script_env(self) -> dict[str, str]:
        return {
            **os.environ,
            "FD_STATE_DIR": str(self.state_dir),
            "FD_KAFKA_PORT": str(self.ports.kafka),
            "FD_KAFKA_CONTROLLER_PORT": str(self.ports.kafka_controller),
            "FD_POSTGRES_PORT": str(self.ports.postgres),
            "FD_PYTHON": PYTHON,
            **({"FD_POSTGRES_FAST": "1"} if self.throwaway else {}),
        }

    def start_infra(self) -> None:
        if not self.external:
            subprocess.run([str(ROOT / "infra" / "stack.sh"), "start"], env=self._script_env(), check=True)
        self.provision_databases()

    def stop_infra(self) -> None:
        if not self.external:
            subprocess.run([str(ROOT / "infra" / "stack.sh"), "stop"], env=self._script_env(), check=False)

    def kill_kafka(self) -> None:
        """SIGKILL the broker (for failure tests); `start_infra` brings it back with its data."""
        pid_file = self.state_dir / "kafka.pid"
        os.kill(int(pid_file.read_text()), signal.SIGKILL)
        pid_file.unlink()

    def service_env(self, service: str) -> dict[str, str]:
        service_urls = {
            name: ",".join(f"http://127.0.0.1:{self.ports.http(name, i)}" for i in range(self.instances))
            for name in SERVICES
        }
        routing = self._review_routing()
        if routing:
            service_urls["review"] = routing["review"]
        return {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "KAFKA_BOOTSTRAP_SERVERS": self.kafka_bootstrap,
            "FD_DATABASE_URL": self.database_url(service),
            "FD_TOPIC_PREFIX": self.topic_prefix,
            "FD_KEYS_DIR": str(self.state_dir / "keys"),
            "FD_RELAY_INTERVAL_SECONDS": "0.5",
            # The portal serves the web UI and forwards its /gw/<service>/... calls to the other services.
            # With several instances the gateway spreads the calls over them (and skips one that is down).
            "FD_SERVICE_URLS": json.dumps(service_urls),
            **({"FD_REVIEW_DEPLOYMENTS": routing["deployments"]} if routing and service == "portal" else {}),
            **({"FD_CLOCK_START": self.clock_start} if self.clock_start else {}),
            **(self.audit_env() if service == "portal" else {}),
            **self.settings,
        }

    def audit_env(self) -> dict[str, str]:
        """The audit key and the anchors: the portal's alone, and never inside its database."""
        return {
            "FD_AUDIT_KEY_FILE": str(self.audit_key_file),
            "FD_AUDIT_ANCHOR_DIR": str(self.state_dir / "audit-anchors"),
        }

    @property
    def audit_key_file(self) -> Path:
        return self.state_dir / "audit-key" / "audit.key"

    def ensure_keys(self) -> None:
        sys.path.insert(0, str(ROOT))
        from shared.audit import ensure_audit_key
        from shared.auth import ensure_keys

        ensure_keys(self.state_dir / "keys")
        ensure_audit_key(self.audit_key_file)

    def seed(self) -> None:
        """The demo organisations and users (asked for: a production start runs services/portal/install.py)."""
        subprocess.run(
            [PYTHON, "-m", "services.portal.seed", "--demo"],
            env={**self.service_env("portal"), "FD_SERVICE_NAME": "portal"},
            cwd=ROOT,
            check=True,
        )


@dataclass
class ServiceProcess:
    """One instance of a service as its own uvicorn process; its output goes to <state>/logs/<service>.log
    (the second instance's to <service>-2.log)."""

    name: str
    stack: Stack
    instance: int = 0
    process: subprocess.Popen | None = None
    # Settings of this process on top of the stack's (e.g. FD_REVIEW_LEVEL of a level review deployment).
    env: dict[str, str] = field(default_factory=dict)
    port_override: int | None = None
    label_override: str | None = None

    @property
    def port(self) -> int:
        return self.port_override or self.stack.ports.http(self.name, self.instance)

    @property
    def label(self) -> str:
        if self.label_override:
            return self.label_override
        return self.name if self.instance == 0 else f"{self.name}-{self.instance + 1}"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        log_dir = self.stack.state_dir / "logs"
        log_dir.mkdir(parents=True, exist_ok=True)
        log = (log_dir / f"{self.label}.log").open("ab")
        self.process = subprocess.Popen(
            [
                PYTHON,
                "-m",
                "uvicorn",
                "--factory",
                f"services.{self.name}.bootstrap:create_service",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--no-access-log",
                "--timeout-graceful-shutdown",
                "10",
            ],
            env={**self.stack.service_env(self.name), **self.env},
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
        )

    def wait_ready(self, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process and self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.process.returncode}; see its log")
            try:
                if httpx.get(f"{self.url}/readyz", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise TimeoutError(f"{self.name} not ready after {timeout} s")

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 20) -> None:
        if not self.process or self.process.poll() is not None:
            return
        self.process.send_signal(sig)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def kill(self) -> None:
        """SIGKILL: no shutdown hooks run, as when a machine dies."""
        self.stop(signal.SIGKILL)


def start_services(stack: Stack, names: tuple[str, ...] = SERVICES) -> dict[str, ServiceProcess]:
    """Start `stack.instances` instances of every service and wait until each is ready; if one never is,
    stop them all (none is left running without its caller knowing) and raise. The first instance of a
    service is under its name ("review"), the second under "review-2"."""
    split = bool(stack.review_split) and "review" in names
    processes = {
        process.label: process
        for instance in range(stack.instances)
        for process in (ServiceProcess(name, stack, instance) for name in names if not (split and name == "review"))
    }
    if split:
        processes |= {process.label: process for process in stack.review_deployments()}
    try:
        for process in processes.values():
            process.start()
        for process in processes.values():
            process.wait_ready()
    except BaseException:
        for process in processes.values():
            process.stop()
        raise
    return processes


def open_demo_window(processes: dict[str, ServiceProcess]) -> None:
    """Demo data: outside the first 3 working days of a month nobody could try a submission, so the
    region opens an extra 30-day window through the API, as an administrator would (第五条)."""
    from services.portal.seed import DEMO_PASSWORD

    portal, intake = processes["portal"].url, processes["intake"].url
    login = {"username": "itdiv", "password": DEMO_PASSWORD}
    token = httpx.post(f"{portal}/api/auth/login", json=login, timeout=10).json()["access_token"]
    headers = {"authorization": f"Bearer {token}"}
    if httpx.get(f"{intake}/api/submission-window", headers=headers, timeout=10).json()["open"]:
        return
    now = datetime.now(UTC)
    window = {
        "opens_at": now.isoformat(),
        "closes_at": (now + timedelta(days=30)).isoformat(),
        "reason": "演示环境：自治区财政厅开放临时征集窗口 (demo: an extra submission window)",
    }
    httpx.post(f"{intake}/api/submission-windows", json=window, headers=headers, timeout=10).raise_for_status()
    print("opened an extra 30-day submission window for the demo")


def seed_demo(processes: dict[str, ServiceProcess]) -> None:
    """Demo tickets on a first run (infra/demo.py); a failure is reported and the system keeps running."""
    from infra.demo import seed_demo_tickets

    try:
        urls = {name: process.url for name, process in processes.items()}
        # Review deployed by level: the demo reaches it as the web UI does, through the portal's gateway.
        urls.setdefault("review", f"{processes['portal'].url}/gw/review")
        if seed_demo_tickets(urls):
            print("demo tickets: requirements and problems at every stage of the procedure")
    except (httpx.HTTPError, RuntimeError) as error:
        print(f"demo tickets were not all created ({error}); the system runs without them", flush=True)


def run(stack: Stack) -> None:
    stack.start_infra()
    stack.ensure_keys()
    processes: dict[str, ServiceProcess] = {}
    stopping = False

    def stop(*_: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    try:
        stack.seed()
        processes = start_services(stack)
        open_demo_window(processes)
        seed_demo(processes)
        print("\nfiscaldesk is running (Ctrl-C stops everything; data stays in", stack.state_dir, ")")
        print(f"  web UI    {processes['portal'].url}/   (sign in as submitter, county, itdiv, vendor1 ...)")
        for name, process in processes.items():
            print(f"  {name:<9} {process.url}/docs")
        print(
            "  sign in:  curl -s -X POST",
            f"{processes['portal'].url}/api/auth/login",
            '-H \'content-type: application/json\' -d \'{"username":"submitter","password":"Fiscal@2026"}\'',
        )
        print(f"  logs:     {stack.state_dir / 'logs'}\n")
        while not stopping:
            for name, process in processes.items():
                if process.process and process.process.poll() is not None:
                    print(f"{name} exited ({process.process.returncode}); restarting", flush=True)
                    process.start()
            time.sleep(0.5)
    finally:
        print("stopping services ...", flush=True)
        for process in processes.values():
            process.stop()
        stack.stop_infra()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=["run", "infra"])
    parser.add_argument("--state-dir", type=Path, default=ROOT / ".data" / "dev")
    parser.add_argument(
        "--instances",
        type=int,
        choices=range(1, MAX_INSTANCES + 1),
        default=int(os.environ.get("FD_INSTANCES", "1")),
        help="instances of every service (FD_INSTANCES)",
    )
    parser.add_argument(
        "--review-split",
        default=os.environ.get("FD_REVIEW_SPLIT", ""),
        help="review deployed by finance level, e.g. county:2,city:1,region:1 (FD_REVIEW_SPLIT)",
    )
    args = parser.parse_args()
    try:
        split = parse_review_split(args.review_split)
    except ValueError as error:
        parser.error(str(error))
    stack = Stack(state_dir=args.state_dir.resolve(), instances=args.instances, review_split=split)
    if args.command == "infra":
        stack.start_infra()
    else:
        run(stack)


if __name__ == "__main__":
    main()
