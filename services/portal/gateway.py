"""The web UI's one origin: the portal serves the built UI and forwards `/gw/<service>/<path>` to the
service (intake, review, dispatch, notify), so the browser needs no CORS and every service keeps checking
the bearer token itself. In production a reverse proxy may route these paths instead."""

import itertools
from pathlib import Path

import httpx
from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

from shared.errors import NotFound, ServiceUnavailable

FORWARDED_HEADERS = ("authorization", "content-type", "accept", "x-correlation-id")
RETURNED_HEADERS = ("content-type", "content-disposition", "retry-after", "x-correlation-id")


def build_gateway(service_urls: dict[str, str]) -> APIRouter:
    """`service_urls` gives each service's base URL, or several separated by commas (one per instance):
    calls rotate over them, and one that refuses the connection is skipped for the next."""
    router = APIRouter(include_in_schema=False)
    # Idle connections are dropped before uvicorn's 5 s keep-alive ends on the other side, so a request is
    # not written into a connection the service is closing at that instant (a ReadError, once a 500).
    client = httpx.AsyncClient(timeout=30, limits=httpx.Limits(keepalive_expiry=2.0))
    instances = {name: [url.strip() for url in urls.split(",") if url.strip()] for name, urls in service_urls.items()}
    turns = {name: itertools.cycle(range(len(urls))) for name, urls in instances.items() if urls}

    @router.api_route("/gw/{service}/{path:path}", methods=["GET", "POST", "PUT", "DELETE"])
    async def forward(service: str, path: str, request: Request) -> Response:
        bases = instances.get(service)
        if not bases or service == "portal":
            raise NotFound("no_such_service", f"没有服务 {service} (no such service)")
        body = await request.body()
        first = next(turns[service])
        for attempt in range(max(len(bases), 2)):  # a single instance is tried twice: a fresh connection
            base = bases[(first + attempt) % len(bases)]
            try:
                upstream = await client.request(
                    request.method,
                    f"{base}/{path}",
                    params=request.query_params,
                    content=body,
                    headers={k: v for k, v in request.headers.items() if k in FORWARDED_HEADERS},
                )
                break
            except httpx.ConnectError:
                continue  # nothing was sent: the next instance may take it
            except (httpx.ReadError, httpx.RemoteProtocolError):
                # A kept-alive connection to an instance that has since restarted: a read may be sent again
                # (to the next instance, or a fresh connection to this one); a change may have been done.
                if request.method != "GET":
                    raise ServiceUnavailable(
                        "service_interrupted", f"服务 {service} 连接中断，请刷新后确认结果 (connection lost)"
                    ) from None
                continue
        else:
            raise ServiceUnavailable("service_unavailable", f"服务 {service} 暂不可用，请稍后重试 (unavailable)")
        headers = {k: v for k, v in upstream.headers.items() if k in RETURNED_HEADERS}
        return Response(upstream.content, status_code=upstream.status_code, headers=headers)

    return router


def mount_web_ui(app: FastAPI, dist: Path) -> None:
    """Serve the built UI (web/dist) with a fallback to index.html for the UI's own routes."""
    if not (dist / "index.html").exists():
        return
    app.mount("/assets", StaticFiles(directory=dist / "assets"), name="assets")

    root = dist.resolve()

    @app.get("/{path:path}", include_in_schema=False)
    def spa(path: str) -> FileResponse:  # sync: FastAPI runs it in a thread, the file checks may block
        candidate = (root / path).resolve()
        if path and candidate.is_file() and root in candidate.parents:
            return FileResponse(candidate)
        return FileResponse(dist / "index.html", headers={"cache-control": "no-cache"})
