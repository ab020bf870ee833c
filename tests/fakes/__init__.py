"""Local fakes of the outside platforms our services talk to, following their published payloads, limits and
error codes: the WeCom group robot webhook and the WeChat official account API (tests/fakes/platforms.py),
and the province's OpenID Connect identity provider (tests/fakes/identity_provider.py), served over real HTTP
by FakeServer (tests/fakes/server.py), on a clock the test may control."""

from tests.fakes.clock import ManualClock
from tests.fakes.identity_provider import FakeIdentityProvider, Person
from tests.fakes.platforms import FakeWeChat, FakeWeCom
from tests.fakes.server import FakeServer

__all__ = ["FakeIdentityProvider", "FakeServer", "FakeWeChat", "FakeWeCom", "ManualClock", "Person"]
