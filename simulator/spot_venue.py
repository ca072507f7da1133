"""The spot venue: Binance spot REST, market streams, user data, and the paper account."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from aiohttp import web

from simulator.api_restrictions import PATH as API_RESTRICTIONS
from simulator.api_restrictions import ApiRestrictions
from simulator.balances import Balances
from simulator.context import SimContext
from simulator.exchange import DEFAULT_FEE, SpotExchange
from simulator.spot_rest import SpotRest, depth_weight, many_weight, ticker_weight
from simulator.spot_streams import NAMESPACE, SpotStreamPublisher
from simulator.userdata import UserDataApi


class SpotVenue:
    name = "spot"

    def __init__(
        self,
        balances: dict[str, Decimal] | None = None,
        maker_fee: Decimal = DEFAULT_FEE,
        taker_fee: Decimal = DEFAULT_FEE,
    ) -> None:
        self.initial_balances = dict(balances or {"USDT": Decimal(10000)})
        self.maker_fee = maker_fee
        self.taker_fee = taker_fee

    def install(self, ctx: SimContext, app: web.Application) -> None:
        self.ctx = ctx
        self.exchange = SpotExchange(
            ctx.symbols,
            ctx.market,
            ctx.clock,
            Balances(self.initial_balances),
            self.maker_fee,
            self.taker_fee,
        )
        self.exchange.on_change = ctx.store.mark_dirty
        ctx.store.register("spot", self.exchange.to_state, self.exchange.load_state)
        self.userdata = UserDataApi(ctx.keys, ctx.clock, ctx.limiter, ctx.hub.queue_size)
        self.exchange.listeners.append(self.userdata.on_event)
        self.publisher = SpotStreamPublisher(ctx.hub, self.exchange)
        ctx.tick_listeners.append(self.exchange.on_ticks)
        ctx.tick_listeners.append(self.publisher.on_ticks)
        ctx.control_hooks.append(self.reset)
        ctx.ws_droppers.append(self.userdata.drop)
        ctx.stats_sources["spot_orders"] = lambda: dict(self.exchange.stats)
        ctx.stats_sources["ws_api_sessions"] = lambda: len(self.userdata.sessions)
        ctx.stats_sources["user_events_sent"] = lambda: self.userdata.events_sent
        self._routes(ctx, app)

    def _routes(self, ctx: SimContext, app: web.Application) -> None:
        rest = SpotRest(self.exchange)
        limits = ctx.limiter.exchange_info_limits
        ep = ctx.endpoint
        ep(app, "GET", "/api/v3/ping", rest.ping, weight=1)
        ep(app, "GET", "/api/v3/time", rest.time, weight=1)
        ep(app, "GET", "/api/v3/exchangeInfo", lambda c: rest.exchange_info(c, limits()), weight=20)
        ep(app, "GET", "/api/v3/depth", rest.depth, weight=depth_weight)
        ep(app, "GET", "/api/v3/trades", rest.trades, weight=25)
        ep(app, "GET", "/api/v3/klines", rest.klines, weight=2)
        ep(app, "GET", "/api/v3/ticker/24hr", rest.ticker_24h, weight=ticker_weight)
        ep(
            app,
            "GET",
            "/api/v3/ticker/price",
            rest.ticker_price,
            weight=lambda p: many_weight(p, 2, 4, 4),
        )
        ep(
            app,
            "GET",
            "/api/v3/ticker/bookTicker",
            rest.book_ticker,
            weight=lambda p: many_weight(p, 2, 4, 4),
        )
        ep(app, "GET", "/api/v3/avgPrice", rest.avg_price, weight=2)
        signed: dict[str, Any] = {"security": "SIGNED"}
        ep(
            app,
            "POST",
            "/api/v3/order",
            rest.new_order,
            weight=1,
            counts_order=True,
            free_on_success=True,
            **signed,
        )
        ep(
            app,
            "POST",
            "/api/v3/order/test",
            rest.test_order,
            weight=lambda p: 20 if p.values.get("computeCommissionRates") == "true" else 1,
            **signed,
        )
        ep(app, "GET", "/api/v3/order", rest.query_order, weight=4, **signed)
        ep(
            app,
            "DELETE",
            "/api/v3/order",
            rest.cancel_order,
            weight=1,
            free_on_success=True,
            **signed,
        )
        ep(
            app,
            "GET",
            "/api/v3/openOrders",
            rest.open_orders,
            weight=lambda p: 6 if p.has("symbol") else 80,
            **signed,
        )
        ep(
            app,
            "DELETE",
            "/api/v3/openOrders",
            rest.cancel_open_orders,
            weight=1,
            free_on_success=True,
            **signed,
        )
        ep(app, "GET", "/api/v3/allOrders", rest.all_orders, weight=20, **signed)
        ep(app, "GET", "/api/v3/myTrades", rest.my_trades, weight=20, **signed)
        ep(app, "GET", "/api/v3/account", rest.account, weight=20, **signed)
        ep(app, "GET", API_RESTRICTIONS, ApiRestrictions(ctx.clock.now_ms()), weight=1, **signed)
        app.router.add_get("/ws/{streams:.*}", ctx.hub.raw_handler(NAMESPACE))
        app.router.add_get("/stream", ctx.hub.combined_handler(NAMESPACE))
        app.router.add_get("/ws-api/v3", self.userdata.handle)
        app.router.add_post("/_sim/balances", self.set_balances)
        app.router.add_get("/_sim/balances", self.get_balances)

    def reset(self) -> None:
        self.exchange.reset(self.initial_balances)

    async def stop(self, ctx: SimContext) -> None:
        await self.userdata.close_all()

    async def get_balances(self, request: web.Request) -> web.Response:
        return web.json_response({"balances": self.exchange.balances.rows()})

    async def set_balances(self, request: web.Request) -> web.Response:
        """{"balances": {"USDT": "10000"}} sets free amounts, with balanceUpdate events."""
        try:
            body = await request.json()
            wanted = {str(a).upper(): Decimal(str(v)) for a, v in body["balances"].items()}
        except (ValueError, KeyError, TypeError, AttributeError, ArithmeticError):
            return web.json_response(
                {"error": 'expected {"balances": {"ASSET": "amount", ...}}'}, status=400
            )
        if any(not a.isalnum() or not v.is_finite() or v < 0 for a, v in wanted.items()):
            return web.json_response({"error": "amounts must be finite and >= 0"}, status=400)
        for asset, amount in wanted.items():
            self.exchange.set_balance(asset, amount)
        return web.json_response({"balances": self.exchange.balances.rows()})
