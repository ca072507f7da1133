"""The control plane under /_sim/ (not part of Binance's API): reset, clock, faults, stats.

    POST   /_sim/reset                      {} -> balances back to the initial ones, orders cleared
    GET    /_sim/clock                      {"mode", "serverTime", "marketTime", "skewMs"}
    POST   /_sim/clock/advance              {"ms": 60000}  (virtual clock only; steps the market)
    POST   /_sim/clock/skew                 {"ms": -3000}  (server time = market time + skew)
    GET    /_sim/faults                     the faults still armed
    POST   /_sim/faults                     one fault (see core/faults.py), returned with its id
    DELETE /_sim/faults                     disarms every fault
    POST   /_sim/ws/drop                    {"path": "/ws", "refuse_ms": 0} closes matching
                                            WebSocket connections (and refuses new ones for ms)
                                            (every path: /ws, /stream, /ws-api, /fstream/...)
    GET    /_sim/stats                      requests by endpoint, rejections by code, orders, ...
Venues add their own (spot: GET/POST /_sim/balances; futures: POST /_sim/futures/...), reading
bodies with `control_bodies.json_body`. `control_guard` decides who may call any of them.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from simulator.core.context import SimContext
from simulator.core.control_bodies import BadBody, bad_request, int_field, json_body

MAX_CLOCK_MS = 10 * 365 * 86_400_000


def _ms(body: dict[str, Any], low: int) -> int | None:
    try:
        return int_field(body.get("ms"), "ms", low, MAX_CLOCK_MS)
    except BadBody:
        return None


class ControlPlane:
    def __init__(self, ctx: SimContext) -> None:
        self.ctx = ctx

    def install(self, app: web.Application) -> None:
        app.router.add_post("/_sim/reset", self.reset)
        app.router.add_get("/_sim/clock", self.clock)
        app.router.add_post("/_sim/clock/advance", self.advance)
        app.router.add_post("/_sim/clock/skew", self.skew)
        app.router.add_get("/_sim/faults", self.list_faults)
        app.router.add_post("/_sim/faults", self.add_fault)
        app.router.add_delete("/_sim/faults", self.clear_faults)
        app.router.add_post("/_sim/ws/drop", self.drop_ws)
        app.router.add_get("/_sim/stats", self.stats)

    def _clock_json(self) -> dict[str, Any]:
        clock = self.ctx.clock
        return {
            "mode": clock.mode,
            "serverTime": clock.now_ms(),
            "marketTime": clock.market_ms(),
            "skewMs": clock.skew_ms,
        }

    async def reset(self, request: web.Request) -> web.Response:
        for hook in self.ctx.control_hooks:
            hook()
        for limiter in self.ctx.limiters():
            limiter.reset()
        self.ctx.faults.clear()
        self.ctx.clock.skew_ms = 0
        self.ctx.store.flush()
        return web.json_response({"reset": True})

    async def clock(self, request: web.Request) -> web.Response:
        return web.json_response(self._clock_json())

    async def advance(self, request: web.Request) -> web.Response:
        ms = _ms(await json_body(request), 0)
        if ms is None:
            return bad_request("'ms' must be a non-negative integer")
        if not self.ctx.clock.is_virtual:
            return bad_request("the clock is 'wall'; start with --clock virtual to advance it")
        self.ctx.clock.advance(ms)
        ticks = self.ctx.sync_market()
        return web.json_response({**self._clock_json(), "ticks": ticks})

    async def skew(self, request: web.Request) -> web.Response:
        ms = _ms(await json_body(request), -MAX_CLOCK_MS)
        if ms is None:
            return bad_request("'ms' must be an integer (negative puts the server behind)")
        self.ctx.clock.skew_ms = ms
        return web.json_response(self._clock_json())

    async def list_faults(self, request: web.Request) -> web.Response:
        return web.json_response({"faults": self.ctx.faults.list(), "fired": self.ctx.faults.fired})

    async def add_fault(self, request: web.Request) -> web.Response:
        try:
            fault = self.ctx.faults.add(await json_body(request))
        except ValueError as e:
            return bad_request(str(e))
        return web.json_response(fault.to_json())

    async def clear_faults(self, request: web.Request) -> web.Response:
        self.ctx.faults.clear()
        for limiter in self.ctx.limiters():  # a forced 429's Retry-After window goes too
            limiter.reset()
        return web.json_response({"faults": []})

    async def drop_ws(self, request: web.Request) -> web.Response:
        body = await json_body(request)
        path = body.get("path", "")
        if not isinstance(path, str):
            return bad_request("'path' must be a string prefix such as /ws or /ws-api")
        refuse_ms = _ms(body | {"ms": body.get("refuse_ms", 0)}, 0)
        if refuse_ms is None or refuse_ms > 3_600_000:
            return bad_request("'refuse_ms' must be an integer from 0 to 3600000")
        return web.json_response({"dropped": self.ctx.hub.drop(path, refuse_ms)})

    async def stats(self, request: web.Request) -> web.Response:
        ctx = self.ctx
        body = {
            "requests": dict(ctx.stats),
            "rejected": {str(code): n for code, n in ctx.rejected.items()},
            "connections": {
                "streams": len(ctx.hub.connections),
                "by_namespace": ctx.hub.counts(),
            },
            "stream_messages_sent": ctx.hub.messages_sent,
            "slow_client_drops": ctx.hub.slow_drops,
            "faults_fired": ctx.faults.fired,
            "ip_bans": sum(s.bans for lim in ctx.limiters() for s in lim.ips.values()),
            "requests_inside_retry_after": sum(
                s.early for lim in ctx.limiters() for s in lim.ips.values()
            ),
        }
        for name, source in ctx.stats_sources.items():
            body[name] = source()
        return web.json_response(body)
