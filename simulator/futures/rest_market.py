"""USD-M public market data beyond klines and tickers: the book snapshot, the tape, mark / index /
premium klines, funding history and settings, prices, book tops and open interest."""

from __future__ import annotations

from decimal import ROUND_DOWN, Decimal
from typing import Any

from simulator.core import errors
from simulator.core.context import Call, Route
from simulator.core.errors import ApiError
from simulator.core.params import Params
from simulator.feeds.market import Market
from simulator.feeds.orderbook import BookSet
from simulator.futures import market_data
from simulator.futures.funding import FUNDING_INTERVAL_MS
from simulator.futures.matching import FuturesMatchingEngine
from simulator.futures.order_types import fmt
from simulator.futures.tape import FuturesTape, TapeTrade

DEPTH_LIMITS = (5, 10, 20, 50, 100, 500, 1000)
KEYED = "API_KEY"


def depth_weight(params: Params) -> int:
    raw = params.values.get("limit", "500")
    limit = int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 6 else 500
    return 2 if limit <= 50 else 5 if limit <= 100 else 10 if limit <= 500 else 20


def kline_weight(params: Params) -> int:
    raw = params.values.get("limit", "500")
    limit = int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 6 else 500
    return 1 if limit < 100 else 2 if limit < 500 else 5 if limit <= 1000 else 10


def one_or_all(params: Params, one: int, every: int) -> int:
    return one if params.has("symbol") else every


def price_weight(params: Params) -> int:
    return one_or_all(params, 1, 2)


def book_ticker_weight(params: Params) -> int:
    return one_or_all(params, 2, 5)


