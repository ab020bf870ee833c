"""The HTTP side every service shares: lifespan, health, metrics, correlation ids, size limits, and one
shape for errors — a 4xx that names the field and the rule, and changes nothing."""

import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Histogram, generate_latest
from starlette.datastructures import Headers, MutableHeaders
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.errors import DomainError
from shared.events import new_id
from shared.logs import bind_contextvars, clear_contextvars, configure_logging, get_logger
from shared.runtime import Runtime
from shared.validation import localized

log = get_logger(__name__)

REQUESTS = Counter("fiscaldesk_http_requests_total", "HTTP requests", ["method", "route", "status"])
LATENCY = Histogram("fiscaldesk_http_request_seconds", "HTTP request latency", ["method", "route"])


def create_app(runtime: Runtime, *, title: str, routers: list[APIRouter], on_start: list[Callable] = ()) -> FastAPI:
    configure_logging(runtime.settings.service_name)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await runtime.start()
        for hook in on_start:
            await hook()
        yield
        await runtime.stop()

    app = FastAPI(title=title, lifespan=lifespan)
    app.state.runtime = runtime
    app.state.keys = runtime.keys
    app.state.revoked = runtime.revoked
    for router in routers:
        app.include_router(router)
    app.include_router(_health_router(runtime))
    _install_error_handlers(app)
    _declare_error_shape(app)
    app.add_middleware(Observe)
    app.add_middleware(
        BodyLimit,
        max_bytes=runtime.settings.max_body_bytes,
        upload_bytes=runtime.settings.max_upload_bytes + 64 * 1024,
    )
    return app


# The body of every 4xx the services answer (docs/integration/errors.md); the OpenAPI says so instead of
# FastAPI's default `HTTPValidationError`, which no response of ours has.
ERROR_BODY_SCHEMA: dict = {
    "title": "ErrorBody",
    "type": "object",
    "required": ["error", "message"],
    "properties": {
        "error": {"type": "string", "description": "machine-readable code, e.g. validation_failed"},
        "message": {"type": "string", "description": "the whole answer in the user's language"},
        "detail": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["field", "rule", "message"],
                "properties": {
                    "field": {"type": "string", "description": "dotted path of the field, or body"},
                    "rule": {"type": "string", "description": "the rule broken, e.g. string_too_short"},
                    "message": {"type": "string", "description": "the field and the rule in words"},
                    "limit": {"type": "object", "description": "the rule's figures, e.g. {min_length: 10}"},
                },
            },
        },
    },
}


def _declare_error_shape(app: FastAPI) -> None:
    default = app.openapi

    def openapi() -> dict:
        if app.openapi_schema:
            return app.openapi_schema
        schema = default()
        schemas = schema.get("components", {}).get("schemas", {})
        if "HTTPValidationError" in schemas:
            schemas["HTTPValidationError"] = ERROR_BODY_SCHEMA
            schemas.pop("ValidationError", None)
        return schema

    app.openapi = openapi


def _health_router(runtime: Runtime) -> APIRouter:
    router = APIRouter(tags=["operations"])

    @router.get("/healthz")
    async def healthz() -> dict:
        """The process is alive."""
        return {"status": "ok", "service": runtime.settings.service_name}

    @router.get("/readyz")
    async def readyz() -> JSONResponse:
        """The database and the broker answer."""
        checks = await runtime.ready()
        ok = all(checks.values())
        return JSONResponse({"status": "ok" if ok else "unavailable", **checks}, status_code=200 if ok else 503)

    @router.get("/metrics", include_in_schema=False)
    async def metrics() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    return router


# Every response says: stored text is data, never markup (browsers must not sniff JSON into HTML or run
# inline script), and no page of ours is framed or told where the user came from.
SECURITY_HEADERS = (
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
)


class Observe:
    """The correlation id of every request (taken from `x-correlation-id` or new; in the logs' context and
    `request.state`, and answered in the same header), the request metrics by route, and the security
    headers.

    A plain ASGI middleware, not Starlette's `BaseHTTPMiddleware` (`app.middleware("http")`), which runs
    the endpoint in a task of its own and copies the response through a stream: on the accept path that
    was a measurable share of each request (docs/performance.md)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        correlation_id = Headers(scope=scope).get("x-correlation-id") or new_id()
        scope.setdefault("state", {})["correlation_id"] = correlation_id
        clear_contextvars()
        bind_contextvars(correlation_id=correlation_id)
        started = time.perf_counter()
        status = 500

        async def answer(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = MutableHeaders(scope=message)
                headers["x-correlation-id"] = correlation_id
                for name, value in SECURITY_HEADERS:
                    if name.decode() not in headers:
                        headers.raw.append((name, value))
            await send(message)

        try:
            await self.app(scope, receive, answer)
        finally:
            route = scope.get("route")
            path = getattr(route, "path", "unmatched")
            REQUESTS.labels(scope["method"], path, status).inc()
            LATENCY.labels(scope["method"], path).observe(time.perf_counter() - started)


def _error(status: int, code: str, message: str, detail: list[dict] | None = None) -> JSONResponse:
    body: dict = {"error": code, "message": message}
    if detail is not None:
        body["detail"] = detail
    return JSONResponse(body, status_code=status)


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, error: RequestValidationError) -> JSONResponse:
        """The fields and rules in the user's words (shared/validation.py), Chinese unless English is asked."""
        message, detail = localized(list(error.errors()), request.headers.get("accept-language"))
        return _error(422, "validation_failed", message, detail)

    @app.exception_handler(DomainError)
    async def rule_broken(_: Request, error: DomainError) -> JSONResponse:
        detail = [{"field": error.field, "rule": error.code, "message": error.message}] if error.field else None
        response = _error(error.status_code, error.code, error.message, detail)
        if retry_after := getattr(error, "retry_after", None):
            response.headers["retry-after"] = str(retry_after)
        return response

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, error: StarletteHTTPException) -> JSONResponse:
        response = _error(error.status_code, f"http_{error.status_code}", str(error.detail))
        for name, value in (error.headers or {}).items():
            response.headers[name] = value
        return response


class BodyLimit:
    """Refuses a request body over the limit with 413, whether or not it declared its length.

    JSON requests get `max_bytes`; file uploads (paths ending in /attachments or /import) `upload_bytes`.
    """

    UPLOAD_SUFFIXES = ("/attachments", "/import")

    def __init__(self, app: ASGIApp, max_bytes: int, upload_bytes: int) -> None:
        self.app = app
        self.json_bytes = max_bytes
        self.upload_bytes = upload_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.upload_bytes if scope["path"].endswith(self.UPLOAD_SUFFIXES) else self.json_bytes
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await self._too_large(send, limit)
            return
        seen = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise _TooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except _TooLarge:
            if not started:
                await self._too_large(send, limit)

    async def _too_large(self, send: Send, limit: int) -> None:
        response = _error(
            413,
            "body_too_large",
            f"请求体超过 {limit} 字节 (request body larger than {limit} bytes)",
            [{"field": "body", "rule": "max_bytes", "message": f"at most {limit} bytes"}],
        )
        await send({"type": "http.response.start", "status": 413, "headers": response.raw_headers})
        await send({"type": "http.response.body", "body": response.body})


class _TooLarge(Exception):
    pass
