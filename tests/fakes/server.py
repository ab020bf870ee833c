"""The fakes over real HTTP: a Starlette app served by uvicorn in a thread of the test process, so both an
in-process client and a service started as its own process reach it, and the test reads its state directly.

    with FakeServer(wecom=FakeWeCom(), wechat=FakeWeChat("wx-app", "s3cret")) as fake:
        fake.url  # the base URL of both APIs (FD_WECOM_BASE_URL, FD_WECHAT_BASE_URL)

    with FakeServer(idp=FakeIdentityProvider("fiscaldesk", "s3cret")) as fake:
        fake.url  # the identity provider's issuer (FD_OIDC_ISSUER)
"""

import asyncio
import base64
import socket
import threading
import time

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from tests.fakes.identity_provider import FakeIdentityProvider
from tests.fakes.platforms import FakeWeChat, FakeWeCom


def basic_credentials(request: Request) -> tuple[str, str] | None:
    scheme, _, encoded = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return None
    client_id, _, secret = base64.b64decode(encoded).decode().partition(":")
    return client_id, secret


def identity_provider_routes(idp: FakeIdentityProvider | None) -> list[Route]:
    if idp is None:
        return []

    async def discovery(_: Request) -> Response:
        return JSONResponse(idp.discovery())

    async def authorize(request: Request) -> Response:
        status, where = idp.authorize(dict(request.query_params))
        return RedirectResponse(where, status_code=302) if status == 302 else Response(where, status_code=status)

    async def token(request: Request) -> Response:
        form = {key: str(value) for key, value in (await request.form()).items()}
        status, body = idp.token(form, basic_credentials(request))
        return JSONResponse(body, status_code=status, headers={"cache-control": "no-store"})

    async def jwks(_: Request) -> Response:
        return JSONResponse(idp.jwks())

    return [
        Route("/.well-known/openid-configuration", discovery),
        Route("/authorize", authorize),
        Route("/token", token, methods=["POST"]),
        Route("/jwks", jwks),
    ]


def build_app(wecom: FakeWeCom | None, wechat: FakeWeChat | None, idp: FakeIdentityProvider | None = None) -> Starlette:
    async def webhook(request: Request) -> Response:
        if wecom is None:
            return Response(status_code=404)
        key = request.query_params.get("key", "")
        body = await request.json()
        if early := wecom.before_taking(key, body):
            return JSONResponse(early)
        if wecom.must_wait(key):
            with wecom.lock:
                wecom.holding += 1
            try:
                while wecom.must_wait(key):
                    # A held message is not yet the robot's: if its sender dies now, it was never posted.
                    if await request.is_disconnected():
                        with wecom.lock:
                            wecom.dropped += 1
                        return Response(status_code=499)
                    await asyncio.sleep(0.02)
            finally:
                with wecom.lock:
                    wecom.holding -= 1
        return JSONResponse(wecom.take(key, body))

    async def stable_token(request: Request) -> Response:
        if wechat is None:
            return Response(status_code=404)
        return JSONResponse(wechat.stable_token(await request.json()))

    async def template_send(request: Request) -> Response:
        if wechat is None:
            return Response(status_code=404)
        return JSONResponse(wechat.send_template(request.query_params.get("access_token", ""), await request.json()))

    return Starlette(
        routes=[
            Route("/cgi-bin/webhook/send", webhook, methods=["POST"]),
            Route("/cgi-bin/stable_token", stable_token, methods=["POST"]),
            Route("/cgi-bin/message/template/send", template_send, methods=["POST"]),
            *identity_provider_routes(idp),
        ]
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class FakeServer:
    def __init__(
        self,
        wecom: FakeWeCom | None = None,
        wechat: FakeWeChat | None = None,
        idp: FakeIdentityProvider | None = None,
    ) -> None:
        self.wecom, self.wechat, self.idp = wecom, wechat, idp
        self.port = free_port()
        if idp is not None:
            idp.issuer = self.url
        config = uvicorn.Config(
            build_app(wecom, wechat, idp), host="127.0.0.1", port=self.port, log_level="warning", lifespan="off"
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, name="fake-platforms", daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> "FakeServer":
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("the fake platforms' server did not start")
            time.sleep(0.01)
        return self

    def __exit__(self, *_: object) -> None:
        if self.wecom:
            self.wecom.release()
        self._server.should_exit = True
        self._thread.join(timeout=10)