class FuturesMarketRest:
    def __init__(
        self, engine: FuturesMatchingEngine, market: Market, books: BookSet, tape: FuturesTape
    ) -> None:
        self.engine = engine
        self.market = market
        self.books = books
        self.tape = tape

    def routes(self) -> list[Route]:
        v1, v2 = "/fapi/v1", "/fapi/v2"
        return [
            Route("GET", f"{v1}/depth", self.depth, depth_weight),
            Route("GET", f"{v1}/trades", self.trades, 5),
            Route("GET", f"{v1}/historicalTrades", self.historical_trades, 20, KEYED),
            Route("GET", f"{v1}/aggTrades", self.agg_trades, 20),
            Route("GET", f"{v1}/markPriceKlines", self.price_klines, kline_weight),
            Route("GET", f"{v1}/indexPriceKlines", self.index_klines, kline_weight),
            Route("GET", f"{v1}/premiumIndexKlines", self.premium_klines, kline_weight),
            Route("GET", f"{v1}/fundingRate", self.funding_rate, 1),
            Route("GET", f"{v1}/fundingInfo", self.funding_info, 1),
            Route("GET", f"{v1}/ticker/price", self.price, price_weight),
            Route("GET", f"{v2}/ticker/price", self.price, price_weight),
            Route("GET", f"{v1}/ticker/bookTicker", self.book_ticker, book_ticker_weight),
            Route("GET", f"{v1}/openInterest", self.open_interest, 1),
        ]  # fmt: skip

    def _symbol(self, params: Params, required: bool = True, name: str = "symbol") -> str:
        symbol = params.symbol(self.engine.specs, required, name)
        if symbol:
            self.tape.follow_market({symbol})  # the market's newest trades are on the tape
        return symbol or ""

    # ---- the book and the tape ----------------------------------------------------------
    def depth(self, call: Call) -> dict[str, Any]:
        symbol = self._symbol(call.params)
        limit = call.params.integer("limit") or 500
        if limit not in DEPTH_LIMITS:
            raise errors.invalid_value("limit")
        book = self.books.book(symbol)
        bids, asks = book.depth(limit)
        return {
            "lastUpdateId": book.update_id,
            "E": call.now_ms,
            "T": call.now_ms,
            "bids": [[fmt(lv.price), fmt(lv.qty)] for lv in bids],
            "asks": [[fmt(lv.price), fmt(lv.qty)] for lv in asks],
        }

    def trades(self, call: Call) -> list[dict[str, Any]]:
        symbol = self._symbol(call.params)
        return [_trade_row(t) for t in self.tape.recent(symbol, call.params.limit(500, 1000))]

    def historical_trades(self, call: Call) -> list[dict[str, Any]]:
        symbol = self._symbol(call.params)
        limit = call.params.limit(100, 500)
        from_id = call.params.integer("fromId")
        rows = (
            self.tape.recent(symbol, limit)
            if from_id is None
            else self.tape.from_id(symbol, from_id, limit)
        )
        return [_trade_row(t) for t in rows]

    def agg_trades(self, call: Call) -> list[dict[str, Any]]:
        params = call.params
        symbol = self._symbol(params)
        limit = params.limit(500, 1000)
        from_id, start, end = (
            params.integer("fromId"),
            params.integer("startTime"),
            params.integer("endTime"),
        )
        if start is not None and end is not None and end - start > 3_600_000:
            raise ApiError(-1127, "More than 1 hours between startTime and endTime.")
        if from_id is not None:
            rows = self.tape.from_id(symbol, from_id, limit)
        else:
            rows = self.tape.between(symbol, start, end, limit)
        return [
            {
                "a": t.id, "p": fmt(t.price), "q": fmt(t.qty), "nq": fmt(t.qty), "f": t.id,
                "l": t.id, "T": t.time_ms, "m": t.is_buyer_maker,
            }
            for t in rows
        ]  # fmt: skip

    # ---- price klines -------------------------------------------------------------------
    def _bars(self, params: Params, symbol: str) -> list[Any]:
        interval = params.required_text("interval")
        if interval not in market_data.KLINE_INTERVALS:
            raise ApiError(-1120, "Invalid interval.")
        limit = params.integer("limit") or 500
        if not 1 <= limit <= 1500:
            raise errors.invalid_value("limit")
        start, end = params.integer("startTime"), params.integer("endTime")
        return self.market.klines(symbol, interval, start, end, limit)

    def price_klines(self, call: Call) -> list[list[Any]]:
        """markPriceKlines: the mark follows the shared market's path here."""
        return [_price_row(b) for b in self._bars(call.params, self._symbol(call.params))]

    def index_klines(self, call: Call) -> list[list[Any]]:
        pair = self._symbol(call.params, name="pair")
        return [_price_row(b) for b in self._bars(call.params, pair)]

    def premium_klines(self, call: Call) -> list[list[Any]]:
        """The premium of the mark over the index: nil, as both are the market's price."""
        zero = "0.00000000"
        return [
            [b.open_time, zero, zero, zero, zero, "0", b.close_time, "0", 0, "0", "0", "0"]
            for b in self._bars(call.params, self._symbol(call.params))
        ]

    # ---- funding ------------------------------------------------------------------------
    def funding_rate(self, call: Call) -> list[dict[str, Any]]:
        params = call.params
        symbol = self._symbol(params, required=False)
        symbols = [symbol] if symbol else list(self.engine.specs)
        limit = params.limit(100, 1000)
        start, end = params.integer("startTime"), params.integer("endTime")
        last = self.engine.funding.next_time() - FUNDING_INTERVAL_MS
        last = min(last, end) // FUNDING_INTERVAL_MS * FUNDING_INTERVAL_MS if end else last
        first = last - (limit - 1) * FUNDING_INTERVAL_MS
        if start is not None:
            first = max(first, -(-start // FUNDING_INTERVAL_MS) * FUNDING_INTERVAL_MS)
        rows = []
        for t in range(first, last + 1, FUNDING_INTERVAL_MS):
            for s in symbols:
                bars = self.market.klines(s, "1m", t, None, 1)
                mark = bars[0].open if bars else self.engine.state.mark_price(s)
                rows.append({
                    "symbol": s, "fundingRate": f"{self.engine.funding.rate_at(s, t):.8f}",
                    "fundingTime": t, "markPrice": fmt(mark),
                })  # fmt: skip
        return rows[-limit:]

    def funding_info(self, call: Call) -> list[dict[str, Any]]:
        return [
            {
                "symbol": s, "adjustedFundingRateCap": "0.02000000",
                "adjustedFundingRateFloor": "-0.02000000", "fundingIntervalHours": 8,
                "disclaimer": False,
            }
            for s in self.engine.specs
        ]  # fmt: skip

    # ---- prices -------------------------------------------------------------------------
    def _each(self, params: Params) -> tuple[list[str], bool]:
        symbol = self._symbol(params, required=False)
        return ([symbol], True) if symbol else (list(self.engine.specs), False)

    def price(self, call: Call) -> Any:
        symbols, single = self._each(call.params)
        rows = [
            {"symbol": s, "price": fmt(self.market.last_price(s)), "time": call.now_ms}
            for s in symbols
        ]
        return rows[0] if single else rows

    def book_ticker(self, call: Call) -> Any:
        symbols, single = self._each(call.params)
        rows = []
        for s in symbols:
            book = self.books.book(s)
            rows.append({
                "symbol": s, "bidPrice": fmt(book.best_bid()), "bidQty": fmt(book.best_bid_qty()),
                "askPrice": fmt(book.best_ask()), "askQty": fmt(book.best_ask_qty()),
                "time": call.now_ms, "lastUpdateId": book.update_id,
            })  # fmt: skip
        return rows[0] if single else rows

    def open_interest(self, call: Call) -> dict[str, Any]:
        """About a quarter of a day's volume is open, plus the paper account's positions."""
        symbol = self._symbol(call.params)
        step = self.engine.specs[symbol].step_size
        day = self.market.ticker_24h(symbol).volume / 4
        own = sum(
            (abs(p.amount) for p in self.engine.account.positions.values() if p.symbol == symbol),
            Decimal(0),
        )
        total = ((day + own) / step).to_integral_value(rounding=ROUND_DOWN) * step
        return {"openInterest": fmt(total) or "0", "symbol": symbol, "time": call.now_ms}


def _trade_row(t: TapeTrade) -> dict[str, Any]:
    return {
        "id": t.id,
        "price": fmt(t.price),
        "qty": fmt(t.qty),
        "quoteQty": fmt(t.price * t.qty),
        "time": t.time_ms,
        "isBuyerMaker": t.is_buyer_maker,
    }


def _price_row(bar: Any) -> list[Any]:
    return [
        bar.open_time, fmt(bar.open), fmt(bar.high), fmt(bar.low), fmt(bar.close), "0",
        bar.close_time, "0", 0, "0", "0", "0",
    ]  # fmt: skip
