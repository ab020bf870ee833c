"""The web UI's one origin: the portal serves the built UI and forwards `/gw/<service>/<path>` to the
service (intake, review, dispatch, notify), so the browser needs no CORS and every service keeps checking
the bearer token itself. In production a reverse proxy may route these paths instead.

Every service may run several instances: calls rotate over them, and one that refuses the connection is
skipped for the next. Review may also be deployed by finance level (decision 0016): a reviewer's queue and
actions (`/gw/review/api/review-tasks...`) go to the deployment serving the reviewer's bureau, by its level
and the longest matching area (FD_REVIEW_DEPLOYMENTS); everything else of review goes to FD_SERVICE_URLS'
review (every level, or the region's deployment, which serves the whole chain)."""

import itertools
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import jwt
from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

from shared.auth import Principal
from shared.errors import NotFound, ServiceUnavailable
from shared.review_deployments import ReviewDeployment, parse_deployments

FORWARDED_HEADERS = ("authorization", "content-type", "accept", "x-correlation-id")
RETURNED_HEADERS = ("content-type", "content-disposition", "retry-after", "x-correlation-id")


@dataclass
class Instances:
    """The instances of one service (or review deployment), taken in turn."""

    bases: list[str]
    turns: "itertools.cycle[int]" = field(init=False)

    def __post_init__(self) -> None:
        self.turns = itertools.cycle(range(len(self.bases)))

    @classmethod
    def of(cls, urls: str) -> "Instances":
        return cls([url.strip().rstrip("/") for url in urls.split(",") if url.strip()])

    def in_turn(self) -> list[str]:
        """Every instance once, starting with the next one's turn (a single one twice: a fresh connection)."""
        first = next(self.turns)
        return [self.bases[(first + n) % len(self.bases)] for n in range(max(len(self.bases), 2))]


@dataclass
class ReviewRoutes:
    """Which review deployment serves a reviewer's queue and actions (decision 0016)."""

    deployments: list[tuple[ReviewDeployment, Instances]]

    @classmethod
    def of(cls, setting: str) -> "ReviewRoutes":
        return cls(
            [(ReviewDeployment(level, area), Instances(bases)) for level, area, bases in parse_deployments(setting)]
        )

    def for_request(self, path: str, request: Request) -> Instances | None:
        """The deployment of the signed-in reviewer's bureau, for the level review paths; None: the default."""
        if not self.deployments or not path.startswith("api/review-tasks"):
            return None
        user = principal_of(request)
        if user is None:
            return None
        serving = [(d, i) for d, i in self.deployments if d.serves_reviewer(user)]
        if not serving:
            return None
        return max(serving, key=lambda pair: len(pair[0].area))[1]


def principal_of(request: Request) -> Principal | None:
    """The bearer token's principal, if its signature holds (for routing only: the service checks it again)."""
    header = request.headers.get("authorization", "")
    if not header.lower().startswith("bearer "):
        return None
    try:
        claims = request.app.state.keys.verify(header[7:].strip())
        return Principal.model_validate(claims["principal"])
    except (jwt.InvalidTokenError, KeyError, ValueError, AttributeError):
        return None


def build_gateway(service_urls: dict[str, str], review_deployments: str = "") -> APIRouter:
    """`service_urls` gives each service's base URL, or several separated by commas (one per instance):
    calls rotate over them, and one that refuses the connection is skipped for the next.
    `review_deployments` (FD_REVIEW_DEPLOYMENTS, `level[/area]=url,url;...`) the level review deployments."""
    router = APIRouter(include_in_schema=False)
    # Idle connections are dropped before uvicorn's 5 s keep-alive ends on the other side, so a request is
    # not written into a connection the service is closing at that instant (a ReadError, once a 500).
    client = httpx.AsyncClient(timeout=30, limits=httpx.Limits(keepalive_expiry=2.0))
    instances = {name: Instances.of(urls) for name, urls in service_urls.items()}
    review_routes = ReviewRoutes.of(review_deployments)

    @router.api_route("/gw/{service}/{path:path}", methods=["GET", "POST", "PUT", "DELETE"])
    async def forward(service: str, path: str, request: Request) -> Response:
        pool = instances.get(service)
        if service == "review":
            pool = review_routes.for_request(path, request) or pool
        if pool is None or not pool.bases or service == "portal":
            raise NotFound("no_such_service", f"没有服务 {service} (no such service)")
        body = await request.body()
        for base in pool.in_turn():
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
