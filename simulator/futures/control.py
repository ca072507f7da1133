"""The futures part of the control plane (not Binance's API), for tests and demos:

POST /_sim/futures/price    {"symbol": "BTCUSDT", "price": "50000"}       the mark price now
                            {"symbol": ..., "points": [[30000, "50100"]]}  offset_ms: price
    Scripting a symbol takes it off the shared market's path until /_sim/reset.
POST /_sim/futures/funding  {"symbol": ..., "rate": "-0.0003"[, "fundingTime": ms]}
POST /_sim/futures/balance  {"amount": "10000"}                            a deposit
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any

from aiohttp import web

from simulator.core.control_bodies import BadBody, bad_request, decimal_field, int_field, json_body
from simulator.futures.matching import FuturesMatchingEngine

Handler = Callable[[web.Request], Awaitable[web.Response]]


MAX_PRICE = Decimal(10) ** 9
MAX_RATE = Decimal("0.03")  # Binance caps a funding rate at 3 % (by symbol, less)
MAX_OFFSET_MS = 30 * 86_400_000
MAX_POINTS = 1000


class FuturesControl:
    def __init__(self, engine: FuturesMatchingEngine, sync: Callable[[], object]) -> None:
        self.engine = engine
        self.sync = sync  # steps the market and the engine to now first
        self.on_change: Callable[[], None] = lambda: None

    def install(self, app: web.Application) -> None:
        app.router.add_post("/_sim/futures/price", self._handler(self.price))
        app.router.add_post("/_sim/futures/funding", self._handler(self.funding))
        app.router.add_post("/_sim/futures/balance", self._handler(self.balance))

    def _handler(self, action: Callable[[dict[str, Any]], dict[str, Any]]) -> Handler:
        async def handle(request: web.Request) -> web.Response:
            body = await json_body(request)
            self.sync()
            try:
                result = action(body)
            except BadBody as e:
                return bad_request(str(e))
            self.on_change()
            return web.json_response(result)

        return handle

    def _symbol(self, body: dict[str, Any]) -> str:
        symbol = str(body.get("symbol", "")).upper()
        if symbol not in self.engine.specs:
            raise BadBody(f"'symbol' must be one of {sorted(self.engine.specs)}")
        return symbol

    def price(self, body: dict[str, Any]) -> dict[str, Any]:
        symbol = self._symbol(body)
        script = self._points(body.get("points", []))
        if "price" in body:
            self.engine.set_price_now(symbol, _price(body["price"]))
        now = self.engine.now_ms
        self.engine.prices.script(symbol, [(now + offset, price) for offset, price in script])
        return {"symbol": symbol, "price": str(self.engine.state.mark_price(symbol))}

    @staticmethod
    def _points(points: Any) -> list[tuple[int, Decimal]]:
        if not isinstance(points, list) or len(points) > MAX_POINTS:
            raise BadBody(f"'points' are up to {MAX_POINTS} [offset_ms, price] pairs")
        if not all(isinstance(p, list) and len(p) == 2 for p in points):
            raise BadBody("'points' are [offset_ms, price] pairs")
        return [(int_field(t, "offset_ms", 1, MAX_OFFSET_MS), _price(p)) for t, p in points]

    def funding(self, body: dict[str, Any]) -> dict[str, Any]:
        symbol = self._symbol(body)
        rate = decimal_field(body.get("rate"), "rate", -MAX_RATE, MAX_RATE)
        funding_time = body.get("fundingTime")
        if funding_time is None:
            self.engine.funding.rates[symbol] = rate
        else:
            at = int_field(funding_time, "fundingTime", 0, 2**53)
            self.engine.funding.scheduled[symbol][at] = rate
        return {"symbol": symbol, "rate": f"{rate:f}"}

    def balance(self, body: dict[str, Any]) -> dict[str, Any]:
        self.engine.deposit(decimal_field(body.get("amount"), "amount", Decimal("1e-8")))
        return {"walletBalance": f"{self.engine.account.wallet_balance:f}"}


def _price(value: Any) -> Decimal:
    return decimal_field(value, "price", Decimal("1e-8"), MAX_PRICE)
