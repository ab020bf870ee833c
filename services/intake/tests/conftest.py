from tests.conftest import api, containers, services, stack  # noqa: F401
