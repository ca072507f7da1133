"""USD-M orders and conditional (algo) orders: their state and wire shapes."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

ZERO = Decimal(0)
CONDITIONAL_TYPES = frozenset(
    {"STOP", "STOP_MARKET", "TAKE_PROFIT", "TAKE_PROFIT_MARKET", "TRAILING_STOP_MARKET"}
)
PLAIN_TYPES = frozenset({"LIMIT", "MARKET"})
TIME_IN_FORCE = frozenset({"GTC", "IOC", "FOK", "GTX"})
WORKING_TYPES = frozenset({"MARK_PRICE", "CONTRACT_PRICE"})
OPEN_STATUSES = frozenset({"NEW", "PARTIALLY_FILLED"})


EIGHT_PLACES = Decimal("0.00000001")


def fmt(value: Decimal | None) -> str:
    """Binance's plain decimal text, at most 8 decimals (prices from formulas can run longer)."""
    if value is None or value == 0:
        return "0"
    if value.as_tuple().exponent < -8:  # type: ignore[operator]
        value = value.quantize(EIGHT_PLACES)
    return format(value.normalize(), "f")


@dataclass
class Order:
    order_id: int
    client_order_id: str
    symbol: str
    side: str
    order_type: str
    time_in_force: str
    qty: Decimal
    price: Decimal
    reduce_only: bool
    time: int
    orig_type: str = ""
    close_position: bool = False
    stop_price: Decimal = ZERO
    working_type: str = "CONTRACT_PRICE"
    status: str = "NEW"
    executed_qty: Decimal = ZERO
    cum_quote: Decimal = ZERO
    update_time: int = 0
    realized_pnl: Decimal = ZERO
    position_side: str = "BOTH"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def remaining(self) -> Decimal:
        return self.qty - self.executed_qty

    @property
    def avg_price(self) -> Decimal:
        return self.cum_quote / self.executed_qty if self.executed_qty else ZERO

    def to_wire(self) -> dict:
        return {
            "orderId": self.order_id,
            "symbol": self.symbol,
            "status": self.status,
            "clientOrderId": self.client_order_id,
            "price": fmt(self.price),
            "avgPrice": fmt(self.avg_price),
            "origQty": fmt(self.qty),
            "executedQty": fmt(self.executed_qty),
            "cumQty": fmt(self.executed_qty),
            "cumQuote": fmt(self.cum_quote),
            "timeInForce": self.time_in_force,
            "type": self.order_type,
            "reduceOnly": self.reduce_only,
            "closePosition": self.close_position,
            "side": self.side,
            "positionSide": self.position_side,
            "stopPrice": fmt(self.stop_price),
            "workingType": self.working_type,
            "priceProtect": False,
            "origType": self.orig_type or self.order_type,
            "priceMatch": "NONE",
            "selfTradePreventionMode": "EXPIRE_MAKER",
            "goodTillDate": 0,
            "time": self.time,
            "updateTime": self.update_time or self.time,
        }


@dataclass
class AlgoOrder:
    algo_id: int
    client_algo_id: str
    symbol: str
    side: str
    order_type: str
    qty: Decimal
    price: Decimal
    trigger_price: Decimal
    time_in_force: str
    working_type: str
    reduce_only: bool
    close_position: bool
    create_time: int
    activate_price: Decimal | None = None
    callback_rate: Decimal | None = None
    status: str = "NEW"
    update_time: int = 0
    trigger_time: int = 0
    actual_order_id: str = ""
    actual_price: Decimal = ZERO
    actual_qty: Decimal = ZERO
    extreme: Decimal | None = None
    activated: bool = field(default=False)
    position_side: str = "BOTH"

    @property
    def is_open(self) -> bool:
        return self.status == "NEW"

    def to_wire(self) -> dict:
        return {
            "algoId": self.algo_id,
            "clientAlgoId": self.client_algo_id,
            "algoType": "CONDITIONAL",
            "orderType": self.order_type,
            "type": self.order_type,
            "symbol": self.symbol,
            "side": self.side,
            "positionSide": self.position_side,
            "timeInForce": self.time_in_force,
            "quantity": fmt(self.qty),
            "algoStatus": self.status,
            "actualOrderId": self.actual_order_id,
            "actualPrice": fmt(self.actual_price),
            "triggerPrice": fmt(self.trigger_price),
            "price": fmt(self.price),
            "icebergQuantity": None,
            "tpTriggerPrice": "0",
            "tpPrice": "0",
            "slTriggerPrice": "0",
            "slPrice": "0",
            "tpOrderType": "",
            "selfTradePreventionMode": "EXPIRE_MAKER",
            "workingType": self.working_type,
            "priceMatch": "NONE",
            "closePosition": self.close_position,
            "priceProtect": False,
            "reduceOnly": self.reduce_only,
            "activatePrice": fmt(self.activate_price),
            "callbackRate": fmt(self.callback_rate),
            "createTime": self.create_time,
            "updateTime": self.update_time or self.create_time,
            "triggerTime": self.trigger_time,
            "goodTillDate": 0,
        }

    def to_event(self) -> dict:
        """The `o` object of an ALGO_UPDATE event."""
        return {
            "caid": self.client_algo_id,
            "aid": self.algo_id,
            "at": "CONDITIONAL",
            "o": self.order_type,
            "s": self.symbol,
            "S": self.side,
            "ps": self.position_side,
            "f": self.time_in_force,
            "q": fmt(self.qty),
            "X": self.status,
            "ai": self.actual_order_id,
            "ap": fmt(self.actual_price),
            "aq": fmt(self.actual_qty),
            "act": "MARKET" if self.order_type.endswith("MARKET") else "LIMIT",
            "tp": fmt(self.trigger_price),
            "p": fmt(self.price),
            "V": "EXPIRE_MAKER",
            "wt": self.working_type,
            "pm": "NONE",
            "cp": self.close_position,
            "pP": False,
            "R": self.reduce_only,
            "tt": self.trigger_time,
            "gtd": 0,
        }
