"""USD-M REST endpoints (`/fapi/...`): market data from the shared market, and the signed
trading and account endpoints of the futures paper account."""

from __future__ import annotations

from simulator.core import errors
from simulator.core.context import Call, Route
from simulator.core.errors import ApiError
from simulator.core.params import Params
from simulator.core.ratelimit import RateLimiter
from simulator.feeds.market import Market
from simulator.feeds.orderbook import BookSet
from simulator.futures import market_data
from simulator.futures.coin_m import CoinMRest
from simulator.futures.matching import FuturesMatchingEngine
from simulator.futures.rest_account import FuturesAccountRest
from simulator.futures.rest_market import FuturesMarketRest
from simulator.futures.rest_orders import FuturesOrderRest
from simulator.futures.tape import FuturesTape

SIGNED, KEYED = "SIGNED", "API_KEY"
MAX_KLINES = 1500


class FuturesRest:
    """Handlers bound to one matching engine; each takes a Call and returns Binance's JSON."""

    def __init__(
        self,
        engine: FuturesMatchingEngine,
        market: Market,
        limiter: RateLimiter,
        books: BookSet,
        tape: FuturesTape,
    ) -> None:
        self.engine = engine
        self.market = market
        self.limiter = limiter
        self.books = books
        self.tape = tape

    def routes(self) -> list[Route]:
        v1, v2, v3 = "/fapi/v1", "/fapi/v2", "/fapi/v3"
        return [
            Route("GET", f"{v1}/ping", self.ping),
            Route("GET", f"{v1}/time", self.time),
            Route("GET", f"{v1}/exchangeInfo", self.exchange_info),
            Route("GET", f"{v1}/klines", self.klines, 5),
            Route("GET", f"{v1}/continuousKlines", self.continuous_klines, 5),
            Route("GET", f"{v1}/premiumIndex", self.premium_index),
            Route("GET", f"{v1}/ticker/24hr", self.ticker),
            Route("GET", f"{v1}/leverageBracket", self.brackets, 1, SIGNED),
            Route("POST", f"{v1}/order", self.new_order, 0, SIGNED, counts_order=True),
            Route("GET", f"{v1}/order", self.get_order, 1, SIGNED),
            Route("DELETE", f"{v1}/order", self.cancel_order, 1, SIGNED),
            Route("GET", f"{v1}/openOrders", self.open_orders, 1, SIGNED),
            Route("POST", f"{v1}/algoOrder", self.new_algo, 0, SIGNED, counts_order=True),
            Route("GET", f"{v1}/algoOrder", self.get_algo, 1, SIGNED),
            Route("DELETE", f"{v1}/algoOrder", self.cancel_algo, 1, SIGNED),
            Route("GET", f"{v1}/openAlgoOrders", self.open_algos, 1, SIGNED),
            Route("GET", f"{v2}/account", self.account, 5, SIGNED),
            Route("GET", f"{v3}/balance", self.balance, 5, SIGNED),
            Route("GET", f"{v2}/balance", self.balance, 5, SIGNED),
            Route("GET", f"{v3}/positionRisk", self.position_risk, 5, SIGNED),
            Route("GET", f"{v2}/positionRisk", self.position_risk, 5, SIGNED),
            Route("POST", f"{v1}/leverage", self.leverage, 1, SIGNED),
            Route("POST", f"{v1}/marginType", self.margin_type, 1, SIGNED),
            Route("GET", f"{v1}/income", self.income, 30, SIGNED),
            Route("GET", f"{v1}/userTrades", self.user_trades, 5, SIGNED),
            Route("POST", f"{v1}/listenKey", self.listen_key_new, 1, KEYED),
            Route("PUT", f"{v1}/listenKey", self.listen_key_keepalive, 1, KEYED),
            Route("DELETE", f"{v1}/listenKey", self.listen_key_close, 1, KEYED),
            *FuturesMarketRest(self.engine, self.market, self.books, self.tape).routes(),
            *FuturesOrderRest(self.engine).routes(),
            *FuturesAccountRest(self.engine, self.limiter).routes(),
            *CoinMRest(self.limiter).routes(),
        ]

    def _symbol(self, params: Params, required: bool = False) -> str | None:
        return params.symbol(self.engine.specs, required)

    # ---- market data ------------------------------------------------------------------
    def ping(self, call: Call) -> object:
        return {}

    def time(self, call: Call) -> object:
        return {"serverTime": call.now_ms}

    def exchange_info(self, call: Call) -> object:
        limiter = self.limiter
        return {
            "timezone": "UTC",
            "serverTime": call.now_ms,
            "futuresType": "U_MARGINED",
            "rateLimits": [
                _limit("REQUEST_WEIGHT", "MINUTE", 1, limiter.weight_limit),
                _limit("ORDERS", "MINUTE", 1, 1200),
                _limit("ORDERS", "SECOND", 10, limiter.orders_per_10s),
            ],
            "exchangeFilters": [],
            "assets": [{"asset": "USDT", "marginAvailable": True, "autoAssetExchange": "-10000"}],
            "symbols": [spec.to_wire() for spec in self.engine.specs.values()],
        }

    def klines(self, call: Call) -> object:
        symbol = self._symbol(call.params, required=True)
        assert symbol is not None
        return self._candles(symbol, call.params)

    def continuous_klines(self, call: Call) -> object:
        pair = call.params.symbol(self.engine.specs, name="pair")
        assert pair is not None
        if call.params.required_text("contractType") != "PERPETUAL":
            raise errors.invalid_value("contractType")
        return self._candles(pair, call.params)

    def _candles(self, symbol: str, params: Params) -> list:
        interval = params.required_text("interval")
        if interval not in market_data.KLINE_INTERVALS:
            raise ApiError(-1120, "Invalid interval.")
        limit = params.integer("limit") or 500
        if not 1 <= limit <= MAX_KLINES:
            raise errors.invalid_value("limit")
        start, end = params.integer("startTime"), params.integer("endTime")
        if start is not None and end is not None and start > end:
            raise ApiError(-1023, "Start time is greater than end time.")
        bars = self.market.klines(symbol, interval, start, end, limit)
        return [bar.to_binance() for bar in bars]

    def premium_index(self, call: Call) -> object:
        symbol = self._symbol(call.params)
        if symbol:
            return self.engine.premium_index(symbol)
        return [self.engine.premium_index(s) for s in self.engine.specs]

    def ticker(self, call: Call) -> object:
        symbol = self._symbol(call.params)
        if symbol:
            return market_data.ticker_row(self.market, symbol)
        return [market_data.ticker_row(self.market, s) for s in self.engine.specs]

    def brackets(self, call: Call) -> object:
        """All symbols' brackets as a list; with `symbol`, that symbol's object alone."""
        symbol = self._symbol(call.params)
        specs = self.engine.specs
        rows = [
            {
                "symbol": s,
                "notionalCoef": 1.0,
                "brackets": [b.to_wire() for b in specs[s].brackets.brackets],
            }
            for s in ([symbol] if symbol else list(specs))
        ]
        return rows[0] if symbol else rows

    # ---- trading ----------------------------------------------------------------------
    def new_order(self, call: Call) -> object:
        return self.engine.orders.place(call.params)

    def get_order(self, call: Call) -> object:
        return self.engine.orders.find(call.params).to_wire()

    def cancel_order(self, call: Call) -> object:
        return self.engine.orders.cancel(call.params)

    def open_orders(self, call: Call) -> object:
        return self.engine.orders.open_orders(self._symbol(call.params))

    def new_algo(self, call: Call) -> object:
        return self.engine.algos.place(call.params)

    def get_algo(self, call: Call) -> object:
        return self.engine.algos.find(call.params).to_wire()

    def cancel_algo(self, call: Call) -> object:
        return self.engine.algos.cancel(call.params)

    def open_algos(self, call: Call) -> object:
        return self.engine.algos.open_orders(self._symbol(call.params))

    # ---- account ----------------------------------------------------------------------
    def account(self, call: Call) -> object:
        return self.engine.account_info()

    def balance(self, call: Call) -> object:
        return self.engine.balances()

    def position_risk(self, call: Call) -> object:
        return self.engine.position_risk(self._symbol(call.params))

    def leverage(self, call: Call) -> object:
        symbol = self._symbol(call.params, required=True)
        leverage = call.params.integer("leverage", required=True)
        assert symbol is not None and leverage is not None
        return self.engine.change_leverage(symbol, leverage)

    def margin_type(self, call: Call) -> object:
        symbol = self._symbol(call.params, required=True)
        assert symbol is not None
        return self.engine.change_margin_type(symbol, call.params.required_text("marginType"))

    def income(self, call: Call) -> object:
        return self.engine.income(call.params)

    def user_trades(self, call: Call) -> object:
        return self.engine.orders.user_trades(call.params)

    def listen_key_new(self, call: Call) -> object:
        return {"listenKey": self.engine.listen_keys.create()}

    def listen_key_keepalive(self, call: Call) -> object:
        key = call.params.required_text("listenKey")
        self.engine.listen_keys.keepalive(key)
        return {"listenKey": key}

    def listen_key_close(self, call: Call) -> object:
        self.engine.listen_keys.close(call.params.required_text("listenKey"))
        return {}


def _limit(kind: str, interval: str, num: int, limit: int) -> dict:
    return {"rateLimitType": kind, "interval": interval, "intervalNum": num, "limit": limit}
