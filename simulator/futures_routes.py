"""USD-M REST routes (`/fapi/...`) and the futures part of the `/_sim/` control plane.

`FuturesService.register(app)` adds everything to an aiohttp application; request security is
delegated to a `RequestGuard`, so the simulator server can hand in its own auth and rate limiting.
Every mutating request saves the futures state (when a state path is given).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable
from decimal import Decimal
from pathlib import Path
from typing import Protocol
from urllib.parse import parse_qsl

from aiohttp import web

from simulator.futures_cancel_all import bulk, cancel_all_algo_orders, cancel_all_open_orders
from simulator.futures_errors import FuturesError, invalid_param
from simulator.futures_exchange import FuturesExchange
from simulator.futures_params import FuturesParams
from simulator.futures_prices import INTERVAL_MS
from simulator.futures_streams import FuturesStreamHub, ticker_stats

Handler = Callable[[web.Request, FuturesParams], Awaitable[object]]


class RequestGuard(Protocol):
    """Binance request security: `signed` checks key, signature and timestamp; `keyed` the key."""

    def signed(self, request: web.Request, raw_query: str, raw_body: str) -> None: ...

    def keyed(self, request: web.Request) -> None: ...


class SpotAuthGuard:
    """The spot simulator's API keys and HMAC checks (simulator.auth), reused for /fapi."""

    def __init__(self, key_store: object, server_ms: Callable[[], int]) -> None:
        self.key_store = key_store
        self.server_ms = server_ms

    def signed(self, request: web.Request, raw_query: str, raw_body: str) -> None:
        from simulator import auth, params  # the spot simulator's modules
        from simulator.errors import ApiError

        try:
            merged = params.Params(params.merge_params(raw_query, raw_body))
            auth.authenticate(
                self.key_store,  # type: ignore[arg-type]
                request.headers.get("X-MBX-APIKEY"),
                merged,
                raw_query,
                raw_body,
                self.server_ms(),
            )
        except ApiError as e:
            raise FuturesError(e.code, e.msg, e.status) from e

    def keyed(self, request: web.Request) -> None:
        from simulator.errors import ApiError

        try:
            self.key_store.lookup(request.headers.get("X-MBX-APIKEY"))  # type: ignore[attr-defined]
        except ApiError as e:
            raise FuturesError(e.code, e.msg, e.status) from e


