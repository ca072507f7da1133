"""More spot endpoints clients call: aggregate and historical trades, UI klines, rolling-window
tickers, the account's commission rates and order-count usage, and cancel-replace."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from simulator.core import errors
from simulator.core.context import Call, Route
from simulator.core.errors import ApiError
from simulator.core.params import Params
from simulator.core.ratelimit import RateLimiter
from simulator.feeds.candles import MINUTE_MS
from simulator.spot.request_params import (
    chosen_symbols,
    client_id,
    order_id_pair,
    required_spec,
)
from simulator.spot.rest import SpotRest
from simulator.spot.symbols import fmt8

SIGNED = "SIGNED"
WINDOW = re.compile(r"^(?P<n>[0-9]{1,2})(?P<unit>[mhd])$")
UNIT_MS = {"m": MINUTE_MS, "h": 60 * MINUTE_MS, "d": 1440 * MINUTE_MS}
UNIT_MAX = {"m": 59, "h": 23, "d": 7}
PERCENT = Decimal("0.001")


class CancelReplaceFailed(ApiError):
    """-2022 (nothing replaced, HTTP 400) or -2021 (cancelled, new order refused, HTTP 409),
    with Binance's `data` object."""

    def __init__(self, code: int, msg: str, status: int, data: dict[str, Any]) -> None:
        super().__init__(code, msg, status=status)
        self.data = data

    def body(self) -> dict[str, object]:
        return {"code": self.code, "msg": self.msg, "data": self.data}


def window_ms(params: Params) -> int:
    raw = params.text("windowSize", default="1d") or "1d"
    match = WINDOW.match(raw)
    if match is None or not 1 <= int(match["n"]) <= UNIT_MAX[match["unit"]]:
        raise errors.invalid_value("windowSize")
    return int(match["n"]) * UNIT_MS[match["unit"]]


def rolling_weight(params: Params) -> int:
    raw = params.values.get("symbols")
    count = raw.count(",") + 1 if raw else 1
    return min(4 * count, 200)


