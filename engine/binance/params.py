"""Our orders -> the keyword arguments of python-binance's order calls (Binance's params)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from engine.models import (
    OrderFields,
    OrderType,
    Side,
    TimeInForce,
)

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


# Our order field -> Binance's parameter name (the filters quote Binance's own error texts).
PARAMETER_NAMES: Mapping[str, str] = {
    "quantity": "quantity",
    "quote_quantity": "quoteOrderQty",
    "price": "price",
    "stop_price": "stopPrice",
}


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
    position_side = getattr(order, "position_side", None)
    if position_side is not None:
        params["positionSide"] = str(position_side)
    if order.reduce_only:
        params["reduceOnly"] = "true"
    if order.close_position:
        params["closePosition"] = "true"
    return params


@dataclass(frozen=True)
class OcoRequest:
    """A spot OCO as the adapter sends it: a take-profit limit and a stop on one side.

    SELL: the take-profit rests above the market and the stop waits below; BUY: the reverse.
    A `stop_limit_price` makes the stop leg a stop-limit, else it is a stop-market.
    """

    symbol: str
    side: Side
    quantity: Decimal
    take_profit_price: Decimal
    stop_price: Decimal
    stop_limit_price: Decimal | None
    list_client_id: str
    take_profit_client_id: str
    stop_client_id: str


def oco_params(oco: OcoRequest) -> dict[str, str]:
    """kwargs for python-binance `create_oco_order` (POST /api/v3/orderList/oco).

    The take-profit leg is a LIMIT_MAKER: it only rests, so it can never take at once at a
    worse price than asked (Binance's OCO takes LIMIT_MAKER or TAKE_PROFIT types there).
    """
    take_profit, stop = ("above", "below") if oco.side is Side.SELL else ("below", "above")
    params = {
        "symbol": oco.symbol,
        "side": oco.side.value,
        "quantity": _wire(oco.quantity),
        "listClientOrderId": oco.list_client_id,
        f"{take_profit}Type": "LIMIT_MAKER",
        f"{take_profit}Price": _wire(oco.take_profit_price),
        f"{take_profit}ClientOrderId": oco.take_profit_client_id,
        f"{stop}StopPrice": _wire(oco.stop_price),
        f"{stop}ClientOrderId": oco.stop_client_id,
    }
    if oco.stop_limit_price is None:
        params[f"{stop}Type"] = "STOP_LOSS"
    else:
        params[f"{stop}Type"] = "STOP_LOSS_LIMIT"
        params[f"{stop}Price"] = _wire(oco.stop_limit_price)
        params[f"{stop}TimeInForce"] = TimeInForce.GTC.value
    return params
