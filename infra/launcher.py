"""Start the whole system as separate processes, as in production: infrastructure, every service, demo data.

    python -m infra.launcher run      # what `make run` does; Ctrl-C stops everything, data is kept
    python -m infra.launcher infra    # only Kafka and FerretDB (used by the test suite and bench)

Tests and the benchmark use `Stack` and `ServiceProcess` from here to run the same processes on their own
ports and a throw-away data folder.
"""

import argparse
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

import httpx

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
SERVICES = ("portal", "intake", "review", "dispatch", "notify")


@dataclass
class Ports:
    kafka: int = 9092
    kafka_controller: int = 9093
    mongo: int = 27017
    http_base: int = 8100  # portal, intake, review, dispatch, notify in that order

    def http(self, service: str) -> int:
        return self.http_base + SERVICES.index(service)

    @classmethod
    def free(cls) -> "Ports":
        """Ports nobody listens on, all different, so tests and the benchmark can run beside a dev stack."""
        while True:
            http_base = free_port_block(5)
            ports = cls(kafka=free_port(), kafka_controller=free_port(), mongo=free_port(), http_base=http_base)
            taken = [ports.kafka, ports.kafka_controller, ports.mongo, *range(ports.http_base, ports.http_base + 5)]
            if len(set(taken)) == len(taken):
                return ports


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


@dataclass
class Stack:
    """Kafka and FerretDB (infra/stack.sh) with the environment every service gets."""

    state_dir: Path
    ports: Ports = field(default_factory=Ports)
    db_prefix: str = "fiscaldesk"
    topic_prefix: str = "fiscaldesk"
    # The business clock's start (shared/clock.py), e.g. inside a submission window for tests.
    clock_start: str | None = None
    # Settings every service gets on top of the defaults (e.g. shorter periodic checks in the tests).
    settings: dict[str, str] = field(default_factory=dict)

    @property
    def kafka_bootstrap(self) -> str:
        return os.environ.get("KAFKA_BOOTSTRAP_SERVERS") or f"127.0.0.1:{self.ports.kafka}"

    @property
    def mongodb_url(self) -> str:
        return os.environ.get("MONGODB_URL") or f"mongodb://127.0.0.1:{self.ports.mongo}/"

    @property
    def external(self) -> bool:
        """Servers already running were given (KAFKA_BOOTSTRAP_SERVERS and MONGODB_URL): start none."""
        return bool(os.environ.get("KAFKA_BOOTSTRAP_SERVERS") and os.environ.get("MONGODB_URL"))

    def _script_env(self) -> dict[str, str]:
        return {
            **os.environ,
            "FD_STATE_DIR": str(self.state_dir),
            "FD_KAFKA_PORT": str(self.ports.kafka),
            "FD_KAFKA_CONTROLLER_PORT": str(self.ports.kafka_controller),
            "FD_MONGO_PORT": str(self.ports.mongo),
            "FD_PYTHON": PYTHON,
        }

    def start_infra(self) -> None:
        if not self.external:
            subprocess.run([str(ROOT / "infra" / "stack.sh"), "start"], env=self._script_env(), check=True)

    def stop_infra(self) -> None:
        if not self.external:
            subprocess.run([str(ROOT / "infra" / "stack.sh"), "stop"], env=self._script_env(), check=False)

    def kill_kafka(self) -> None:
        """SIGKILL the broker (for failure tests); `start_infra` brings it back with its data."""
        pid_file = self.state_dir / "kafka.pid"
        os.kill(int(pid_file.read_text()), signal.SIGKILL)
        pid_file.unlink()

    def service_env(self, service: str) -> dict[str, str]:
        return {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "KAFKA_BOOTSTRAP_SERVERS": self.kafka_bootstrap,
            "MONGODB_URL": self.mongodb_url,
            "FD_DB_PREFIX": self.db_prefix,
            "FD_TOPIC_PREFIX": self.topic_prefix,
            "FD_KEYS_DIR": str(self.state_dir / "keys"),
            "FD_RELAY_INTERVAL_SECONDS": "0.5",
            # The portal serves the web UI and forwards its /gw/<service>/... calls to the other services.
            "FD_SERVICE_URLS": json.dumps({name: f"http://127.0.0.1:{self.ports.http(name)}" for name in SERVICES}),
            **({"FD_CLOCK_START": self.clock_start} if self.clock_start else {}),
            **self.settings,
        }

    def ensure_keys(self) -> None:
        sys.path.insert(0, str(ROOT))
        from shared.auth import ensure_keys

        ensure_keys(self.state_dir / "keys")

    def seed(self) -> None:
        subprocess.run(
            [PYTHON, "-m", "services.portal.seed"],
            env={**self.service_env("portal"), "FD_SERVICE_NAME": "portal"},
            cwd=ROOT,
            check=True,
        )


@dataclass
class ServiceProcess:
    """One service as its own uvicorn process; its output goes to <state>/logs/<service>.log."""

    name: str
    stack: Stack
    process: subprocess.Popen | None = None

    @property
    def port(self) -> int:
        return self.stack.ports.http(self.name)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        log_dir = self.stack.state_dir / "logs"
        log_dir.mkdir(parents=True, exist_ok=True)
        log = (log_dir / f"{self.name}.log").open("ab")
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
            env=self.stack.service_env(self.name),
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
    """Start every service and wait until each is ready; if one never is, stop them all (none is left
    running without its caller knowing) and raise."""
    processes = {name: ServiceProcess(name, stack) for name in names}
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
        if seed_demo_tickets({name: process.url for name, process in processes.items()}):
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
    args = parser.parse_args()
    stack = Stack(state_dir=args.state_dir.resolve())
    if args.command == "infra":
        stack.start_infra()
    else:
        run(stack)


if __name__ == "__main__":
    main()
