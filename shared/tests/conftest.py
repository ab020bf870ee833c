"""Reuse the session's real Kafka and FerretDB (tests/conftest.py) for the shared package's tests."""

from tests.conftest import containers, stack  # noqa: F401
