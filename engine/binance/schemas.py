"""Binance JSON -> domain models, in one named step per type; and our orders -> Binance params.

Payloads arrive as dicts (python-binance parses REST, our websocket reader uses orjson). A
missing field raises `SchemaError` naming the payload type and the field: a changed Binance
schema must fail loudly, not produce zeros. Stream events may come wrapped
(`{"stream", "data"}` or `{"subscriptionId", "event"}`): `unwrap` removes the wrapper.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from engine.binance.filters import OrderFields, rules_from_symbol
from engine.models import (
    Balance,
    BalanceChange,
    Fill,
    Kline,
    MarginBalance,
    MarginType,
    MarketType,
    MarkPrice,
    OrderStatus,
    OrderType,
    OrderUpdate,
    Position,
    Side,
    Ticker,
    TimeInForce,
    TradingPair,
)

Payload = Mapping[str, Any]
ZERO = Decimal(0)


class SchemaError(ValueError):
    """A Binance payload lacks a field we rely on, or holds a value we do not know."""


def _get(payload: Payload, key: str, what: str) -> Any:
    try:
        return payload[key]
    except KeyError:
        raise SchemaError(f"{what}: missing field {key!r}") from None


def _dec(payload: Payload, key: str, what: str) -> Decimal:
    raw = _get(payload, key, what)
    try:
        return Decimal(str(raw))
    except ArithmeticError:
        raise SchemaError(f"{what}: field {key!r} is not a number: {raw!r}") from None


def _dec_or_none(payload: Payload, key: str, what: str) -> Decimal | None:
    """A price where Binance sends "0" or null for "not set" (market price, no stop, no fills)."""
    if _get(payload, key, what) is None:
        return None
    value = _dec(payload, key, what)
    return value if value else None


def _first(payload: Payload, keys: tuple[str, ...], what: str) -> Any:
    for key in keys:
        if key in payload:
            return payload[key]
    raise SchemaError(f"{what}: missing all of {keys}")


def unwrap(message: Payload) -> Payload:
    """The event inside a combined-stream or WS-API user-data wrapper (or the message itself)."""
    if "data" in message and "stream" in message:
        return message["data"]
    if "event" in message and "subscriptionId" in message:
        return message["event"]
    return message


# --- market data --------------------------------------------------------------------------------


def kline_from_rest(market: MarketType, symbol: str, interval: str, row: list[Any]) -> Kline:
    """One row of GET /api/v3/klines or /fapi/v1/klines (12 positional fields)."""
    if len(row) < 9:
        raise SchemaError(f"kline row: expected 12 fields, got {len(row)}")
    return Kline(
        market=market,
        symbol=symbol,
        interval=interval,
        open_time=int(row[0]),
        open=Decimal(row[1]),
        high=Decimal(row[2]),
        low=Decimal(row[3]),
        close=Decimal(row[4]),
        volume=Decimal(row[5]),
        close_time=int(row[6]),
        quote_volume=Decimal(row[7]),
        trades=int(row[8]),
        is_closed=True,
    )


def kline_from_ws(market: MarketType, event: Payload) -> Kline:
    """A `kline` event, or a USD-M `continuous_kline` event (symbol in `ps`)."""
    what = str(event.get("e", "kline event"))
    k = _get(event, "k", what)
    symbol = event["ps"] if "ps" in event else _get(k, "s", what)
    return Kline(
        market=market,
        symbol=symbol,
        interval=_get(k, "i", what),
        open_time=int(_get(k, "t", what)),
        open=_dec(k, "o", what),
        high=_dec(k, "h", what),
        low=_dec(k, "l", what),
        close=_dec(k, "c", what),
        volume=_dec(k, "v", what),
        close_time=int(_get(k, "T", what)),
        quote_volume=_dec(k, "q", what),
        trades=int(_get(k, "n", what)),
        is_closed=bool(_get(k, "x", what)),
    )


def ticker_from_rest(market: MarketType, payload: Payload) -> Ticker:
    """GET /api/v3/ticker/24hr or /fapi/v1/ticker/24hr for one symbol."""
    what = "24hr ticker"
    return Ticker(
        market=market,
        symbol=_get(payload, "symbol", what),
        last=_dec(payload, "lastPrice", what),
        open=_dec(payload, "openPrice", what),
        high=_dec(payload, "highPrice", what),
        low=_dec(payload, "lowPrice", what),
        change=_dec(payload, "priceChange", what),
        change_pct=_dec(payload, "priceChangePercent", what),
        volume=_dec(payload, "volume", what),
        quote_volume=_dec(payload, "quoteVolume", what),
        time=int(_get(payload, "closeTime", what)),
    )


def ticker_from_ws(market: MarketType, event: Payload) -> Ticker:
    """A `24hrTicker` stream event."""
    what = "24hrTicker event"
    return Ticker(
        market=market,
        symbol=_get(event, "s", what),
        last=_dec(event, "c", what),
        open=_dec(event, "o", what),
        high=_dec(event, "h", what),
        low=_dec(event, "l", what),
        change=_dec(event, "p", what),
        change_pct=_dec(event, "P", what),
        volume=_dec(event, "v", what),
        quote_volume=_dec(event, "q", what),
        time=int(_get(event, "C", what)),
    )


def mark_price_from_rest(payload: Payload) -> MarkPrice:
    """GET /fapi/v1/premiumIndex for one symbol."""
    what = "premiumIndex"
    return MarkPrice(
        symbol=_get(payload, "symbol", what),
        mark=_dec(payload, "markPrice", what),
        index=_dec(payload, "indexPrice", what),
        funding_rate=_dec(payload, "lastFundingRate", what),
        next_funding_time=int(_get(payload, "nextFundingTime", what)),
        time=int(_get(payload, "time", what)),
    )


def mark_price_from_ws(event: Payload) -> MarkPrice:
    """A `markPriceUpdate` stream event."""
    what = "markPriceUpdate event"
    return MarkPrice(
        symbol=_get(event, "s", what),
        mark=_dec(event, "p", what),
        index=_dec(event, "i", what),
        funding_rate=_dec(event, "r", what),
        next_funding_time=int(_get(event, "T", what)),
        time=int(_get(event, "E", what)),
    )


def trading_pair_from_symbol(market: MarketType, entry: Payload) -> TradingPair:
    """One `symbols[]` entry of spot or USD-M exchangeInfo."""
    what = "exchangeInfo symbol"
    return TradingPair(
        market=market,
        symbol=_get(entry, "symbol", what),
        base=_get(entry, "baseAsset", what),
        quote=_get(entry, "quoteAsset", what),
        status=_get(entry, "status", what),
        rules=rules_from_symbol(market, entry),
    )


# --- order vocabulary ---------------------------------------------------------------------------

# Binance type -> (our type, post_only)
_SPOT_TYPES: Mapping[str, tuple[OrderType, bool]] = {
    "LIMIT": (OrderType.LIMIT, False),
    "LIMIT_MAKER": (OrderType.LIMIT, True),
    "MARKET": (OrderType.MARKET, False),
    "STOP_LOSS": (OrderType.STOP_MARKET, False),
    "STOP_LOSS_LIMIT": (OrderType.STOP_LIMIT, False),
    "TAKE_PROFIT": (OrderType.TAKE_PROFIT_MARKET, False),
    "TAKE_PROFIT_LIMIT": (OrderType.TAKE_PROFIT_LIMIT, False),
}
_FUTURES_TYPES: Mapping[str, OrderType] = {
    "LIMIT": OrderType.LIMIT,
    "MARKET": OrderType.MARKET,
    "STOP": OrderType.STOP_LIMIT,
    "TAKE_PROFIT": OrderType.TAKE_PROFIT_LIMIT,
    "STOP_MARKET": OrderType.STOP_MARKET,
    "TAKE_PROFIT_MARKET": OrderType.TAKE_PROFIT_MARKET,
    "TRAILING_STOP_MARKET": OrderType.TRAILING_STOP_MARKET,
}
_STATUSES: Mapping[str, OrderStatus] = {
    "NEW": OrderStatus.NEW,
    "PENDING_NEW": OrderStatus.NEW,  # order lists: accepted, waiting on its parent
    "PARTIALLY_FILLED": OrderStatus.PARTIALLY_FILLED,
    "FILLED": OrderStatus.FILLED,
    "CANCELED": OrderStatus.CANCELED,
    "PENDING_CANCEL": OrderStatus.NEW,
    "REJECTED": OrderStatus.REJECTED,
    "EXPIRED": OrderStatus.EXPIRED,
    "EXPIRED_IN_MATCH": OrderStatus.EXPIRED,  # self-trade prevention
}
# USD-M expiry reasons (`er` in ORDER_TRADE_UPDATE).
_EXPIRY_REASONS: Mapping[str, str] = {
    "1": "Expired by self-trade prevention.",
    "2": "Immediate-or-cancel remainder expired.",
    "3": "Immediate-or-cancel remainder expired (self-trade prevention).",
    "4": "Removed by a higher-priority reduce-only order.",
    "5": "Expired by liquidation.",
    "6": "Good-till-date condition not met.",
    "7": "Symbol delisted.",
    "8": "The order expired after its stop triggered.",
    "9": "Market order remainder expired.",
}


def _status(raw: str, what: str) -> OrderStatus:
    try:
        return _STATUSES[raw]
    except KeyError:
        raise SchemaError(f"{what}: unknown order status {raw!r}") from None


def _spot_type(raw: str, what: str) -> tuple[OrderType, bool]:
    try:
        return _SPOT_TYPES[raw]
    except KeyError:
        raise SchemaError(f"{what}: unknown spot order type {raw!r}") from None


def _time_in_force(raw: str | None) -> tuple[TimeInForce | None, bool]:
    """(our time in force, post_only). USD-M GTX is post-only GTC; GTD/RPI have no equivalent."""
    if raw == "GTX":
        return TimeInForce.GTC, True
    if raw in TimeInForce.__members__:
        return TimeInForce(raw), False
    return None, False


def _avg(cumulative_quote: Decimal | None, executed: Decimal) -> Decimal | None:
    if not executed or cumulative_quote is None:
        return None
    return cumulative_quote / executed


def _reject_reason(raw: str | None) -> str | None:
    return None if raw in (None, "", "NONE") else raw


# --- spot orders and fills ----------------------------------------------------------------------


def order_from_spot_response(payload: Payload) -> OrderUpdate:
    """POST /api/v3/order (RESULT or FULL), GET /api/v3/order, open orders, cancel response."""
    what = "spot order"
    order_type, post_only = _spot_type(_get(payload, "type", what), what)
    executed = _dec(payload, "executedQty", what)
    cumulative = _dec(payload, "cummulativeQuoteQty", what)
    return OrderUpdate(
        market=MarketType.SPOT,
        symbol=_get(payload, "symbol", what),
        client_order_id=payload.get("origClientOrderId") or _get(payload, "clientOrderId", what),
        exchange_order_id=str(_get(payload, "orderId", what)),
        side=Side(_get(payload, "side", what)),
        order_type=order_type,
        status=_status(_get(payload, "status", what), what),
        time_in_force=_time_in_force(payload.get("timeInForce"))[0],
        post_only=post_only,
        price=_dec_or_none(payload, "price", what),
        stop_price=_dec_or_none(payload, "stopPrice", what) if "stopPrice" in payload else None,
        orig_qty=_dec(payload, "origQty", what),
        executed_qty=executed,
        cumulative_quote=cumulative,
        avg_price=_avg(cumulative, executed),
        update_time=int(_first(payload, ("updateTime", "transactTime", "time"), what)),
    )


def fills_from_spot_response(payload: Payload) -> list[Fill]:
    """The `fills` of a FULL spot order response."""
    what = "spot order fills"
    order = order_from_spot_response(payload)
    return [
        Fill(
            market=MarketType.SPOT,
            symbol=order.symbol,
            trade_id=int(_get(fill, "tradeId", what)),
            client_order_id=order.client_order_id,
            exchange_order_id=order.exchange_order_id,
            side=order.side,
            price=_dec(fill, "price", what),
            qty=_dec(fill, "qty", what),
            quote_qty=_dec(fill, "price", what) * _dec(fill, "qty", what),
            commission=_dec(fill, "commission", what),
            commission_asset=_get(fill, "commissionAsset", what),
            is_maker=None,  # not reported in order responses
            time=order.update_time,
        )
        for fill in _get(payload, "fills", what)
    ]


def _execution_client_id(event: Payload, what: str) -> str:
    """On a cancel, `c` is the cancel request's id and `C` the canceled order's id."""
    original = event.get("C")
    if original:
        return str(original)
    return str(_get(event, "c", what))


def order_from_execution_report(event: Payload) -> OrderUpdate:
    """A spot `executionReport` user-data event."""
    what = "executionReport"
    order_type, post_only = _spot_type(_get(event, "o", what), what)
    executed = _dec(event, "z", what)
    cumulative = _dec(event, "Z", what)
    return OrderUpdate(
        market=MarketType.SPOT,
        symbol=_get(event, "s", what),
        client_order_id=_execution_client_id(event, what),
        exchange_order_id=str(_get(event, "i", what)),
        side=Side(_get(event, "S", what)),
        order_type=order_type,
        status=_status(_get(event, "X", what), what),
        time_in_force=_time_in_force(event.get("f"))[0],
        post_only=post_only,
        price=_dec_or_none(event, "p", what),
        stop_price=_dec_or_none(event, "P", what),
        orig_qty=_dec(event, "q", what),
        executed_qty=executed,
        cumulative_quote=cumulative,
        avg_price=_avg(cumulative, executed),
        update_time=int(_get(event, "T", what)),
        reject_reason=_reject_reason(event.get("r")),
    )


def fill_from_execution_report(event: Payload) -> Fill | None:
    """The trade in an `executionReport`, or None when the event is not a trade."""
    what = "executionReport"
    if _get(event, "x", what) != "TRADE":
        return None
    price, qty = _dec(event, "L", what), _dec(event, "l", what)
    return Fill(
        market=MarketType.SPOT,
        symbol=_get(event, "s", what),
        trade_id=int(_get(event, "t", what)),
        client_order_id=_execution_client_id(event, what),
        exchange_order_id=str(_get(event, "i", what)),
        side=Side(_get(event, "S", what)),
        price=price,
        qty=qty,
        quote_qty=_dec(event, "Y", what) if "Y" in event else price * qty,
        commission=_dec(event, "n", what),
        commission_asset=_get(event, "N", what),
        is_maker=bool(_get(event, "m", what)),
        time=int(_get(event, "T", what)),
    )


# --- USD-M orders and fills ---------------------------------------------------------------------


def order_from_futures_response(payload: Payload) -> OrderUpdate:
    """POST/GET/DELETE /fapi/v1/order and open orders (regular, non-algo orders)."""
    what = "futures order"
    raw_type = _get(payload, "type", what)
    time_in_force, post_only = _time_in_force(payload.get("timeInForce"))
    executed = _dec(payload, "executedQty", what)
    return OrderUpdate(
        market=MarketType.FUTURES,
        symbol=_get(payload, "symbol", what),
        client_order_id=_get(payload, "clientOrderId", what),
        exchange_order_id=str(_get(payload, "orderId", what)),
        side=Side(_get(payload, "side", what)),
        order_type=_FUTURES_TYPES.get(raw_type),
        status=_status(_get(payload, "status", what), what),
        time_in_force=time_in_force,
        post_only=post_only,
        reduce_only=bool(payload.get("reduceOnly", False)),
        close_position=bool(payload.get("closePosition", False)),
        price=_dec_or_none(payload, "price", what),
        stop_price=_dec_or_none(payload, "stopPrice", what) if "stopPrice" in payload else None,
        orig_qty=_dec(payload, "origQty", what),
        executed_qty=executed,
        cumulative_quote=_dec(payload, "cumQuote", what),
        avg_price=_dec_or_none(payload, "avgPrice", what),
        update_time=int(_first(payload, ("updateTime", "time"), what)),
    )


def order_from_order_trade_update(event: Payload) -> OrderUpdate:
    """A USD-M `ORDER_TRADE_UPDATE` user-data event."""
    what = "ORDER_TRADE_UPDATE"
    o = _get(event, "o", what)
    time_in_force, post_only = _time_in_force(o.get("f"))
    executed = _dec(o, "z", what)
    avg_price = _dec_or_none(o, "ap", what)
    status = _status(_get(o, "X", what), what)
    return OrderUpdate(
        market=MarketType.FUTURES,
        symbol=_get(o, "s", what),
        client_order_id=_get(o, "c", what),
        exchange_order_id=str(_get(o, "i", what)),
        side=Side(_get(o, "S", what)),
        order_type=_FUTURES_TYPES.get(_get(o, "o", what)),
        status=status,
        time_in_force=time_in_force,
        post_only=post_only,
        reduce_only=bool(o.get("R", False)),
        close_position=bool(o.get("cp", False)),
        price=_dec_or_none(o, "p", what),
        stop_price=_dec_or_none(o, "sp", what),
        orig_qty=_dec(o, "q", what),
        executed_qty=executed,
        cumulative_quote=avg_price * executed if avg_price is not None else None,
        avg_price=avg_price,
        update_time=int(_first(o, ("T",), what)),
        reject_reason=_EXPIRY_REASONS.get(str(o.get("er", "0"))),
    )


def fill_from_order_trade_update(event: Payload) -> Fill | None:
    """The trade in an `ORDER_TRADE_UPDATE`, or None when the event is not a trade.

    Liquidations (`x` CALCULATED, client id "autoclose-...") and ADL fills are trades too.
    """
    what = "ORDER_TRADE_UPDATE"
    o = _get(event, "o", what)
    if _get(o, "x", what) not in ("TRADE", "CALCULATED") or not _dec(o, "l", what):
        return None
    price, qty = _dec(o, "L", what), _dec(o, "l", what)
    return Fill(
        market=MarketType.FUTURES,
        symbol=_get(o, "s", what),
        trade_id=int(_get(o, "t", what)),
        client_order_id=_get(o, "c", what),
        exchange_order_id=str(_get(o, "i", what)),
        side=Side(_get(o, "S", what)),
        price=price,
        qty=qty,
        quote_qty=price * qty,
        commission=_dec(o, "n", what),
        commission_asset=_get(o, "N", what),
        is_maker=bool(_get(o, "m", what)),
        realized_pnl=_dec(o, "rp", what),
        time=int(_get(o, "T", what)),
    )


def _algo_status(raw: str, executed: Decimal, quantity: Decimal, what: str) -> OrderStatus:
    """Algo statuses: NEW/TRIGGERING/TRIGGERED are working; FINISHED ends the order."""
    if raw in ("NEW", "TRIGGERING", "TRIGGERED"):
        return OrderStatus.NEW
    if raw == "FINISHED":
        return OrderStatus.FILLED if executed and executed >= quantity else OrderStatus.CANCELED
    return _status(raw, what)


def order_from_algo_update(event: Payload) -> OrderUpdate:
    """A USD-M `ALGO_UPDATE` event (conditional orders held by the algo service)."""
    what = "ALGO_UPDATE"
    o = _get(event, "o", what)
    quantity = _dec(o, "q", what)
    executed = Decimal(str(o.get("aq", "0")))
    avg_price = Decimal(str(o.get("ap", "0"))) or None
    status = _algo_status(_get(o, "X", what), executed, quantity, what)
    time_in_force, post_only = _time_in_force(o.get("f"))
    terminal = not status.is_open
    return OrderUpdate(
        market=MarketType.FUTURES,
        symbol=_get(o, "s", what),
        client_order_id=_get(o, "caid", what),
        exchange_order_id=str(_get(o, "aid", what)),
        side=Side(_get(o, "S", what)),
        order_type=_FUTURES_TYPES.get(_get(o, "o", what)),
        status=status,
        time_in_force=time_in_force,
        post_only=post_only,
        reduce_only=bool(o.get("R", False)),
        close_position=bool(o.get("cp", False)),
        price=_dec_or_none(o, "p", what),
        stop_price=_dec_or_none(o, "tp", what),
        orig_qty=quantity,
        executed_qty=executed,
        cumulative_quote=avg_price * executed if avg_price is not None else None,
        avg_price=avg_price,
        update_time=int(_get(event, "T", what)),
        reject_reason=(o.get("rm") or None) if terminal else None,
        is_algo=True,
        triggered_order_id=str(o["ai"]) if o.get("ai") else None,
    )


def order_from_futures_algo_response(payload: Payload) -> OrderUpdate:
    """POST/GET /fapi/v1/algoOrder and GET /fapi/v1/openAlgoOrders entries."""
    what = "futures algo order"
    quantity = _dec(payload, "quantity", what)
    raw_type = _first(payload, ("orderType", "type"), what)
    time_in_force, post_only = _time_in_force(payload.get("timeInForce"))
    return OrderUpdate(
        market=MarketType.FUTURES,
        symbol=_get(payload, "symbol", what),
        client_order_id=_get(payload, "clientAlgoId", what),
        exchange_order_id=str(_get(payload, "algoId", what)),
        side=Side(_get(payload, "side", what)),
        order_type=_FUTURES_TYPES.get(raw_type),
        status=_algo_status(_get(payload, "algoStatus", what), ZERO, quantity, what),
        time_in_force=time_in_force,
        post_only=post_only,
        reduce_only=bool(payload.get("reduceOnly", False)),
        close_position=bool(payload.get("closePosition", False)),
        price=_dec_or_none(payload, "price", what) if "price" in payload else None,
        stop_price=_dec_or_none(payload, "triggerPrice", what),
        orig_qty=quantity,
        executed_qty=ZERO,
        update_time=int(_first(payload, ("updateTime", "createTime"), what)),
        is_algo=True,
    )


# --- balances and positions ---------------------------------------------------------------------


def balances_from_spot_account(payload: Payload) -> list[Balance]:
    """GET /api/v3/account."""
    what = "spot account"
    time = int(payload.get("updateTime", 0))
    return [
        Balance(
            asset=_get(row, "asset", what),
            free=_dec(row, "free", what),
            locked=_dec(row, "locked", what),
            time=time,
        )
        for row in _get(payload, "balances", what)
    ]


def balances_from_account_position(event: Payload) -> list[Balance]:
    """An `outboundAccountPosition` event: the assets that may have changed."""
    what = "outboundAccountPosition"
    time = int(_get(event, "u", what))
    return [
        Balance(
            asset=_get(row, "a", what),
            free=_dec(row, "f", what),
            locked=_dec(row, "l", what),
            time=time,
        )
        for row in _get(event, "B", what)
    ]


def balance_change_from_update(event: Payload) -> BalanceChange:
    """A `balanceUpdate` event (deposit, withdrawal, transfer): a delta."""
    what = "balanceUpdate"
    return BalanceChange(
        asset=_get(event, "a", what),
        delta=_dec(event, "d", what),
        time=int(_get(event, "T", what)),
    )


def margin_balances_from_account_update(event: Payload) -> list[MarginBalance]:
    """The `B` (balances) part of a USD-M `ACCOUNT_UPDATE`."""
    what = "ACCOUNT_UPDATE"
    update = _get(event, "a", what)
    time = int(_get(event, "T", what))
    return [
        MarginBalance(
            asset=_get(row, "a", what),
            wallet_balance=_dec(row, "wb", what),
            cross_wallet_balance=_dec(row, "cw", what),
            time=time,
        )
        for row in _get(update, "B", what)
    ]


def margin_balances_from_futures_balance(rows: list[Payload]) -> list[MarginBalance]:
    """GET /fapi/v3/balance (futures_account_balance)."""
    what = "futures balance"
    return [
        MarginBalance(
            asset=_get(row, "asset", what),
            wallet_balance=_dec(row, "balance", what),
            cross_wallet_balance=_dec(row, "crossWalletBalance", what),
            available=_dec(row, "availableBalance", what),
            time=int(row.get("updateTime", 0)),
        )
        for row in rows
    ]


def _margin_type(raw: str | None) -> MarginType | None:
    if raw is None:
        return None
    return {"cross": MarginType.CROSSED, "isolated": MarginType.ISOLATED}[raw.lower()]


def positions_from_position_risk(rows: list[Payload]) -> list[Position]:
    """GET /fapi/v2|v3/positionRisk. v3 has no leverage or margin type; they stay None."""
    what = "positionRisk"
    return [
        Position(
            symbol=_get(row, "symbol", what),
            position_side=row.get("positionSide", "BOTH"),
            amount=_dec(row, "positionAmt", what),
            entry_price=_dec(row, "entryPrice", what),
            break_even_price=Decimal(row["breakEvenPrice"]) if "breakEvenPrice" in row else None,
            mark_price=_dec(row, "markPrice", what),
            unrealized_pnl=_dec(row, "unRealizedProfit", what),
            leverage=int(row["leverage"]) if "leverage" in row else None,
            margin_type=_margin_type(row.get("marginType")),
            isolated_margin=_dec(row, "isolatedMargin", what),
            liquidation_price=_dec_or_none(row, "liquidationPrice", what),
            notional=Decimal(row["notional"]) if "notional" in row else None,
            time=int(row.get("updateTime", 0)),
        )
        for row in rows
    ]


def positions_from_account_update(event: Payload) -> list[Position]:
    """The `P` (positions) part of a USD-M `ACCOUNT_UPDATE`: no mark, leverage or liq price."""
    what = "ACCOUNT_UPDATE"
    update = _get(event, "a", what)
    time = int(_get(event, "T", what))
    return [
        Position(
            symbol=_get(row, "s", what),
            position_side=row.get("ps", "BOTH"),
            amount=_dec(row, "pa", what),
            entry_price=_dec(row, "ep", what),
            break_even_price=Decimal(row["bep"]) if "bep" in row else None,
            unrealized_pnl=_dec(row, "up", what),
            margin_type=_margin_type(_get(row, "mt", what)),
            isolated_margin=_dec(row, "iw", what),
            time=time,
        )
        for row in update.get("P", [])
    ]


# --- our orders -> python-binance call kwargs ---------------------------------------------------

_SPOT_WIRE_TYPES: Mapping[OrderType, str] = {
    OrderType.MARKET: "MARKET",
    OrderType.LIMIT: "LIMIT",
    OrderType.STOP_MARKET: "STOP_LOSS",
    OrderType.STOP_LIMIT: "STOP_LOSS_LIMIT",
    OrderType.TAKE_PROFIT_MARKET: "TAKE_PROFIT",
    OrderType.TAKE_PROFIT_LIMIT: "TAKE_PROFIT_LIMIT",
}
_FUTURES_WIRE_TYPES: Mapping[OrderType, str] = {
    OrderType.MARKET: "MARKET",
    OrderType.LIMIT: "LIMIT",
    OrderType.STOP_MARKET: "STOP_MARKET",
    OrderType.STOP_LIMIT: "STOP",
    OrderType.TAKE_PROFIT_MARKET: "TAKE_PROFIT_MARKET",
    OrderType.TAKE_PROFIT_LIMIT: "TAKE_PROFIT",
    OrderType.TRAILING_STOP_MARKET: "TRAILING_STOP_MARKET",
}
FUTURES_ALGO_TYPES = frozenset({"STOP", "STOP_MARKET", "TAKE_PROFIT", "TAKE_PROFIT_MARKET",
                                "TRAILING_STOP_MARKET"})  # fmt: skip


def _wire(value: Decimal) -> str:
    """A decimal as Binance wants it: plain notation, no exponent."""
    return format(value, "f")


def _optional_wire(params: dict[str, str], key: str, value: Decimal | None) -> None:
    if value is not None:
        params[key] = _wire(value)


def spot_order_params(order: OrderFields, client_order_id: str) -> dict[str, str]:
    """kwargs for python-binance `create_order` (POST /api/v3/order)."""
    post_only = order.post_only and order.order_type is OrderType.LIMIT
    params = {
        "symbol": order.symbol,
        "side": order.side.value,
        "type": "LIMIT_MAKER" if post_only else _SPOT_WIRE_TYPES[order.order_type],
        "newClientOrderId": client_order_id,
        "newOrderRespType": "FULL",
    }
    _optional_wire(params, "quantity", order.quantity)
    _optional_wire(params, "quoteOrderQty", order.quote_quantity)
    _optional_wire(params, "price", order.price)
    _optional_wire(params, "stopPrice", order.stop_price)
    if order.order_type.has_limit_price and not post_only:
        params["timeInForce"] = (order.time_in_force or TimeInForce.GTC).value
    return params


def futures_order_params(order: OrderFields, client_order_id: str) -> dict[str, str]:
    """kwargs for python-binance `futures_create_order`.

    Conditional types go to POST /fapi/v1/algoOrder: python-binance routes them there and
    renames `stopPrice` to `triggerPrice`; our id goes in `clientAlgoId`, which it keeps.
    """
    wire_type = _FUTURES_WIRE_TYPES[order.order_type]
    params = {"symbol": order.symbol, "side": order.side.value, "type": wire_type}
    if wire_type in FUTURES_ALGO_TYPES:
        params["clientAlgoId"] = client_order_id
    else:
        params["newClientOrderId"] = client_order_id
        params["newOrderRespType"] = "RESULT"
    if not order.close_position:
        _optional_wire(params, "quantity", order.quantity)
    _optional_wire(params, "price", order.price)
    _optional_wire(params, "stopPrice", order.stop_price)
    _optional_wire(params, "callbackRate", getattr(order, "callback_rate", None))
    if order.order_type.has_limit_price:
        params["timeInForce"] = (
            "GTX" if order.post_only else (order.time_in_force or TimeInForce.GTC).value
        )
    if order.reduce_only:
        params["reduceOnly"] = "true"
    if order.close_position:
        params["closePosition"] = "true"
    return params


# --- trade history (reconciliation) -------------------------------------------------------------


def fill_from_spot_trade(row: Payload, client_order_id: str) -> Fill:
    """One row of GET /api/v3/myTrades; the client order id comes from our orders table."""
    what = "myTrades row"
    return Fill(
        market=MarketType.SPOT,
        symbol=_get(row, "symbol", what),
        trade_id=int(_get(row, "id", what)),
        client_order_id=client_order_id,
        exchange_order_id=str(_get(row, "orderId", what)),
        side=Side.BUY if _get(row, "isBuyer", what) else Side.SELL,
        price=_dec(row, "price", what),
        qty=_dec(row, "qty", what),
        quote_qty=_dec(row, "quoteQty", what),
        commission=_dec(row, "commission", what),
        commission_asset=_get(row, "commissionAsset", what),
        is_maker=bool(_get(row, "isMaker", what)),
        time=int(_get(row, "time", what)),
    )


def fill_from_futures_trade(row: Payload, client_order_id: str) -> Fill:
    """One row of GET /fapi/v1/userTrades."""
    what = "userTrades row"
    return Fill(
        market=MarketType.FUTURES,
        symbol=_get(row, "symbol", what),
        trade_id=int(_get(row, "id", what)),
        client_order_id=client_order_id,
        exchange_order_id=str(_get(row, "orderId", what)),
        side=Side(_get(row, "side", what)),
        price=_dec(row, "price", what),
        qty=_dec(row, "qty", what),
        quote_qty=_dec(row, "quoteQty", what),
        commission=_dec(row, "commission", what),
        commission_asset=_get(row, "commissionAsset", what),
        is_maker=bool(_get(row, "maker", what)),
        realized_pnl=_dec(row, "realizedPnl", what),
        time=int(_get(row, "time", what)),
    )
