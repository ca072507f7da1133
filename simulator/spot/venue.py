"""The spot venue: Binance spot REST, market streams, user data, and the paper account."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from decimal import Decimal

from aiohttp import web

from simulator.core.context import Route, SimContext
from simulator.core.control_bodies import bad_request, json_body
from simulator.spot.balances import Balances, parse_balance_body
from simulator.spot.book_streams import PUBLISH_EVERY_S, SpotBookStreams
from simulator.spot.matching import DEFAULT_FEE, SpotMatchingEngine
from simulator.spot.order_lists import OrderLists
from simulator.spot.request_params import (
    depth_weight,
    open_orders_weight,
    price_weight,
    test_order_weight,
    ticker_weight,
)
from simulator.spot.rest import SpotRest
from simulator.spot.rest_lists import SpotListRest
from simulator.spot.rest_more import SpotMoreRest
from simulator.spot.sapi import SapiRest
from simulator.spot.streams import NAMESPACE, SpotStreamPublisher
from simulator.spot.symbols import SymbolTable
from simulator.spot.userdata import UserDataApi

SIGNED = "SIGNED"
log = logging.getLogger("simulator.spot")


class SpotVenue:
    name = "spot"

    def __init__(
        self,
        symbols: SymbolTable,
        balances: dict[str, Decimal] | None = None,
        maker_fee: Decimal = DEFAULT_FEE,
        taker_fee: Decimal = DEFAULT_FEE,
    ) -> None:
        self.symbols = symbols
        self.initial_balances = dict(balances or {"USDT": Decimal(10000)})
        self.maker_fee = maker_fee
        self.taker_fee = taker_fee
        self._publisher: asyncio.Task[None] | None = None

    def install(self, ctx: SimContext, app: web.Application) -> None:
        self.ctx = ctx
        self.matching = SpotMatchingEngine(
            self.symbols,
            ctx.market,
            ctx.clock,
            Balances(self.initial_balances),
            self.maker_fee,
            self.taker_fee,
        )
        self.matching.on_change = ctx.store.mark_dirty
        self.lists = OrderLists(self.matching)
        ctx.store.register("spot", self.matching.to_state, self.matching.load_state)
        self.userdata = UserDataApi(ctx.keys, ctx.clock, ctx.limiter, ctx.hub)
        self.matching.listeners.append(self.userdata.on_event)
        self.publisher = SpotStreamPublisher(ctx.hub, self.matching)
        self.book_streams = SpotBookStreams(ctx.hub, self.matching)
        ctx.tick_listeners.append(self.matching.on_ticks)
        ctx.tick_listeners.append(self.publisher.on_ticks)
        ctx.tick_listeners.append(lambda ticks: self.book_streams.publish())
        ctx.control_hooks.append(self.reset)
        ctx.stats_sources["spot_orders"] = lambda: dict(self.matching.stats)
        ctx.stats_sources["ws_api_sessions"] = lambda: len(self.userdata.sessions)
        ctx.stats_sources["user_events_sent"] = lambda: self.userdata.events_sent
        ctx.add_routes(app, self._routes(ctx))
        app.router.add_get("/ws/{streams:.*}", ctx.hub.raw_handler(NAMESPACE))
        app.router.add_get("/stream", ctx.hub.combined_handler(NAMESPACE))
        app.router.add_get("/ws-api/v3", self.userdata.handle)
        app.router.add_post("/_sim/balances", self.set_balances)
        app.router.add_get("/_sim/balances", self.get_balances)

    def _routes(self, ctx: SimContext) -> list[Route]:
        rest = SpotRest(self.matching)
        extra = [
            *SpotMoreRest(rest, ctx.limiter).routes(),
            *SpotListRest(self.lists).routes(),
            *SapiRest(self.matching, ctx.clock.now_ms()).routes(),
        ]
        limits = ctx.limiter.exchange_info_limits
        api = "/api/v3"
        return [
            Route("GET", f"{api}/ping", rest.ping),
            Route("GET", f"{api}/time", rest.time),
            Route("GET", f"{api}/exchangeInfo", lambda c: rest.exchange_info(c, limits()), 20),
            Route("GET", f"{api}/depth", rest.depth, depth_weight),
            Route("GET", f"{api}/trades", rest.trades, 25),
            Route("GET", f"{api}/klines", rest.klines, 2),
            Route("GET", f"{api}/ticker/24hr", rest.ticker_24h, ticker_weight),
            Route("GET", f"{api}/ticker/price", rest.ticker_price, price_weight),
            Route("GET", f"{api}/ticker/bookTicker", rest.book_ticker, price_weight),
            Route("GET", f"{api}/avgPrice", rest.avg_price, 2),
            Route("POST", f"{api}/order", rest.new_order, 1, SIGNED, True, True),
            Route("POST", f"{api}/order/test", rest.test_order, test_order_weight, SIGNED),
            Route("GET", f"{api}/order", rest.query_order, 4, SIGNED),
            Route("DELETE", f"{api}/order", rest.cancel_order, 1, SIGNED, free_on_success=True),
            Route("GET", f"{api}/openOrders", rest.open_orders, open_orders_weight, SIGNED),
            Route("DELETE", f"{api}/openOrders", rest.cancel_open_orders, 1, SIGNED,
                  free_on_success=True),
            Route("GET", f"{api}/allOrders", rest.all_orders, 20, SIGNED),
            Route("GET", f"{api}/myTrades", rest.my_trades, 20, SIGNED),
            Route("GET", f"{api}/account", rest.account, 20, SIGNED),
            *extra,
        ]  # fmt: skip

    def reset(self) -> None:
        self.matching.reset(self.initial_balances)

    async def start(self, ctx: SimContext) -> None:
        """Klines and tickers go out on the market's ticks; the book and the tape also every
        100 ms, so a fill shows on the streams at once."""
        self._publisher = asyncio.create_task(self._publish_books())

    async def _publish_books(self) -> None:
        while True:
            try:
                self.book_streams.publish()
            except Exception:
                log.exception("spot book streams: publishing failed")
            await asyncio.sleep(PUBLISH_EVERY_S)

    async def stop(self, ctx: SimContext) -> None:
        """Its WebSocket connections are the hub's; the server closes them."""
        if self._publisher is not None:
            self._publisher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._publisher

    async def get_balances(self, request: web.Request) -> web.Response:
        return web.json_response({"balances": self.matching.balances.rows()})

    async def set_balances(self, request: web.Request) -> web.Response:
        """{"balances": {"USDT": "10000"}} sets free amounts, with balanceUpdate events."""
        try:
            wanted = parse_balance_body(await json_body(request))
        except ValueError as e:
            return bad_request(str(e))
        for asset, amount in wanted.items():
            self.matching.set_balance(asset, amount)
        return web.json_response({"balances": self.matching.balances.rows()})
