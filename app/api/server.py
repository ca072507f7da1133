"""The API application and the server's lifespan (the engine starts and stops with it)."""

from __future__ import annotations

import asyncio
import logging
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request, Response

from app.api import errors, metrics, routes_desk, routes_orders, routes_safety, stream
from app.api.hosts import allowed_host
from app.runtime import get_runtime, settings_problem, stop_runtime

log = logging.getLogger(__name__)
VERSION = "1"
STOPPED_LINE = "tradedesk: the engine has stopped; the server is shutting down."


def build_api() -> FastAPI:
    api = FastAPI(
        title="tradedesk API", version=VERSION, docs_url=None, redoc_url=None,
        openapi_url="/openapi.json",
        description="Drive the desk from an automated trading system: the same checks, roles "
        "and audit trail as a person at the desk. Send `Authorization: Bearer <token>` (made "
        "on Settings) with every call.",
    )  # fmt: skip
    errors.install(api)
    for router in (routes_desk.router, routes_orders.router, routes_safety.router,
                   stream.router, metrics.router):  # fmt: skip
        api.include_router(router)

    @api.middleware("http")
    async def guard_and_count(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        if not allowed_host(request.headers.get("host")):
            return errors.error_response(400, "http.host", "This host name is not allowed.")
        started = time.perf_counter()
        response = await call_next(request)
        route = request.scope.get("route")
        path = getattr(route, "path", "unmatched")
        metrics.CALLS.labels(path, str(response.status_code)).inc()
        metrics.LATENCY.labels(path).observe(time.perf_counter() - started)
        return response

    return api


api = build_api()


@asynccontextmanager
async def lifespan(app: Any) -> AsyncIterator[None]:
    """Start the engine with the server (the pages and the API share it); stop it after."""
    problem = settings_problem()
    if problem is None:
        await asyncio.to_thread(get_runtime)
    else:
        log.error("Not starting the engine: %s", problem)  # the pages say so too
    try:
        yield
    finally:
        await asyncio.to_thread(stop_runtime)
        # For whoever runs the server (uvicorn then exits by the signal it was sent).
        print(STOPPED_LINE, file=sys.stderr, flush=True)
