"""The shared parts every venue builds on, and the request pipeline of every REST endpoint.

A venue (simulator.spot.venue, simulator.futures.venue) installs itself on the context:

    ctx.add_routes(app, [Route("POST", "/fapi/v1/order", place, security="SIGNED",
                               counts_order=True)])
    app.router.add_get("/fstream/market/ws/{streams:.*}", ctx.hub.raw_handler("fstream-market"))
    ctx.tick_listeners.append(self.on_ticks)                   # every step of the price path
    ctx.store.register("futures", self.dump, self.load)        # its section of state.json
    ctx.control_hooks.append(self.reset)                       # called by /_sim/reset
    app.router.add_post("/_sim/futures/price", handler)       # its part of the control plane

Every route runs faults, rate limits (IP weight, order counts, 429/418 and headers), auth
(`security` "NONE", "API_KEY" or "SIGNED": X-MBX-APIKEY, HMAC, timestamp window), parameter
parsing and Binance-style errors; the handler gets a `Call` and returns JSON-able data.
Streams publish through `ctx.hub.publish(namespace, stream_name, payload)`.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson
from aiohttp import web

from simulator.core import errors
from simulator.core.auth import ApiKey, KeyStore, authenticate
from simulator.core.clock import Clock
from simulator.core.errors import ApiError
from simulator.core.faults import FaultBook
from simulator.core.params import Params, merge_params
from simulator.core.ratelimit import RateLimiter
from simulator.core.store import StateStore
from simulator.core.streams import StreamHub
from simulator.feeds.base import Tick
from simulator.feeds.market import Market

log = logging.getLogger("simulator")
MAX_BODY_CHARS = 65_536


@dataclass(slots=True)
class Call:
    """One authenticated, parsed REST request as a handler sees it."""

    request: web.Request
    params: Params
    key: ApiKey | None
    now_ms: int
    raw_query: str = ""
    raw_body: str = ""


Handler = Callable[[Call], Any]
Weight = int | Callable[[Params], int]


@dataclass(frozen=True, slots=True)
class Route:
    """One REST endpoint: its handler, IP weight and security, and how it counts."""

    method: str
    path: str
    handler: Handler
    weight: Weight = 1
    security: str = "NONE"  # NONE | API_KEY | SIGNED
    counts_order: bool = False  # spends the ORDERS budget
    free_on_success: bool = False  # its weight is charged only when it fails
    orders_counted: int = 1  # how many orders one request places (an OCO: 2, an OTOCO: 3)


@dataclass
class SimContext:
    clock: Clock
    market: Market
    keys: KeyStore
    limiter: RateLimiter  # api.binance.com (spot REST and the WebSocket API)
    faults: FaultBook
    hub: StreamHub
    store: StateStore
    stats: Counter[str] = field(default_factory=Counter)
    rejected: Counter[int] = field(default_factory=Counter)
    tick_listeners: list[Callable[[Sequence[Tick]], None]] = field(default_factory=list)
    control_hooks: list[Callable[[], None]] = field(default_factory=list)
    stats_sources: dict[str, Callable[[], Any]] = field(default_factory=dict)
    # fapi.binance.com keeps its own per-IP budget (2400 weight a minute, 300 orders per 10 s)
    futures_limiter: RateLimiter = field(default_factory=lambda: RateLimiter(2400, 300))
    _held: set[asyncio.Task[Any]] = field(default_factory=set)

    def limiter_for(self, path: str) -> RateLimiter:
        """The rate limiter of the host that serves `path` (fapi's; coin-M's /dapi, which the
        simulator answers empty, shares it; everything else is api.binance.com's)."""
        return self.futures_limiter if path.startswith(("/fapi/", "/dapi/")) else self.limiter

    def limiters(self) -> tuple[RateLimiter, RateLimiter]:
        return self.limiter, self.futures_limiter

    # ---- the price path -----------------------------------------------------------------
    def sync_market(self) -> int:
        """Steps the market up to now and hands the new ticks to every listener."""
        ticks = self.market.advance(self.clock.market_ms())
        if ticks:
            for listener in self.tick_listeners:
                listener(ticks)
        return len(ticks)

    # ---- REST ---------------------------------------------------------------------------
    def add_routes(self, app: web.Application, routes: Sequence[Route]) -> None:
        for route in routes:
            app.router.add_route(route.method, route.path, self._runner(route))

    def _runner(self, route: Route) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
        async def run(request: web.Request) -> web.StreamResponse:
            return await self._pipeline(request, route)

        return run

    async def _pipeline(self, request: web.Request, route: Route) -> web.StreamResponse:
        label = f"{request.method} {request.path}"
        self.stats[label] += 1
        ip = request.remote or "?"
        now = self.clock.now_ms()
        limiter = self.limiter_for(request.path)
        cost = route.weight if isinstance(route.weight, int) else 1
        headers: dict[str, str] = {}
        try:
            call = await self._admit(request, ip, now)
            cost = route.weight if isinstance(route.weight, int) else route.weight(call.params)
            body = await self._run(route, call, ip, cost, headers)
            status = 200
        except ApiError as e:
            if e.status not in (418, 429):
                limiter.add(ip, cost, now)
            self.rejected[e.code] += 1
            headers.update(e.headers)
            status, body = e.status, e.body()
        except Exception:
            log.exception("unexpected error in %s", label)
            self.rejected[-1000] += 1
            status, body = 500, errors.internal_error().body()
        response = self._json(status, body, headers, limiter.used_weight(ip, now))
        timeout = self.faults.take("timeout", request.path, request.method)
        if timeout is not None:
            await self._hold_and_drop(request, timeout.ms)
        return response

    async def _admit(self, request: web.Request, ip: str, now: int) -> Call:
        """Faults that strike before processing, then the parsed request."""
        self.limiter_for(request.path).note_arrival(ip, now)
        await self._before_faults(request.path, request.method, ip, now)
        return await self._parse(request, now)

    async def _run(
        self, route: Route, call: Call, ip: str, cost: int, headers: dict[str, str]
    ) -> Any:
        """Limits and auth, then the handler; charges the weight and counts the order."""
        limiter, now = self.limiter_for(call.request.path), call.now_ms
        limiter.check(ip, cost, now, _sent_ms(call) if route.security == "SIGNED" else None)
        call.key = self._authorize(call.request, call, route.security, now)
        if route.counts_order:
            limiter.check_order(now)
        self.sync_market()
        result = route.handler(call)
        if asyncio.iscoroutine(result):
            result = await result
        limiter.add(ip, 0 if route.free_on_success else cost, now)
        if route.counts_order:
            for _ in range(route.orders_counted):
                limiter.count_order(now)
            headers.update(limiter.order_headers(now))
        return result

    async def _before_faults(self, path: str, method: str, ip: str, now_ms: int) -> None:
        latency = self.faults.take("latency", path, method)
        if latency is not None:
            await asyncio.sleep(latency.ms / 1000)
        forced = self.faults.take("rate_limit", path, method)
        if forced is not None:
            # As a real 429: requests inside the Retry-After window count toward a 418 ban.
            limiter = self.limiter_for(path)
            limiter.back_off(ip, now_ms, forced.retry_after)
            raise ApiError(
                -1003,
                f"Too much request weight used; current limit is {limiter.weight_limit} "
                "request weight per 1 MINUTE. Please use WebSocket Streams for live updates "
                "to avoid polling the API.",
                status=429,
                headers={"Retry-After": str(forced.retry_after)},
            )
        failure = self.faults.take("error", path, method)
        if failure is not None:
            raise ApiError(
                -1001,
                "Internal error; unable to process your request. Please try again.",
                status=failure.status,
            )

    async def _parse(self, request: web.Request, now: int) -> Call:
        raw_query = request.raw_path.partition("?")[2]
        body = ""
        if request.method != "GET" and request.can_read_body:
            if (request.content_length or 0) > MAX_BODY_CHARS:
                raise ApiError(-1101, "Too many parameters sent for this endpoint.")
            try:
                body = await request.text()
            except UnicodeDecodeError as e:
                raise ApiError(-1100, "Illegal characters found in a parameter.") from e
        params = Params(merge_params(raw_query, body))
        return Call(request, params, key=None, now_ms=now, raw_query=raw_query, raw_body=body)

    def _authorize(
        self, request: web.Request, call: Call, security: str, now: int
    ) -> ApiKey | None:
        header = request.headers.get("X-MBX-APIKEY")
        if security == "API_KEY":
            return self.keys.lookup(header)
        if security == "SIGNED":
            return authenticate(self.keys, header, call.params, call.raw_query, call.raw_body, now)
        return None

    def _json(
        self, status: int, body: Any, headers: dict[str, str], used_weight: int
    ) -> web.Response:
        headers["X-MBX-USED-WEIGHT-1M"] = str(used_weight)
        headers["Content-Type"] = "application/json;charset=UTF-8"
        return web.Response(status=status, body=orjson.dumps(body, default=str), headers=headers)

    async def _hold_and_drop(self, request: web.Request, ms: int) -> None:
        """The order was processed; the client never hears back (timeout fault)."""
        task = asyncio.current_task()
        if task is not None:
            self._held.add(task)
        try:
            await asyncio.sleep(ms / 1000)
        finally:
            if task is not None:
                self._held.discard(task)
            if request.transport is not None:
                request.transport.close()

    def cancel_held(self) -> None:
        for task in list(self._held):
            task.cancel()


def _sent_ms(call: Call) -> int | None:
    """A signed request's `timestamp` (ms), when it is a plain integer: when the client built it."""
    raw = call.params.values.get("timestamp", "")
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 17:
        return None
    stamp = int(raw)
    return stamp // 1000 if stamp >= 10**14 else stamp