class FuturesService:
    def __init__(
        self,
        exchange: FuturesExchange,
        guard: RequestGuard,
        now_ms: Callable[[], int],
        state_path: Path | None = None,
        advance_clock: Callable[[int], None] | None = None,
        server_ms: Callable[[], int] | None = None,
    ) -> None:
        self.exchange = exchange
        self.guard = guard
        self.now_ms = now_ms  # the market's time: drives prices, funding, liquidation
        self.server_ms = server_ms or now_ms  # what /fapi/v1/time and exchangeInfo report
        self.state_path = state_path
        self.advance_clock = advance_clock
        self.hub = FuturesStreamHub(exchange, now_ms)
        self.weight_limit = 2400  # what exchangeInfo reports; the venue enforces its limiter's
        self.orders_per_10s = 300
        # (symbol, interval, start, end, limit) -> REST rows; a server venue points it at the
        # shared market's klines (history included), standalone it uses the scripted path.
        self.klines_source: Callable[..., list] | None = None
        self._publisher: asyncio.Task | None = None
        if state_path is not None:
            exchange.load(state_path)

    # --- wiring ---

    def routes(self) -> list[tuple[str, str, Handler, str, int]]:
        """(method, path, handler, security NONE/API_KEY/SIGNED, IP weight) of every endpoint."""
        return [
            ("GET", "/fapi/v1/ping", self._ping, "NONE", 1),
            ("GET", "/fapi/v1/time", self._time, "NONE", 1),
            ("GET", "/fapi/v1/exchangeInfo", self._exchange_info, "NONE", 1),
            ("GET", "/fapi/v1/klines", self._klines, "NONE", 5),
            ("GET", "/fapi/v1/continuousKlines", self._continuous_klines, "NONE", 5),
            ("GET", "/fapi/v1/premiumIndex", self._premium_index, "NONE", 1),
            ("GET", "/fapi/v1/ticker/24hr", self._ticker, "NONE", 1),
            ("GET", "/fapi/v1/leverageBracket", self._brackets, "SIGNED", 1),
            ("POST", "/fapi/v1/order", self._new_order, "SIGNED", 0),
            ("GET", "/fapi/v1/order", self._get_order, "SIGNED", 1),
            ("DELETE", "/fapi/v1/order", self._cancel_order, "SIGNED", 1),
            ("GET", "/fapi/v1/openOrders", self._open_orders, "SIGNED", 1),
            ("POST", "/fapi/v1/algoOrder", self._new_algo, "SIGNED", 0),
            ("GET", "/fapi/v1/algoOrder", self._get_algo, "SIGNED", 1),
            ("DELETE", "/fapi/v1/algoOrder", self._cancel_algo, "SIGNED", 1),
            ("GET", "/fapi/v1/openAlgoOrders", self._open_algos, "SIGNED", 1),
            ("DELETE", "/fapi/v1/allOpenOrders", bulk(self, cancel_all_open_orders), "SIGNED", 1),
            ("DELETE", "/fapi/v1/algoOpenOrders", bulk(self, cancel_all_algo_orders), "SIGNED", 1),
            ("GET", "/fapi/v2/account", self._account, "SIGNED", 5),
            ("GET", "/fapi/v3/account", self._account, "SIGNED", 5),
            ("GET", "/fapi/v3/balance", self._balance, "SIGNED", 5),
            ("GET", "/fapi/v2/balance", self._balance, "SIGNED", 5),
            ("GET", "/fapi/v3/positionRisk", self._position_risk, "SIGNED", 5),
            ("GET", "/fapi/v2/positionRisk", self._position_risk, "SIGNED", 5),
            ("POST", "/fapi/v1/leverage", self._leverage, "SIGNED", 1),
            ("POST", "/fapi/v1/marginType", self._margin_type, "SIGNED", 1),
            ("GET", "/fapi/v1/income", self._income, "SIGNED", 30),
            ("GET", "/fapi/v1/userTrades", self._user_trades, "SIGNED", 5),
            ("POST", "/fapi/v1/listenKey", self._listen_key_new, "API_KEY", 1),
            ("PUT", "/fapi/v1/listenKey", self._listen_key_keepalive, "API_KEY", 1),
            ("DELETE", "/fapi/v1/listenKey", self._listen_key_close, "API_KEY", 1),
        ]

    def control_routes(self) -> list[tuple[str, str, Handler]]:
        return [
            ("POST", "/_sim/futures/price", self._sim_price),
            ("POST", "/_sim/futures/funding", self._sim_funding),
            ("POST", "/_sim/futures/balance", self._sim_balance),
            ("POST", "/_sim/futures/advance", self._sim_advance),
        ]

    def register(self, app: web.Application) -> None:
        """Standalone wiring: every route, the control plane and the streams on `app`."""
        for method, path, handler, security, _weight in self.routes():
            app.router.add_route(method, path, self._wrap(handler, security))
        for method, path, handler in self.control_routes():
            app.router.add_route(method, path, self._wrap(handler, "NONE"))
        self.hub.register(app)
        app.on_startup.append(self._start)
        app.on_shutdown.append(self._stop)

    async def _start(self, app: web.Application) -> None:
        self._publisher = asyncio.create_task(self.hub.run_publisher())

    async def _stop(self, app: web.Application) -> None:
        if self._publisher:
            self._publisher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._publisher
        await self.hub.close_all()
        self.save()

    def save(self) -> None:
        if self.state_path is not None:
            self.exchange.save(self.state_path)

    def _wrap(self, handler: Handler, security: str):
        async def route(request: web.Request) -> web.Response:
            raw_query = request.raw_path.partition("?")[2]
            raw_body = await request.text()
            try:
                if security == "SIGNED":
                    self.guard.signed(request, raw_query, raw_body)
                elif security == "API_KEY":
                    self.guard.keyed(request)
                params = FuturesParams(_merge(raw_query, raw_body))
                self.exchange.advance_to(self.now_ms())
                result = await handler(request, params)
            except FuturesError as e:
                return web.json_response(e.to_wire(), status=e.status)
            if request.method != "GET":
                self.save()
            return web.json_response(result)

        return route

    # --- market data ---

    async def _ping(self, request: web.Request, params: FuturesParams) -> object:
        return {}

    async def _time(self, request: web.Request, params: FuturesParams) -> object:
        return {"serverTime": self.server_ms()}

    async def _exchange_info(self, request: web.Request, params: FuturesParams) -> object:
        return {
            "timezone": "UTC",
            "serverTime": self.server_ms(),
            "futuresType": "U_MARGINED",
            "rateLimits": [
                {
                    "rateLimitType": "REQUEST_WEIGHT",
                    "interval": "MINUTE",
                    "intervalNum": 1,
                    "limit": self.weight_limit,
                },
                {"rateLimitType": "ORDERS", "interval": "MINUTE", "intervalNum": 1, "limit": 1200},
                {
                    "rateLimitType": "ORDERS",
                    "interval": "SECOND",
                    "intervalNum": 10,
                    "limit": self.orders_per_10s,
                },
            ],
            "exchangeFilters": [],
            "assets": [{"asset": "USDT", "marginAvailable": True, "autoAssetExchange": "-10000"}],
            "symbols": [spec.to_wire() for spec in self.exchange.specs.values()],
        }

    async def _klines(self, request: web.Request, params: FuturesParams) -> object:
        symbol = params.symbol(self.exchange.specs)
        assert symbol is not None
        return self._candles(symbol, params)

    async def _continuous_klines(self, request: web.Request, params: FuturesParams) -> object:
        pair = params.required_text("pair").upper()
        if pair not in self.exchange.specs:
            raise FuturesError(-1121, "Invalid symbol.")
        if params.required_text("contractType") != "PERPETUAL":
            raise invalid_param("contractType")
        return self._candles(pair, params)

    def _candles(self, symbol: str, params: FuturesParams) -> list:
        interval = params.required_text("interval")
        if interval not in INTERVAL_MS:
            raise FuturesError(-1120, "Invalid interval.")
        limit = params.integer("limit") or 500
        if not 1 <= limit <= 1500:
            raise invalid_param("limit")
        start, end = params.integer("startTime"), params.integer("endTime")
        if start is not None and end is not None and start > end:
            raise FuturesError(-1023, "Start time is greater than end time.")
        if self.klines_source is not None:
            return self.klines_source(symbol, interval, start, end, limit)
        path = self.exchange.prices.paths[symbol]
        candles = path.candles(INTERVAL_MS[interval], start, end, limit, self.exchange.now_ms)
        return [c.to_rest() for c in candles]

    async def _premium_index(self, request: web.Request, params: FuturesParams) -> object:
        symbol = params.symbol(self.exchange.specs, required=False)
        if symbol:
            return self.exchange.premium_index(symbol)
        return [self.exchange.premium_index(s) for s in self.exchange.specs]

    async def _ticker(self, request: web.Request, params: FuturesParams) -> object:
        symbol = params.symbol(self.exchange.specs, required=False)
        now = self.exchange.now_ms
        if symbol:
            return ticker_stats(self.exchange, symbol, now)
        return [ticker_stats(self.exchange, s, now) for s in self.exchange.specs]

    async def _brackets(self, request: web.Request, params: FuturesParams) -> object:
        symbol = params.symbol(self.exchange.specs, required=False)
        wanted = [symbol] if symbol else list(self.exchange.specs)
        rows = [
            {
                "symbol": s,
                "notionalCoef": 1.0,
                "brackets": [b.to_wire() for b in self.exchange.specs[s].brackets.brackets],
            }
            for s in wanted
        ]
        return rows

    # --- trading ---

    async def _new_order(self, request: web.Request, params: FuturesParams) -> object:
        return self.exchange.place_order(params)

    async def _get_order(self, request: web.Request, params: FuturesParams) -> object:
        return self.exchange.find_order(params).to_wire()

    async def _cancel_order(self, request: web.Request, params: FuturesParams) -> object:
        return self.exchange.cancel_order(params)

    async def _open_orders(self, request: web.Request, params: FuturesParams) -> object:
        return self.exchange.open_orders(params.symbol(self.exchange.specs, required=False))

    async def _new_algo(self, request: web.Request, params: FuturesParams) -> object:
        return self.exchange.place_algo_order(params)

    async def _get_algo(self, request: web.Request, params: FuturesParams) -> object:
        return self.exchange.find_algo(params).to_wire()

    async def _cancel_algo(self, request: web.Request, params: FuturesParams) -> object:
        return self.exchange.cancel_algo_order(params)

    async def _open_algos(self, request: web.Request, params: FuturesParams) -> object:
        return self.exchange.open_algo_orders(params.symbol(self.exchange.specs, required=False))

    # --- account ---

    async def _account(self, request: web.Request, params: FuturesParams) -> object:
        return self.exchange.account_info()

    async def _balance(self, request: web.Request, params: FuturesParams) -> object:
        return self.exchange.balances()

    async def _position_risk(self, request: web.Request, params: FuturesParams) -> object:
        return self.exchange.position_risk(params.symbol(self.exchange.specs, required=False))

    async def _leverage(self, request: web.Request, params: FuturesParams) -> object:
        symbol = params.symbol(self.exchange.specs)
        assert symbol is not None
        leverage = params.integer("leverage", required=True)
        assert leverage is not None
        return self.exchange.change_leverage(symbol, leverage)

    async def _margin_type(self, request: web.Request, params: FuturesParams) -> object:
        symbol = params.symbol(self.exchange.specs)
        assert symbol is not None
        return self.exchange.change_margin_type(symbol, params.required_text("marginType"))

    async def _income(self, request: web.Request, params: FuturesParams) -> object:
        return self.exchange.income(params)

    async def _user_trades(self, request: web.Request, params: FuturesParams) -> object:
        return self.exchange.user_trades(params)

    async def _listen_key_new(self, request: web.Request, params: FuturesParams) -> object:
        return {"listenKey": self.exchange.create_listen_key()}

    async def _listen_key_keepalive(self, request: web.Request, params: FuturesParams) -> object:
        key = params.required_text("listenKey")
        self.exchange.keepalive_listen_key(key)
        return {"listenKey": key}

    async def _listen_key_close(self, request: web.Request, params: FuturesParams) -> object:
        self.exchange.close_listen_key(params.required_text("listenKey"))
        return {}

    # --- /_sim/futures control plane ---

    async def _sim_price(self, request: web.Request, params: FuturesParams) -> object:
        """Set a symbol's price now, or script `points` as offset_ms:price pairs from now."""
        body = await request.json()
        symbol = str(body.get("symbol", "")).upper()
        if symbol not in self.exchange.specs:
            raise FuturesError(-1121, "Invalid symbol.")
        now = self.exchange.now_ms
        if "price" in body:
            self.exchange.set_price_now(symbol, Decimal(str(body["price"])))
        for offset, price in body.get("points", []):
            if int(offset) <= 0:
                raise invalid_param("points")
            self.exchange.prices.set_price(symbol, now + int(offset), Decimal(str(price)))
        return {"symbol": symbol, "price": str(self.exchange.mark_price(symbol))}

    async def _sim_funding(self, request: web.Request, params: FuturesParams) -> object:
        body = await request.json()
        symbol = str(body.get("symbol", "")).upper()
        if symbol not in self.exchange.specs:
            raise FuturesError(-1121, "Invalid symbol.")
        rate = Decimal(str(body["rate"]))
        if "fundingTime" in body:
            self.exchange.scheduled_rates[symbol][int(body["fundingTime"])] = rate
        else:
            self.exchange.funding_rates[symbol] = rate
        return {"symbol": symbol, "rate": f"{rate:f}"}

    async def _sim_balance(self, request: web.Request, params: FuturesParams) -> object:
        body = await request.json()
        self.exchange.deposit(Decimal(str(body["amount"])))
        return {"walletBalance": f"{self.exchange.account.wallet_balance:f}"}

    async def _sim_advance(self, request: web.Request, params: FuturesParams) -> object:
        """Move a virtual clock forward and let the futures exchange walk the interval."""
        if self.advance_clock is None:
            raise FuturesError(-1020, "This operation is not supported.")
        body = await request.json()
        self.advance_clock(int(body["ms"]))
        self.exchange.advance_to(self.now_ms())
        self.hub.publish_market()
        return {"serverTime": self.server_ms()}


def _merge(raw_query: str, raw_body: str) -> dict[str, str]:
    merged = dict(parse_qsl(raw_body, keep_blank_values=True))
    merged.update(parse_qsl(raw_query, keep_blank_values=True))
    return merged


def wall_clock_ms() -> int:
    return int(time.time() * 1000)
