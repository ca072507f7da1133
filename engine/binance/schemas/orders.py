"""Binance order payloads (REST answers, user-data events, trade history) -> domain models."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from engine.binance.schemas.common import Payload, SchemaError, _dec, _dec_or_none, _first, _get
from engine.models import (
    Fill,
    MarketType,
    OrderStatus,
    OrderType,
    OrderUpdate,
    Side,
    TimeInForce,
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

ZERO = Decimal(0)


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
        order_list_id=_list_id(payload.get("orderListId")),
    )


def _list_id(raw: Any) -> str | None:
    """Binance's orderListId: -1 (or absent) when the order is not part of a list."""
    return None if raw in (None, -1, "-1") else str(raw)


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
        order_list_id=_list_id(event.get("g")),
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
        position_side=payload.get("positionSide"),
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
        position_side=o.get("ps"),
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
        position_side=o.get("ps"),
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
        position_side=payload.get("positionSide"),
    )


def order_from_futures_any(payload: Payload) -> OrderUpdate:
    """A USD-M order answer, plain (`orderId`) or conditional (`algoId`)."""
    if "algoId" in payload:
        return order_from_futures_algo_response(payload)
    return order_from_futures_response(payload)


def algo_rows(payload: Any) -> list[Payload]:
    """GET /fapi/v1/openAlgoOrders answers a list, or `{"orders": [...]}` in some versions."""
    if isinstance(payload, Mapping):
        return list(payload.get("orders", []))
    return list(payload or [])