class SpotMoreRest:
    def __init__(self, rest: SpotRest, limiter: RateLimiter) -> None:
        self.rest = rest
        self.matching = rest.matching
        self.market = rest.market
        self.symbols = rest.symbols
        self.limiter = limiter

    def routes(self) -> list[Route]:
        api = "/api/v3"
        return [
            Route("GET", f"{api}/aggTrades", self.agg_trades, 4),
            Route("GET", f"{api}/historicalTrades", self.historical_trades, 25),
            Route("GET", f"{api}/uiKlines", self.rest.klines, 2),
            Route("GET", f"{api}/ticker", self.rolling_ticker, rolling_weight),
            Route("GET", f"{api}/account/commission", self.commission, 20, SIGNED),
            Route("GET", f"{api}/rateLimit/order", self.order_usage, 40, SIGNED),
            Route("POST", f"{api}/order/cancelReplace", self.cancel_replace, 1, SIGNED, True),
        ]

    # ---- trades -------------------------------------------------------------------------
    def agg_trades(self, call: Call) -> list[dict[str, Any]]:
        params = call.params
        spec = required_spec(self.symbols, params)
        limit = params.limit(500, 1000)
        from_id, start, end = (params.integer(n) for n in ("fromId", "startTime", "endTime"))
        if start is not None and end is not None and end - start > 3_600_000:
            raise ApiError(-1127, "More than 1 hours between startTime and endTime.")
        trades = self.market.recent_trades(spec.symbol, 1000)
        rows = [
            t
            for t in trades
            if (from_id is None or t.id >= from_id)
            and (start is None or t.time_ms >= start)
            and (end is None or t.time_ms <= end)
        ]
        rows = rows[:limit] if from_id is not None or start is not None else rows[-limit:]
        return [
            {
                "a": t.id, "p": fmt8(t.price), "q": fmt8(t.qty), "f": t.id, "l": t.id,
                "T": t.time_ms, "m": t.is_buyer_maker, "M": True,
            }
            for t in rows
        ]  # fmt: skip

    def historical_trades(self, call: Call) -> list[dict[str, Any]]:
        params = call.params
        from_id = params.integer("fromId")
        if from_id is None:
            return self.rest.trades(call)
        spec = required_spec(self.symbols, params)
        trades = [t for t in self.market.recent_trades(spec.symbol, 1000) if t.id >= from_id]
        return [
            {
                "id": t.id, "price": fmt8(t.price), "qty": fmt8(t.qty),
                "quoteQty": fmt8(t.price * t.qty), "time": t.time_ms,
                "isBuyerMaker": t.is_buyer_maker, "isBestMatch": True,
            }
            for t in trades[: params.limit(500, 1000)]
        ]  # fmt: skip

    # ---- rolling window ticker ----------------------------------------------------------
    def rolling_ticker(self, call: Call) -> Any:
        params = call.params
        if not params.has("symbol") and not params.has("symbols"):
            raise errors.either_mandatory("symbol", "symbols")
        specs, single = chosen_symbols(self.symbols, params)
        kind = params.enum("type", ("FULL", "MINI"), errors.invalid_value("type")) or "FULL"
        span = window_ms(params)
        rows = [self._window(s.symbol, span, call.now_ms, kind == "MINI") for s in specs]
        return rows[0] if single else rows

    def _window(self, symbol: str, span: int, now: int, mini: bool) -> dict[str, Any]:
        minutes = span // MINUTE_MS
        bars = self.market.klines(symbol, "1m", None, None, min(minutes, 10_080))
        last = self.market.last_price(symbol)
        open_price = bars[0].open if bars else last
        volume = sum((b.volume for b in bars), Decimal(0))
        quote = sum((b.quote_volume for b in bars), Decimal(0))
        count = sum(b.trades for b in bars)
        last_id = self.market.ticker_24h(symbol).last_id
        row: dict[str, Any] = {"symbol": symbol}
        if not mini:
            change = last - open_price
            row.update({
                "priceChange": fmt8(change),
                "priceChangePercent": f"{(change / open_price * 100).quantize(PERCENT):.3f}",
                "weightedAvgPrice": fmt8(quote / volume if volume else last),
            })  # fmt: skip
        row.update({
            "openPrice": fmt8(open_price),
            "highPrice": fmt8(max((b.high for b in bars), default=last)),
            "lowPrice": fmt8(min((b.low for b in bars), default=last)),
            "lastPrice": fmt8(last), "volume": fmt8(volume), "quoteVolume": fmt8(quote),
            "openTime": now - span, "closeTime": now,
            "firstId": last_id - count + 1 if count else -1,
            "lastId": last_id if count else -1, "count": count,
        })  # fmt: skip
        return row

    # ---- account ------------------------------------------------------------------------
    def commission(self, call: Call) -> dict[str, Any]:
        spec = required_spec(self.symbols, call.params)
        maker, taker, zero = (
            fmt8(self.matching.maker_fee),
            fmt8(self.matching.taker_fee),
            "0.00000000",
        )
        rates = {"maker": maker, "taker": taker, "buyer": zero, "seller": zero}
        return {
            "symbol": spec.symbol,
            "standardCommission": rates,
            "specialCommission": {"maker": zero, "taker": zero, "buyer": zero, "seller": zero},
            "taxCommission": {"maker": zero, "taker": zero, "buyer": zero, "seller": zero},
            "discount": {
                "enabledForAccount": False, "enabledForSymbol": False,
                "discountAsset": "BNB", "discount": "0.75000000",
            },
        }  # fmt: skip

    def order_usage(self, call: Call) -> list[dict[str, Any]]:
        limiter, now = self.limiter, call.now_ms
        limiter.order_headers(now)  # rolls the windows
        return [
            {"rateLimitType": "ORDERS", "interval": "SECOND", "intervalNum": 10,
             "limit": limiter.orders_per_10s, "count": limiter.orders_10s.used},
            {"rateLimitType": "ORDERS", "interval": "DAY", "intervalNum": 1,
             "limit": limiter.orders_per_day, "count": limiter.orders_day.used},
        ]  # fmt: skip

    # ---- cancel-replace -----------------------------------------------------------------
    def cancel_replace(self, call: Call) -> dict[str, Any]:
        params = call.params
        spec = required_spec(self.symbols, params)
        mode = params.enum(
            "cancelReplaceMode", ("STOP_ON_FAILURE", "ALLOW_FAILURE"),
            errors.invalid_value("cancelReplaceMode"), required=True,
        )  # fmt: skip
        order_id, orig = order_id_pair(params, "cancelOrigClientOrderId", "cancelOrderId")
        cancel_id = client_id(params, "cancelNewClientOrderId")
        try:
            order, cid = self.matching.cancel(spec.symbol, order_id, orig, cancel_id)
            cancel = order.to_cancel(call.now_ms, cid)
        except ApiError as e:
            if mode == "STOP_ON_FAILURE":
                raise CancelReplaceFailed(-2022, "Order cancel-replace failed.", 400, {
                    "cancelResult": "FAILURE", "newOrderResult": "NOT_ATTEMPTED",
                    "cancelResponse": e.body(), "newOrderResponse": None,
                }) from e  # fmt: skip
            cancel = e.body()
        try:
            placed = self.rest.new_order(call)
        except ApiError as e:
            raise CancelReplaceFailed(-2021, "Order cancel-replace partially failed.", 409, {
                "cancelResult": "SUCCESS" if "orderId" in cancel else "FAILURE",
                "newOrderResult": "FAILURE", "cancelResponse": cancel,
                "newOrderResponse": e.body(),
            }) from e  # fmt: skip
        return {
            "cancelResult": "SUCCESS" if "orderId" in cancel else "FAILURE",
            "newOrderResult": "SUCCESS", "cancelResponse": cancel, "newOrderResponse": placed,
        }  # fmt: skip
