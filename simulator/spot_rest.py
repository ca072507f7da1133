"""Binance spot REST endpoints (/api/v3/...): market data and the signed account endpoints."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import orjson

from simulator import errors
from simulator.context import Call
from simulator.errors import ApiError
from simulator.exchange import OrderRequest, SpotExchange
from simulator.orders import Order
from simulator.params import Params
from simulator.symbols import ORDER_TYPES, SymbolSpec, SymbolTable, fmt8

INTERVALS = (
    "1s",
    "1m",
    "3m",
    "5m",
    "15m",
    "30m",
    "1h",
    "2h",
    "4h",
    "6h",
    "8h",
    "12h",
    "1d",
    "3d",
    "1w",
    "1M",
)
SYMBOL_RANGE = "^[A-Z0-9-_.]{1,20}$"
SYMBOLS_RANGE = '^\\[("[A-Z0-9-_.]{1,20}"(,"[A-Z0-9-_.]{1,20}"){0,}){0,1}\\]$'
CLIENT_ID_RANGE = "^[a-zA-Z0-9-_]{1,36}$"
_SYMBOL = re.compile(SYMBOL_RANGE)
_SYMBOLS = re.compile(SYMBOLS_RANGE)
_CLIENT_ID = re.compile(CLIENT_ID_RANGE)
SIDES = ("BUY", "SELL")
TIFS = ("GTC", "IOC", "FOK")
RESP_TYPES = ("ACK", "RESULT", "FULL")


# ---- parameter helpers ----------------------------------------------------------------------
def symbol_spec(symbols: SymbolTable, params: Params, required: bool = True) -> SymbolSpec | None:
    name = params.text("symbol", required=required)
    if name is None:
        return None
    if not _SYMBOL.match(name):
        raise errors.illegal_chars("symbol", SYMBOL_RANGE)
    spec = symbols.get(name)
    if spec is None:
        raise errors.invalid_symbol()
    return spec


def symbol_list(symbols: SymbolTable, params: Params) -> list[SymbolSpec] | None:
    """`symbols=["BTCUSDT","ETHUSDT"]`, or None when absent."""
    raw = params.text("symbols", max_len=20_000)
    if raw is None:
        return None
    if not _SYMBOLS.match(raw):
        raise errors.illegal_chars("symbols", SYMBOLS_RANGE)
    names = orjson.loads(raw)
    if not names:
        raise errors.mandatory("symbols")
    specs = [symbols.get(n) for n in names]
    if any(s is None for s in specs):
        raise errors.invalid_symbol()
    return [s for s in specs if s is not None]


def chosen_symbols(symbols: SymbolTable, params: Params) -> tuple[list[SymbolSpec], bool]:
    """(specs, single): `symbol`, else `symbols`, else every symbol."""
    if params.has("symbol") and params.has("symbols"):
        raise ApiError(-1101, "Too many parameters; expected 'symbol' or 'symbols'.")
    single = symbol_spec(symbols, params, required=False)
    if single is not None:
        return [single], True
    many = symbol_list(symbols, params)
    return (many if many is not None else list(symbols.specs.values())), False


def client_id(params: Params, name: str) -> str | None:
    value = params.values.get(name)
    if value is None:
        return None
    if value == "":
        raise ApiError(
            -1118 if name == "newClientOrderId" else -1119,
            "New order client ID was empty."
            if name == "newClientOrderId"
            else "Original order client ID was empty.",
        )
    if not _CLIENT_ID.match(value):
        raise errors.illegal_chars(name, CLIENT_ID_RANGE)
    return value


def many_weight(params: Params, one: int, many: int, all_: int) -> int:
    if params.has("symbol"):
        return one
    if params.has("symbols"):
        return many
    return all_


def depth_weight(params: Params) -> int:
    raw = params.values.get("limit", "")
    limit = int(raw) if raw.isdigit() and len(raw) < 10 else 100
    for bound, weight in ((100, 5), (500, 25), (1000, 50)):
        if limit <= bound:
            return weight
    return 250


def ticker_weight(params: Params) -> int:
    if params.has("symbol"):
        return 2
    raw = params.values.get("symbols")
    if raw is None:
        return 80
    count = raw.count(",") + 1
    return 2 if count <= 20 else 40 if count <= 100 else 80


# ---- order parameters -----------------------------------------------------------------------
def forbid(params: Params, name: str, code: int = -1106) -> None:
    if params.has(name):
        if code == -1114:
            raise ApiError(-1114, "TimeInForce parameter sent when not required.")
        raise errors.not_required(name)


def order_request(symbols: SymbolTable, params: Params) -> OrderRequest:
    """Parses and cross-checks POST /api/v3/order parameters (Binance's -11xx checks)."""
    spec = symbol_spec(symbols, params)
    assert spec is not None
    side = params.enum("side", SIDES, ApiError(-1117, "Invalid side."), required=True)
    order_type = params.enum(
        "type", ORDER_TYPES, ApiError(-1116, "Invalid orderType."), required=True
    )
    tif = params.enum("timeInForce", TIFS, ApiError(-1115, "Invalid timeInForce."))
    quantity = params.decimal("quantity")
    quote_qty = params.decimal("quoteOrderQty")
    price = params.decimal("price")
    stop_price = params.decimal("stopPrice")
    if params.has("trailingDelta"):
        raise ApiError(-1014, "Unsupported order combination.")
    if params.has("icebergQty") and (params.decimal("icebergQty") or 0) > 0:
        raise ApiError(-1014, "Unsupported order combination.")
    params.enum("newOrderRespType", RESP_TYPES, errors.invalid_value("newOrderRespType"))
    _check_combination(params, order_type or "", quantity, quote_qty)
    return OrderRequest(
        spec=spec,
        side=side or "",
        type=order_type or "",
        time_in_force=tif,
        quantity=quantity,
        quote_qty=quote_qty,
        price=price,
        stop_price=stop_price,
        client_order_id=client_id(params, "newClientOrderId"),
    )


def _check_combination(
    params: Params, order_type: str, quantity: Decimal | None, quote_qty: Decimal | None
) -> None:
    needs_price = order_type in ("LIMIT", "LIMIT_MAKER", "STOP_LOSS_LIMIT", "TAKE_PROFIT_LIMIT")
    needs_tif = order_type in ("LIMIT", "STOP_LOSS_LIMIT", "TAKE_PROFIT_LIMIT")
    needs_stop = order_type in ("STOP_LOSS", "STOP_LOSS_LIMIT", "TAKE_PROFIT", "TAKE_PROFIT_LIMIT")
    if order_type == "MARKET":
        if quantity is None and quote_qty is None:
            raise errors.either_mandatory("quantity", "quoteOrderQty")
        if quantity is not None and quote_qty is not None:
            raise errors.not_required("quoteOrderQty")
    else:
        forbid(params, "quoteOrderQty")
        if quantity is None:
            raise errors.mandatory("quantity")
    if needs_tif and not params.has("timeInForce"):
        raise errors.mandatory("timeInForce")
    if not needs_tif:
        forbid(params, "timeInForce", code=-1114)
    if needs_price and not params.has("price"):
        raise errors.mandatory("price")
    if not needs_price:
        forbid(params, "price")
    if needs_stop and not params.has("stopPrice"):
        raise errors.mandatory("stopPrice")
    if not needs_stop:
        forbid(params, "stopPrice")


def default_resp_type(order_type: str) -> str:
    return "FULL" if order_type in ("MARKET", "LIMIT") else "ACK"


def order_id_pair(
    params: Params, orig_name: str = "origClientOrderId"
) -> tuple[int | None, str | None]:
    order_id = params.integer("orderId")
    orig = client_id(params, orig_name)
    if order_id is None and orig is None:
        raise errors.either_mandatory("orderId", orig_name)
    return order_id, orig


def time_range(params: Params) -> tuple[int | None, int | None]:
    start, end = params.integer("startTime"), params.integer("endTime")
    if start is not None and end is not None and start > end:
        raise ApiError(-1023, "Start time is greater than end time.")
    return start, end


class SpotRest:
    """Handlers bound to one exchange; each takes a Call and returns Binance's JSON."""

    def __init__(self, exchange: SpotExchange) -> None:
        self.exchange = exchange
        self.symbols = exchange.symbols
        self.market = exchange.market

    # ---- market data ------------------------------------------------------------------
    def ping(self, call: Call) -> dict[str, Any]:
        return {}

    def time(self, call: Call) -> dict[str, Any]:
        return {"serverTime": call.now_ms}

    def exchange_info(self, call: Call, rate_limits: list[dict[str, Any]]) -> dict[str, Any]:
        specs, _ = chosen_symbols(self.symbols, call.params)
        return self.symbols.exchange_info(call.now_ms, rate_limits, [s.symbol for s in specs])

    def depth(self, call: Call) -> dict[str, Any]:
        spec = symbol_spec(self.symbols, call.params)
        assert spec is not None
        limit = call.params.limit(100, 5000)
        bids, asks = self.exchange.book(spec.symbol).depth(limit)
        return {
            "lastUpdateId": self.exchange.book_update_id(spec.symbol),
            "bids": [[fmt8(lv.price), fmt8(lv.qty)] for lv in bids],
            "asks": [[fmt8(lv.price), fmt8(lv.qty)] for lv in asks],
        }

    def trades(self, call: Call) -> list[dict[str, Any]]:
        spec = symbol_spec(self.symbols, call.params)
        assert spec is not None
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
        spec = symbol_spec(self.symbols, call.params)
        assert spec is not None
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
            book = self.exchange.book(spec.symbol)
            data.update(
                {
                    "priceChange": fmt8(t.price_change),
                    "priceChangePercent": f"{t.price_change_percent:.3f}",
                    "weightedAvgPrice": fmt8(t.weighted_avg_price),
                    "prevClosePrice": fmt8(t.prev_close_price),
                    "lastPrice": fmt8(t.last_price),
                    "lastQty": fmt8(t.last_qty),
                    "bidPrice": fmt8(book.best_bid()),
                    "bidQty": fmt8(book.unit),
                    "askPrice": fmt8(book.best_ask()),
                    "askQty": fmt8(book.unit),
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
            book = self.exchange.book(s.symbol)
            rows.append(
                {
                    "symbol": s.symbol,
                    "bidPrice": fmt8(book.best_bid()),
                    "bidQty": fmt8(book.unit),
                    "askPrice": fmt8(book.best_ask()),
                    "askQty": fmt8(book.unit),
                }
            )
        return rows[0] if single else rows

    def avg_price(self, call: Call) -> dict[str, Any]:
        spec = symbol_spec(self.symbols, call.params)
        assert spec is not None
        return {
            "mins": spec.avg_price_mins,
            "price": fmt8(self.exchange.reference_price(spec.symbol)),
            "closeTime": call.now_ms,
        }

    # ---- trading ----------------------------------------------------------------------
    def new_order(self, call: Call) -> dict[str, Any]:
        req = order_request(self.symbols, call.params)
        resp_type = call.params.text("newOrderRespType") or default_resp_type(req.type)
        order, fills = self.exchange.place(req)
        if resp_type == "ACK":
            return order.to_ack(order.time)
        if resp_type == "RESULT":
            return order.to_result(order.time)
        return order.to_full(order.time, fills)

    def test_order(self, call: Call) -> dict[str, Any]:
        req = order_request(self.symbols, call.params)
        self.exchange.validate(req)
        if call.params.boolean("computeCommissionRates"):
            maker, taker = fmt8(self.exchange.maker_fee), fmt8(self.exchange.taker_fee)
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
        spec = symbol_spec(self.symbols, call.params)
        assert spec is not None
        order_id, orig = order_id_pair(call.params)
        order = self.exchange.find(spec.symbol, order_id, orig)
        if order is None:
            raise errors.no_such_order()
        return order.to_query()

    def cancel_order(self, call: Call) -> dict[str, Any]:
        spec = symbol_spec(self.symbols, call.params)
        assert spec is not None
        order_id, orig = order_id_pair(call.params)
        cancel_id = client_id(call.params, "newClientOrderId")
        order, cancel_client_id = self.exchange.cancel(spec.symbol, order_id, orig, cancel_id)
        return order.to_cancel(call.now_ms, cancel_client_id)

    def open_orders(self, call: Call) -> list[dict[str, Any]]:
        spec = symbol_spec(self.symbols, call.params, required=False)
        return [o.to_query() for o in self.exchange.open_orders(spec.symbol if spec else None)]

    def cancel_open_orders(self, call: Call) -> list[dict[str, Any]]:
        spec = symbol_spec(self.symbols, call.params)
        assert spec is not None
        return [o.to_cancel(call.now_ms, cid) for o, cid in self.exchange.cancel_all(spec.symbol)]

    def all_orders(self, call: Call) -> list[dict[str, Any]]:
        spec = symbol_spec(self.symbols, call.params)
        assert spec is not None
        from_id = call.params.integer("orderId")
        start, end = time_range(call.params)
        limit = call.params.limit(500, 1000)
        orders = [
            o for o in self.exchange.orders_of(spec.symbol) if _in_window(o, from_id, start, end)
        ]
        return [o.to_query() for o in (orders[:limit] if from_id or start else orders[-limit:])]

    def my_trades(self, call: Call) -> list[dict[str, Any]]:
        spec = symbol_spec(self.symbols, call.params)
        assert spec is not None
        order_id, from_id = call.params.integer("orderId"), call.params.integer("fromId")
        start, end = time_range(call.params)
        limit = call.params.limit(500, 1000)
        rows = [
            r
            for r in self.exchange.trades_of(spec.symbol)
            if (order_id is None or r["orderId"] == order_id)
            and (from_id is None or r["id"] >= from_id)
            and (start is None or r["time"] >= start)
            and (end is None or r["time"] <= end)
        ]
        return rows[:limit] if from_id is not None or start is not None else rows[-limit:]

    def account(self, call: Call) -> dict[str, Any]:
        omit = bool(call.params.boolean("omitZeroBalances"))
        maker, taker = self.exchange.maker_fee, self.exchange.taker_fee
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
            "balances": self.exchange.balances.rows(omit_zero=omit),
            "permissions": ["SPOT"],
            "uid": 1,
        }


def _in_window(order: Order, from_id: int | None, start: int | None, end: int | None) -> bool:
    return (
        (from_id is None or order.order_id >= from_id)
        and (start is None or order.time >= start)
        and (end is None or order.time <= end)
    )
