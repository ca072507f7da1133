"""Spot order requests, orders and fills, the rules that trigger and cross them, and the JSON
shapes Binance gives them (REST and executionReport)."""

from __future__ import annotations

import secrets
import string
from dataclasses import asdict, dataclass, fields
from decimal import Decimal
from typing import Any, Protocol

from simulator.spot.symbols import SymbolSpec, fmt8

ZERO = Decimal(0)
OPEN_STATUSES = ("NEW", "PARTIALLY_FILLED")  # PENDING_NEW (an OTO's pending order) is not open
STOP_TYPES = ("STOP_LOSS", "STOP_LOSS_LIMIT", "TAKE_PROFIT", "TAKE_PROFIT_LIMIT")
_ID_ALPHABET = string.ascii_letters + string.digits
_DECIMAL_FIELDS = {
    "price",
    "orig_qty",
    "stop_price",
    "orig_quote_qty",
    "executed_qty",
    "cum_quote",
    "locked",
}


@dataclass(frozen=True, slots=True)
class OrderRequest:
    spec: SymbolSpec
    side: str
    type: str
    time_in_force: str | None
    quantity: Decimal | None
    quote_qty: Decimal | None
    price: Decimal | None
    stop_price: Decimal | None
    client_order_id: str | None


def new_client_order_id() -> str:
    return "".join(secrets.choice(_ID_ALPHABET) for _ in range(22))


def stop_triggered(order_type: str, side: str, stop: Decimal, price: Decimal) -> bool:
    """STOP_LOSS buys above / sells below the stop; TAKE_PROFIT the other way round."""
    rises = (order_type.startswith("STOP_LOSS")) == (side == "BUY")
    return price >= stop if rises else price <= stop


def crosses(side: str, limit: Decimal, price: Decimal) -> bool:
    return price <= limit if side == "BUY" else price >= limit


@dataclass(frozen=True, slots=True)
class Fill:
    trade_id: int
    price: Decimal
    qty: Decimal
    commission: Decimal
    commission_asset: str
    is_maker: bool
    time_ms: int

    def to_binance(self) -> dict[str, Any]:
        return {
            "price": fmt8(self.price),
            "qty": fmt8(self.qty),
            "commission": fmt8(self.commission),
            "commissionAsset": self.commission_asset,
            "tradeId": self.trade_id,
        }


@dataclass(slots=True)
class Order:
    symbol: str
    order_id: int
    client_order_id: str
    side: str
    type: str
    time_in_force: str
    price: Decimal
    orig_qty: Decimal
    stop_price: Decimal
    orig_quote_qty: Decimal
    time: int
    working_time: int
    executed_qty: Decimal = ZERO
    cum_quote: Decimal = ZERO
    status: str = "NEW"
    update_time: int = 0
    locked_asset: str = ""
    locked: Decimal = ZERO
    self_trade_prevention_mode: str = "EXPIRE_MAKER"
    order_list_id: int = -1

    @classmethod
    def from_request(cls, req: OrderRequest, order_id: int, now: int) -> Order:
        return cls(
            symbol=req.spec.symbol,
            order_id=order_id,
            client_order_id=req.client_order_id or new_client_order_id(),
            side=req.side,
            type=req.type,
            time_in_force=req.time_in_force or "GTC",
            price=req.price or ZERO,
            orig_qty=req.quantity or ZERO,
            stop_price=req.stop_price or ZERO,
            orig_quote_qty=req.quote_qty or ZERO,
            time=now,
            update_time=now,
            working_time=-1 if req.stop_price is not None else now,
        )

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def is_stop(self) -> bool:
        return self.type in STOP_TYPES

    @property
    def is_working(self) -> bool:
        return self.working_time >= 0

    @property
    def remaining(self) -> Decimal:
        return self.orig_qty - self.executed_qty

    def _common(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "symbol": self.symbol,
            "orderId": self.order_id,
            "orderListId": self.order_list_id,
            "clientOrderId": self.client_order_id,
            "price": fmt8(self.price),
            "origQty": fmt8(self.orig_qty),
            "executedQty": fmt8(self.executed_qty),
            "cummulativeQuoteQty": fmt8(self.cum_quote),
            "status": self.status,
            "timeInForce": self.time_in_force,
            "type": self.type,
            "side": self.side,
        }
        if self.is_stop:
            data["stopPrice"] = fmt8(self.stop_price)
        return data

    def to_query(self) -> dict[str, Any]:
        """GET /api/v3/order, openOrders and allOrders rows."""
        data = self._common()
        data.update(
            {
                "stopPrice": fmt8(self.stop_price),
                "icebergQty": fmt8(ZERO),
                "time": self.time,
                "updateTime": self.update_time,
                "isWorking": self.is_working,
                "workingTime": self.working_time,
                "origQuoteOrderQty": fmt8(self.orig_quote_qty),
                "selfTradePreventionMode": self.self_trade_prevention_mode,
            }
        )
        return data

    def to_ack(self, transact_time: int) -> dict[str, Any]:
        return {
            "symbol": self.symbol,
            "orderId": self.order_id,
            "orderListId": self.order_list_id,
            "clientOrderId": self.client_order_id,
            "transactTime": transact_time,
        }

    def to_result(self, transact_time: int) -> dict[str, Any]:
        data = self.to_ack(transact_time)
        data.update(self._common())
        data["origQuoteOrderQty"] = fmt8(self.orig_quote_qty)
        data["workingTime"] = self.working_time
        data["selfTradePreventionMode"] = self.self_trade_prevention_mode
        return data

    def to_full(self, transact_time: int, fills: list[Fill]) -> dict[str, Any]:
        data = self.to_result(transact_time)
        data["fills"] = [f.to_binance() for f in fills]
        return data

    def to_cancel(self, transact_time: int, cancel_client_id: str) -> dict[str, Any]:
        data = self._common()
        data["origClientOrderId"] = self.client_order_id
        data["clientOrderId"] = cancel_client_id
        data["transactTime"] = transact_time
        data["origQuoteOrderQty"] = fmt8(self.orig_quote_qty)
        data["selfTradePreventionMode"] = self.self_trade_prevention_mode
        return data

    def to_state(self) -> dict[str, Any]:
        data = {f.name: getattr(self, f.name) for f in fields(self)}
        return {k: (str(v) if k in _DECIMAL_FIELDS else v) for k, v in data.items()}

    @classmethod
    def from_state(cls, data: dict[str, Any]) -> Order:
        values = {k: (Decimal(v) if k in _DECIMAL_FIELDS else v) for k, v in data.items()}
        return cls(**values)


