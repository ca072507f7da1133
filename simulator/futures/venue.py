"""USD-M futures as a venue of the simulator server.

Plugs the futures matching engine into the shared context: its REST endpoints go through the
shared request pipeline (faults, rate limits, auth, Binance errors), its streams through the
shared hub, its mark prices follow the shared market's ticks, its state is the `futures` section
of the state store, and `/_sim/reset` starts it over.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence
from dataclasses import replace
from decimal import Decimal

from aiohttp import web

from simulator.core.context import Call, Handler, Route, SimContext
from simulator.feeds.base import Tick
from simulator.feeds.orderbook import BookSet, OrderBook
from simulator.futures.book_streams import FuturesBookStreams
from simulator.futures.control import FuturesControl
from simulator.futures.marks import MarkPrices
from simulator.futures.matching import FuturesMatchingEngine
from simulator.futures.rest import FuturesRest
from simulator.futures.streams import FuturesStreams
from simulator.futures.symbols import listed
from simulator.futures.tape import FuturesTape

STARTING_BALANCE = Decimal(10000)


class FuturesVenue:
    name = "futures"

    def __init__(self, starting_balance: Decimal = STARTING_BALANCE) -> None:
        self.starting_balance = starting_balance
        self._publisher: asyncio.Task[None] | None = None

    def install(self, ctx: SimContext, app: web.Application) -> None:
        self.ctx = ctx
        specs = listed(ctx.market.symbols())
        self.engine = FuturesMatchingEngine(specs, self._market_prices(), ctx.clock.market_ms())
        sizes = {s.symbol: (s.tick_size, s.step_size) for s in specs}
        self.books = BookSet(ctx.market, sizes, self.engine.state_mark_price)
        self.tape = FuturesTape(self.engine.specs, ctx.market)
        self.engine.book_for = self.book_for
        self.engine.on_trade = self.tape.record  # the account's fills print on the tape
        self.streams = FuturesStreams(ctx.hub, ctx.market, self.engine, self.sync)
        self.streams.book_streams = FuturesBookStreams(ctx.hub, self.books, self.tape)
        self.engine.listener = self.streams.publish_user
        self.engine.on_listen_key_closed = self.streams.close_key
        self.streams.install(app)
        rest = FuturesRest(self.engine, ctx.market, ctx.futures_limiter, self.books, self.tape)
        ctx.add_routes(app, [self._wrapped(route) for route in rest.routes()])
        control = FuturesControl(self.engine, self.sync)
        control.on_change = ctx.store.mark_dirty
        control.install(app)
        ctx.tick_listeners.append(self.on_ticks)
        if not ctx.store.register("futures", self.engine.to_state, self.engine.load_state):
            self.engine.deposit(self.starting_balance)
        ctx.control_hooks.append(self.reset)

    def book_for(self, symbol: str) -> OrderBook | None:
        """The book takers walk; none for a perpetual a test scripted (its mark is the market)."""
        if symbol in self.engine.prices.scripted:
            return None
        return self.books.book(symbol)

    def _market_prices(self) -> MarkPrices:
        market = self.ctx.market
        specs = listed(market.symbols())
        start = {s.symbol: market.last_price(s.symbol) for s in specs}
        return MarkPrices(start, self.ctx.clock.market_ms())

    def _wrapped(self, route: Route) -> Route:
        """The engine catches up with the clock first; a change is saved."""
        handler, mutates = route.handler, route.method != "GET"

        def run(call: Call) -> object:
            self.engine.advance_to(self.ctx.clock.market_ms())
            result = handler(call)
            if mutates:
                self.ctx.store.mark_dirty()
            return result

        wrapped: Handler = run
        return replace(route, handler=wrapped)

    def sync(self) -> None:
        """Step the shared market (and so the mark prices) and the engine up to now."""
        self.ctx.sync_market()
        self.engine.advance_to(self.ctx.clock.market_ms())

    def on_ticks(self, ticks: Sequence[Tick]) -> None:
        """Follow the market: each tick becomes a point of the mark price path."""
        latest = self.engine.now_ms
        for tick in ticks:
            if tick.time_ms > self.engine.now_ms and self.engine.prices.follow(
                tick.symbol, tick.time_ms, tick.price, tick.volume
            ):
                latest = max(latest, tick.time_ms)
        self.engine.advance_to(latest)
        ticked = {t.symbol for t in ticks}
        self.books.step_symbols(ticked)
        self.tape.follow_market(ticked)

    def reset(self) -> None:
        self.engine.reset(self.engine.specs, self._market_prices(), self.ctx.clock.market_ms())
        self.engine.deposit(self.starting_balance)

    async def start(self, ctx: SimContext) -> None:
        self._publisher = asyncio.create_task(self.streams.run())

    async def stop(self, ctx: SimContext) -> None:
        if self._publisher is not None:
            self._publisher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._publisher
