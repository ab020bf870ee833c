"""Every answer of every service carries the request's correlation id and the security headers, and is
counted by route (shared.web.Observe), whatever the endpoint answered or raised."""

import httpx
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from prometheus_client import REGISTRY
from structlog.contextvars import get_contextvars

from shared.web import Observe


def app() -> FastAPI:
    application = FastAPI()

    @application.get("/things/{thing_id}")
    async def thing(thing_id: str, request: Request) -> dict:
        return {"state": request.state.correlation_id, "logged": get_contextvars().get("correlation_id")}

    @application.get("/framed")
    async def framed() -> JSONResponse:
        return JSONResponse({}, headers={"x-frame-options": "SAMEORIGIN"})

    application.add_middleware(Observe)
    return application


def counted(route: str, status: str) -> float:
    labels = {"method": "GET", "route": route, "status": status}
    return REGISTRY.get_sample_value("fiscaldesk_http_requests_total", labels) or 0.0


async def test_the_correlation_id_is_kept_answered_logged_and_the_request_counted_by_route() -> None:
    before = counted("/things/{thing_id}", "200")
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app()), base_url="http://t") as client:
        given = await client.get("/things/1", headers={"x-correlation-id": "corr-42"})
        fresh = await client.get("/things/2")
        missing = await client.get("/nowhere")
    assert given.json() == {"state": "corr-42", "logged": "corr-42"}
    assert given.headers["x-correlation-id"] == "corr-42"
    assert fresh.headers["x-correlation-id"] == fresh.json()["state"] != "corr-42"
    for response in (given, fresh, missing):
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["x-frame-options"] == "DENY"
        assert response.headers["referrer-policy"] == "no-referrer"
    assert counted("/things/{thing_id}", "200") == before + 2
    assert counted("unmatched", "404") >= 1


async def test_a_header_the_endpoint_set_itself_is_not_overwritten() -> None:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app()), base_url="http://t") as client:
        response = await client.get("/framed")
    assert response.headers.get_list("x-frame-options") == ["SAMEORIGIN"]
