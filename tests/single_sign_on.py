"""The portal signing on with a local identity provider: for the modules that test 统一身份认证, the portal is
restarted with FD_OIDC_* pointing at the fake provider (tests/fakes/identity_provider.py), and restarted with
the stack's own settings afterwards, so the modules after them see the portal without single sign-on."""

from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from infra.launcher import ServiceProcess
from tests.fakes import FakeIdentityProvider, FakeServer

CLIENT_ID, CLIENT_SECRET = "fiscaldesk-portal", "province-s3cret"


def subject_of(username: str) -> str:
    """The provider's subject of a person: stable, and not their user name."""
    return f"province-{username}-0001"


def restart(process: ServiceProcess) -> None:
    process.stop()
    process.start()
    process.wait_ready()


@contextmanager
def portal_signing_on_with_local_provider(services: dict[str, ServiceProcess]) -> Iterator[FakeServer]:
    portal = services["portal"]
    idp = FakeIdentityProvider(CLIENT_ID, CLIENT_SECRET)
    idp.redirect_uri = f"{portal.url}/api/auth/oidc/callback"
    with FakeServer(idp=idp) as server:
        settings = {
            "FD_OIDC_ISSUER": server.url,
            "FD_OIDC_CLIENT_ID": CLIENT_ID,
            "FD_OIDC_CLIENT_SECRET": CLIENT_SECRET,
            "FD_OIDC_REDIRECT_URI": idp.redirect_uri,
        }
        with pytest.MonkeyPatch.context() as env:
            for name, value in settings.items():
                env.setenv(name, value)  # Stack.service_env passes the environment on to the process
            restart(portal)
            try:
                yield server
            finally:
                env.undo()
                restart(portal)
