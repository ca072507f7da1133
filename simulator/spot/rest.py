"""Binance spot REST endpoints (/api/v3/...): market data and the signed account endpoints."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from simulator.core import errors
from simulator.core.context import Call
from simulator.core.errors import ApiError
from simulator.feeds.candles import INTERVALS
from simulator.spot.matching import SpotMatchingEngine
from simulator.spot.orders import Order
from simulator.spot.request_params import (
    chosen_symbols,
    client_id,
    default_resp_type,
    order_id_pair,
    order_request,
    required_spec,
    symbol_spec,
    time_range,
)
from simulator.spot.symbols import SymbolSpec, fmt8


class SpotRest:
    """Handlers bound to one matching engine; each takes a Call and returns Binance's JSON."""

    def __init__(self, matching: SpotMatchingEngine) -> None:
        self.matching = matching
        self.symbols = matching.symbols
        self.market = matching.market

    # ---- market data ------------------------------------------------------------------
    def ping(self, call: Call) -> dict[str, Any]:
        return {}

    def time(self, call: Call) -> dict[str, Any]:
        return {"serverTime": call.now_ms}

    def exchange_info(self, call: Call, rate_limits: list[dict[str, Any]]) -> dict[str, Any]:
        specs, _ = chosen_symbols(self.symbols, call.params)
        return self.symbols.exchange_info(call.now_ms, rate_limits, [s.symbol for s in specs])

    def depth(self, call: Call) -> dict[str, Any]:
        spec = required_spec(self.symbols, call.params)
        limit = call.params.limit(100, 5000)
        bids, asks = self.matching.book(spec.symbol).depth(limit)
        return {
            "lastUpdateId": self.matching.book_update_id(spec.symbol),
            "bids": [[fmt8(lv.price), fmt8(lv.qty)] for lv in bids],
            "asks": [[fmt8(lv.price), fmt8(lv.qty)] for lv in asks],
        }

    def trades(self, call: Call) -> list[dict[str, Any]]:
        spec = required_spec(self.symbols, call.params)
        limit = call.params.limit(500, 1000)
        return [
            {
                "id": t.id,
                "price": fmt8(t.price),
                "qty": fmt8(t.qty),
                "quoteQty": fmt8(t.price * t.qty),
                "time": t.time_ms,
                "isBuyerMaker": t.is_buyer_maker,
                "isBestMatch": True,
            }
            for t in self.market.recent_trades(spec.symbol, limit)
        ]

    def klines(self, call: Call) -> list[list[Any]]:
        spec = required_spec(self.symbols, call.params)
        interval = call.params.text("interval", required=True)
        if interval not in INTERVALS:
            raise ApiError(-1120, "Invalid interval.")
        start, end = time_range(call.params)
        limit = call.params.limit(500, 1000)
        bars = self.market.klines(spec.symbol, interval, start, end, limit)
        return [bar.to_binance() for bar in bars]

    def _ticker(self, spec: SymbolSpec, mini: bool) -> dict[str, Any]:
        t = self.market.ticker_24h(spec.symbol)
        data: dict[str, Any] = {"symbol": spec.symbol}
        if not mini:
            book = self.matching.book(spec.symbol)
            data.update(
                {
                    "priceChange": fmt8(t.price_change),
                    "priceChangePercent": f"{t.price_change_percent:.3f}",
                    "weightedAvgPrice": fmt8(t.weighted_avg_price),
                    "prevClosePrice": fmt8(t.prev_close_price),
                    "lastPrice": fmt8(t.last_price),
                    "lastQty": fmt8(t.last_qty),
                    "bidPrice": fmt8(book.best_bid()),
                    "bidQty": fmt8(book.best_bid_qty()),
                    "askPrice": fmt8(book.best_ask()),
                    "askQty": fmt8(book.best_ask_qty()),
                }
            )
        else:
            data["lastPrice"] = fmt8(t.last_price)
        data.update(
            {
                "openPrice": fmt8(t.open_price),
                "highPrice": fmt8(t.high_price),
                "lowPrice": fmt8(t.low_price),
                "volume": fmt8(t.volume),
                "quoteVolume": fmt8(t.quote_volume),
                "openTime": t.open_time,
                "closeTime": t.close_time,
                "firstId": t.first_id,
                "lastId": t.last_id,
                "count": t.count,
            }
        )
        return data

    def ticker_24h(self, call: Call) -> Any:
        specs, single = chosen_symbols(self.symbols, call.params)
        kind = call.params.enum("type", ("FULL", "MINI"), errors.invalid_value("type")) or "FULL"
        rows = [self._ticker(s, kind == "MINI") for s in specs]
        return rows[0] if single else rows

    def ticker_price(self, call: Call) -> Any:
        specs, single = chosen_symbols(self.symbols, call.params)
        rows = [
            {"symbol": s.symbol, "price": fmt8(self.market.last_price(s.symbol))} for s in specs
        ]
        return rows[0] if single else rows

    def book_ticker(self, call: Call) -> Any:
        specs, single = chosen_symbols(self.symbols, call.params)
        rows = []
        for s in specs:
            book = self.matching.book(s.symbol)
            rows.append(
                {
                    "symbol": s.symbol,
                    "bidPrice": fmt8(book.best_bid()),
                    "bidQty": fmt8(book.best_bid_qty()),
                    "askPrice": fmt8(book.best_ask()),
                    "askQty": fmt8(book.best_ask_qty()),
                }
            )
        return rows[0] if single else rows

    def avg_price(self, call: Call) -> dict[str, Any]:
        spec = required_spec(self.symbols, call.params)
        return {
            "mins": spec.avg_price_mins,
            "price": fmt8(self.matching.reference_price(spec.symbol)),
            "closeTime": call.now_ms,
        }

    # ---- trading ----------------------------------------------------------------------
    def new_order(self, call: Call) -> dict[str, Any]:
        req = order_request(self.symbols, call.params)
        resp_type = call.params.text("newOrderRespType") or default_resp_type(req.type)
        order, fills = self.matching.place(req)
        if resp_type == "ACK":
            return order.to_ack(order.time)
        if resp_type == "RESULT":
            return order.to_result(order.time)
        return order.to_full(order.time, fills)

    def test_order(self, call: Call) -> dict[str, Any]:
        req = order_request(self.symbols, call.params)
        self.matching.validate(req)
        if call.params.boolean("computeCommissionRates"):
            maker, taker = fmt8(self.matching.maker_fee), fmt8(self.matching.taker_fee)
            return {
                "standardCommissionForOrder": {"maker": maker, "taker": taker},
                "taxCommissionForOrder": {"maker": fmt8(Decimal(0)), "taker": fmt8(Decimal(0))},
                "discount": {
                    "enabledForAccount": False,
                    "enabledForSymbol": False,
                    "discountAsset": "BNB",
                    "discount": "0.25000000",
                },
            }
        return {}

    def query_order(self, call: Call) -> dict[str, Any]:
        spec = required_spec(self.symbols, call.params)
        order_id, orig = order_id_pair(call.params)
        order = self.matching.store.find(spec.symbol, order_id, orig)
        if order is None:
            raise errors.no_such_order()
        return order.to_query()

    def cancel_order(self, call: Call) -> dict[str, Any]:
        spec = required_spec(self.symbols, call.params)
        order_id, orig = order_id_pair(call.params)
        cancel_id = client_id(call.params, "newClientOrderId")
        order, cancel_client_id = self.matching.cancel(spec.symbol, order_id, orig, cancel_id)
        return order.to_cancel(call.now_ms, cancel_client_id)

    def open_orders(self, call: Call) -> list[dict[str, Any]]:
        spec = symbol_spec(self.symbols, call.params, required=False)
        return [
            o.to_query() for o in self.matching.store.open_orders(spec.symbol if spec else None)
        ]

    def cancel_open_orders(self, call: Call) -> list[dict[str, Any]]:
        spec = required_spec(self.symbols, call.params)
        return [o.to_cancel(call.now_ms, cid) for o, cid in self.matching.cancel_all(spec.symbol)]

    def all_orders(self, call: Call) -> list[dict[str, Any]]:
        spec = required_spec(self.symbols, call.params)
        from_id = call.params.integer("orderId")
        start, end = time_range(call.params)
        limit = call.params.limit(500, 1000)
        orders = [
            o
            for o in self.matching.store.orders_of(spec.symbol)
            if _in_window(o, from_id, start, end)
        ]
        return [o.to_query() for o in (orders[:limit] if from_id or start else orders[-limit:])]

    def my_trades(self, call: Call) -> list[dict[str, Any]]:
        spec = required_spec(self.symbols, call.params)
        order_id, from_id = call.params.integer("orderId"), call.params.integer("fromId")
        start, end = time_range(call.params)
        limit = call.params.limit(500, 1000)
        rows = [
            r
            for r in self.matching.store.trades_of(spec.symbol)
            if (order_id is None or r["orderId"] == order_id)
            and (from_id is None or r["id"] >= from_id)
            and (start is None or r["time"] >= start)
            and (end is None or r["time"] <= end)
        ]
        return rows[:limit] if from_id is not None or start is not None else rows[-limit:]

    def account(self, call: Call) -> dict[str, Any]:
        omit = bool(call.params.boolean("omitZeroBalances"))
        maker, taker = self.matching.maker_fee, self.matching.taker_fee
        return {
            "makerCommission": int(maker * 10000),
            "takerCommission": int(taker * 10000),
            "buyerCommission": 0,
            "sellerCommission": 0,
            "commissionRates": {
                "maker": fmt8(maker),
                "taker": fmt8(taker),
                "buyer": fmt8(Decimal(0)),
                "seller": fmt8(Decimal(0)),
            },
            "canTrade": True,
            "canWithdraw": True,
            "canDeposit": True,
            "brokered": False,
            "requireSelfTradePrevention": False,
            "preventSor": False,
            "updateTime": call.now_ms,
            "accountType": "SPOT",
            "balances": self.matching.balances.rows(omit_zero=omit),
            "permissions": ["SPOT"],
            "uid": 1,
        }


def _in_window(order: Order, from_id: int | None, start: int | None, end: int | None) -> bool:
    return (
        (from_id is None or order.order_id >= from_id)
        and (start is None or order.time >= start)
        and (end is None or order.time <= end)
    )