def execution_report(
    order: Order,
    event_time: int,
    exec_type: str,
    fill: Fill | None = None,
    orig_client_id: str = "",
    reject_reason: str = "NONE",
    execution_id: int = 0,
) -> dict[str, Any]:
    """The executionReport event for one state change of `order`."""
    last_qty = fill.qty if fill else ZERO
    last_price = fill.price if fill else ZERO
    return {
        "e": "executionReport",
        "E": event_time,
        "s": order.symbol,
        "c": order.client_order_id,
        "S": order.side,
        "o": order.type,
        "f": order.time_in_force,
        "q": fmt8(order.orig_qty),
        "p": fmt8(order.price),
        "P": fmt8(order.stop_price),
        "F": fmt8(ZERO),
        "g": order.order_list_id,
        "C": orig_client_id,
        "x": exec_type,
        "X": order.status,
        "r": reject_reason,
        "i": order.order_id,
        "l": fmt8(last_qty),
        "z": fmt8(order.executed_qty),
        "L": fmt8(last_price),
        "n": fmt8(fill.commission) if fill else "0",
        "N": fill.commission_asset if fill else None,
        "T": fill.time_ms if fill else event_time,
        "t": fill.trade_id if fill else -1,
        "I": execution_id,
        "w": order.is_open and order.is_working,
        "m": bool(fill and fill.is_maker),
        "M": False,
        "O": order.time,
        "Z": fmt8(order.cum_quote),
        "Y": fmt8(last_qty * last_price),
        "Q": fmt8(order.orig_quote_qty),
        "W": order.working_time,
        "V": order.self_trade_prevention_mode,
    }


def trade_row(order: Order, fill: Fill) -> dict[str, Any]:
    """A GET /api/v3/myTrades row."""
    return {
        "symbol": order.symbol,
        "id": fill.trade_id,
        "orderId": order.order_id,
        "orderListId": order.order_list_id,
        "price": fmt8(fill.price),
        "qty": fmt8(fill.qty),
        "quoteQty": fmt8(fill.price * fill.qty),
        "commission": fmt8(fill.commission),
        "commissionAsset": fill.commission_asset,
        "time": fill.time_ms,
        "isBuyer": order.side == "BUY",
        "isMaker": fill.is_maker,
        "isBestMatch": True,
    }


def fill_from_state(data: dict[str, Any]) -> Fill:
    return Fill(
        trade_id=data["trade_id"],
        price=Decimal(data["price"]),
        qty=Decimal(data["qty"]),
        commission=Decimal(data["commission"]),
        commission_asset=data["commission_asset"],
        is_maker=data["is_maker"],
        time_ms=data["time_ms"],
    )


def fill_to_state(fill: Fill) -> dict[str, Any]:
    return {k: (str(v) if isinstance(v, Decimal) else v) for k, v in asdict(fill).items()}


class ListHooks(Protocol):
    """What the order lists (spot/order_lists.py) are told about an order of a list."""

    def before_execute(self, order: Order) -> None: ...
    def after_filled(self, order: Order) -> None: ...
    def after_ended(self, order: Order) -> None: ...
    def to_state(self) -> dict[str, Any]: ...
    def load_state(self, state: dict[str, Any]) -> None: ...
    def clear(self) -> None: ...


class _NoLists:
    def before_execute(self, order: Order) -> None:
        return None

    def after_filled(self, order: Order) -> None:
        return None

    def after_ended(self, order: Order) -> None:
        return None

    def to_state(self) -> dict[str, Any]:
        return {}

    def load_state(self, state: dict[str, Any]) -> None:
        return None

    def clear(self) -> None:
        return None


NO_LISTS = _NoLists()
