"""The futures part of the control plane (not Binance's API), for tests and demos:

POST /_sim/futures/price    {"symbol": "BTCUSDT", "price": "50000"}       the mark price now
                            {"symbol": ..., "points": [[30000, "50100"]]}  offset_ms: price
    Scripting a symbol takes it off the shared market's path until /_sim/reset.
POST /_sim/futures/funding  {"symbol": ..., "rate": "-0.0003"[, "fundingTime": ms]}
POST /_sim/futures/balance  {"amount": "10000"}                            a deposit
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from decimal import Decimal, InvalidOperation
from typing import Any

from aiohttp import web

from simulator.core.control import bad_request, json_body
from simulator.futures.matching import FuturesMatchingEngine

Handler = Callable[[web.Request], Awaitable[web.Response]]


class BadBody(ValueError):
    """A control body that does not say what it must."""


def _amount(value: Any, name: str, positive: bool = True) -> Decimal:
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise BadBody(f"'{name}' must be a number") from None
    if not amount.is_finite() or (positive and amount <= 0):
        raise BadBody(f"'{name}' must be a finite{' positive' if positive else ''} number")
    return amount


def _offset(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise BadBody("'points' are [offset_ms > 0, price] pairs")
    return value


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
        points = body.get("points", [])
        if not isinstance(points, list) or not all(
            isinstance(p, list) and len(p) == 2 for p in points
        ):
            raise BadBody("'points' are [offset_ms > 0, price] pairs")
        script = [(_offset(t), _amount(p, "price")) for t, p in points]
        if "price" in body:
            self.engine.set_price_now(symbol, _amount(body["price"], "price"))
        now = self.engine.now_ms
        self.engine.prices.script(symbol, [(now + offset, price) for offset, price in script])
        return {"symbol": symbol, "price": str(self.engine.state.mark_price(symbol))}

    def funding(self, body: dict[str, Any]) -> dict[str, Any]:
        symbol = self._symbol(body)
        rate = _amount(body.get("rate"), "rate", positive=False)
        funding_time = body.get("fundingTime")
        if funding_time is None:
            self.engine.funding.rates[symbol] = rate
        elif isinstance(funding_time, int) and not isinstance(funding_time, bool):
            self.engine.funding.scheduled[symbol][funding_time] = rate
        else:
            raise BadBody("'fundingTime' must be a time in ms")
        return {"symbol": symbol, "rate": f"{rate:f}"}

    def balance(self, body: dict[str, Any]) -> dict[str, Any]:
        self.engine.deposit(_amount(body.get("amount"), "amount"))
        return {"walletBalance": f"{self.engine.account.wallet_balance:f}"}
