"""USD-M futures as a venue of the simulator server (simulator.server.VENUES).

Plugs the futures exchange into the shared context: its REST endpoints go through
`ctx.endpoint` (faults, rate limits, auth, Binance errors), its prices follow the market's
ticks, its state is a section of the state store, and `/_sim/reset` starts it over.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from aiohttp import web

from simulator.errors import ApiError
from simulator.futures_errors import FuturesError
from simulator.futures_exchange import FuturesExchange
from simulator.futures_params import FuturesParams
from simulator.futures_prices import ScriptedPrices
from simulator.futures_routes import FuturesService, Handler, SpotAuthGuard
from simulator.futures_symbols import DEFAULT_FUTURES_SYMBOLS

STARTING_BALANCE = Decimal(10000)


class FuturesVenue:
    name = "futures"

    def __init__(self, starting_balance: Decimal = STARTING_BALANCE) -> None:
        self.starting_balance = starting_balance
        self.service: FuturesService | None = None
        self._publisher: asyncio.Task | None = None

    @property
    def exchange(self) -> FuturesExchange:
        assert self.service is not None, "install() first"
        return self.service.exchange

    def install(self, ctx: Any, app: web.Application) -> None:
        self.ctx = ctx
        self.service = FuturesService(
            self._new_exchange(),
            SpotAuthGuard(ctx.keys, ctx.clock.now_ms),
            ctx.clock.market_ms,
            advance_clock=ctx.clock.advance if ctx.clock.is_virtual else None,
            server_ms=ctx.clock.now_ms,
        )
        self.service.weight_limit = ctx.futures_limiter.weight_limit
        self.service.orders_per_10s = ctx.futures_limiter.orders_per_10s
        for method, path, handler, security, weight in self.service.routes():
            ctx.endpoint(
                app, method, path, self._adapt(handler, method != "GET"), weight=weight,
                security=security, counts_order=path.endswith(("/order", "/algoOrder"))
                and method == "POST",
            )  # fmt: skip
        for method, path, handler in self.service.control_routes():
            ctx.endpoint(app, method, path, self._adapt(handler, True), weight=0)
        self.service.klines_source = self._market_klines
        self.service.hub.register(app)
        self.service.hub.before_publish = ctx.sync_market
        ctx.tick_listeners.append(self.on_ticks)
        if not ctx.store.register("futures", self.exchange.to_state, self._load):
            self.exchange.deposit(self.starting_balance)
        ctx.control_hooks.append(self.reset)

    def _market_klines(
        self, symbol: str, interval: str, start: int | None, end: int | None, limit: int
    ) -> list:
        """Perpetual klines from the shared market (the sim's futures trade on its price path)."""
        self.ctx.sync_market()
        return [
            bar.to_binance() for bar in self.ctx.market.klines(symbol, interval, start, end, limit)
        ]

    def _new_exchange(self) -> FuturesExchange:
        listed = [s for s in DEFAULT_FUTURES_SYMBOLS if s.symbol in _market_symbols(self.ctx)]
        start = self.ctx.clock.market_ms()
        prices = ScriptedPrices(
            {s.symbol: self.ctx.market.last_price(s.symbol) for s in listed}, start
        )
        return FuturesExchange(tuple(listed), prices, start)

    def _load(self, state: dict) -> None:
        self.exchange.load_state(state)

    def _adapt(self, handler: Handler, mutates: bool):
        async def run(call: Any) -> object:
            self.exchange.advance_to(self.ctx.clock.market_ms())
            try:
                result = await handler(call.request, FuturesParams(dict(call.params.values)))
            except FuturesError as e:
                raise ApiError(e.code, e.msg, e.status) from e
            if mutates:
                self.ctx.store.mark_dirty()
            return result

        return run

    def on_ticks(self, ticks: Sequence[Any]) -> None:
        """Follow the market: each tick becomes a point of the futures price path."""
        latest = self.exchange.now_ms
        for tick in ticks:
            if tick.symbol in self.exchange.specs and tick.time_ms > self.exchange.now_ms:
                self.exchange.prices.set_price(tick.symbol, tick.time_ms, tick.price)
                latest = max(latest, tick.time_ms)
        self.exchange.advance_to(latest)

    def reset(self) -> None:
        assert self.service is not None
        listener, closer = self.exchange.listener, self.exchange.on_listen_key_closed
        fresh = self._new_exchange()
        fresh.listener, fresh.on_listen_key_closed = listener, closer
        self.service.exchange = fresh
        self.service.hub.exchange = fresh
        fresh.deposit(self.starting_balance)

    async def start(self, ctx: Any) -> None:
        assert self.service is not None
        self._publisher = asyncio.create_task(self.service.hub.run_publisher())

    async def stop(self, ctx: Any) -> None:
        if self._publisher is not None:
            self._publisher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._publisher
        if self.service is not None:
            await self.service.hub.close_all()


def _market_symbols(ctx: Any) -> set[str]:
    return {s.symbol for s in DEFAULT_FUTURES_SYMBOLS if ctx.symbols.get(s.symbol) is not None}
