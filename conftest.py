"""Session fixtures for every test directory, so one test run starts one stack.

The real infrastructure: Kafka and PostgreSQL started by infra/stack.sh on free ports with a throw-away
data folder (or servers given by KAFKA_BOOTSTRAP_SERVERS and DATABASE_URL, or taken from testcontainers
where a Docker engine answers), and every service as its own process."""

import os
from collections.abc import Iterator
from pathlib import Path
from uuid import uuid4

import pytest

from infra.launcher import SERVICES, Ports, ServiceProcess, Stack, start_services
from tests.support import Api, SpreadApi

WINDOW_OPEN = "2026-12-01T10:00:00+08:00"


def docker_engine_answers() -> bool:
    try:
        import docker

        return bool(docker.from_env(timeout=2).ping())
    except Exception:  # noqa: BLE001 - no engine, no client config: use the local processes
        return False


@pytest.fixture(scope="session")
def containers() -> Iterator[None]:
    """Where a Docker engine answers and no servers were given, take Kafka and PostgreSQL from testcontainers
    (DATABASE_URL is the superuser's: the stack provisions a role and a database per service)."""
    if os.environ.get("KAFKA_BOOTSTRAP_SERVERS") or not docker_engine_answers():
        yield
        return
    from testcontainers.community.kafka import KafkaContainer
    from testcontainers.community.postgres import PostgresContainer

    with (
        KafkaContainer().with_kraft() as kafka,
        PostgresContainer("postgres:17", driver=None) as postgres,
    ):
        os.environ["KAFKA_BOOTSTRAP_SERVERS"] = kafka.get_bootstrap_server()
        os.environ["DATABASE_URL"] = postgres.get_connection_url()
        yield


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory, containers: None) -> Iterator[Stack]:
    state_dir = Path(os.environ.get("FD_TEST_STATE_DIR") or tmp_path_factory.mktemp("stack"))
    run_id = uuid4().hex[:8]
    stack = Stack(
        state_dir=state_dir,
        ports=Ports.free(),
        db_prefix=f"test{run_id}",
        topic_prefix=f"test{run_id}",
        # The services' business clock starts on Tuesday 1 December 2026, 10:00 in Beijing: the first day
        # of that month's submission window (第五条), whatever day the tests run.
        clock_start=WINDOW_OPEN,
        # A missed review deadline is looked for every 2 s instead of every 10 min, so a test sees its reminder.
        # The failover tests submit bursts as the one demo unit of 新城区: the per-user limit (30 a minute,
        # counted by shared/tests/test_ratelimit.py) is raised so a burst is not refused.
        # The portal anchors its audit chain every 3 s instead of every 15 min, so a test sees the anchors.
        settings={
            "FD_REVIEW_OVERDUE_CHECK_SECONDS": "2",
            "FD_SUBMISSIONS_PER_MINUTE": "1000",
            "FD_AUDIT_ANCHOR_MINUTES": "0.05",
            # Consumers subscribed by pattern find a vendor's topics created meanwhile within 2 s, not 30.
            "FD_TOPIC_DISCOVERY_SECONDS": "2",
        },
        throwaway=True,
    )
    stack.start_infra()
    stack.ensure_keys()
    stack.seed()
    yield stack
    stack.stop_infra()


@pytest.fixture(scope="session")
def services(stack: Stack) -> Iterator[dict[str, ServiceProcess]]:
    processes = start_services(stack, SERVICES)
    yield processes
    for process in processes.values():
        process.stop()


@pytest.fixture(scope="session")
def api(services: dict[str, ServiceProcess]) -> Api:
    return Api(services)


@pytest.fixture(scope="module")
def twins(stack: Stack, services: dict[str, ServiceProcess]) -> Iterator[dict[str, ServiceProcess]]:
    """A second instance of every service beside the first (the first under "review", the second under
    "review-2"), for the tests of one module: other modules expect one instance (notify's tests point
    theirs at fake platforms)."""
    second = {f"{name}-2": ServiceProcess(name, stack, instance=1) for name in SERVICES}
    try:
        for process in second.values():
            process.start()
        for process in second.values():
            process.wait_ready()
        yield {**services, **second}
    finally:
        for process in second.values():
            process.stop()


@pytest.fixture(scope="module")
def spread(twins: dict[str, ServiceProcess]) -> SpreadApi:
    return SpreadApi(twins)
