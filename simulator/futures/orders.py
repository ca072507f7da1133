"""USD-M plain orders (LIMIT, MARKET): placing with Binance's checks (one-way or hedge mode),
cancelling, querying, and the account's trade list. How they execute (the book, resting fills
against traded volume) is futures/execution.py. Every state change is an ORDER_TRADE_UPDATE.
"""

from __future__ import annotations

import secrets
from decimal import Decimal

from simulator.core import errors
from simulator.core.errors import ApiError
from simulator.core.params import Params
from simulator.futures import wire
from simulator.futures.execution import OrderExecution, is_reduce_only, reduces
from simulator.futures.filters import (
    check_client_id,
    check_min_notional,
    check_percent_price,
    check_price,
    check_quantity,
    position_side_of,
    side_of,
)
from simulator.futures.margin import ZERO
from simulator.futures.order_types import CONDITIONAL_TYPES, PLAIN_TYPES, TIME_IN_FORCE, Order
from simulator.futures.state import TradingState
from simulator.futures.symbols import FuturesSymbol


def signed(side: str) -> Decimal:
    return Decimal(1) if side == "BUY" else Decimal(-1)


def increasing_qty(side: str, qty: Decimal, position: Decimal) -> Decimal:
    if reduces(side, position):
        return max(ZERO, qty - abs(position))
    return qty


__all__ = ["PlainOrders", "increasing_qty", "reduces"]


class PlainOrders(OrderExecution):
    def __init__(self, state: TradingState) -> None:
        super().__init__(state)

    # ---- placing ------------------------------------------------------------------------
    def place(self, params: Params) -> dict:
        symbol = params.symbol(self.state.specs)
        assert symbol is not None
        order_type = params.required_text("type")
        if order_type in CONDITIONAL_TYPES:
            raise errors.stop_order_switch_algo()
        if order_type not in PLAIN_TYPES:
            raise ApiError(-1116, "Invalid orderType.")
        order = self.check(params, symbol, order_type)
        self.state.orders[order.order_id] = order
        ack = order.to_wire()
        self.state.emit(wire.order_trade_update(order, "NEW", self.state.now_ms))
        self.execute_new(order)
        if params.text("newOrderRespType", default="ACK") == "RESULT":
            return order.to_wire()
        return ack

    def check(self, params: Params, symbol: str, order_type: str) -> Order:
        """The order `params` ask for, through every check, not yet placed."""
        side = side_of(params)
        position_side = position_side_of(params, self.state.account.dual_side)
        order = self._new_order(params, self.state.specs[symbol], side, order_type)
        order.position_side = position_side
        self._check_engine_rules(order)
        return order

    def test(self, params: Params) -> dict:
        """POST /fapi/v1/order/test: every check of a new order; nothing placed, no id used."""
        symbol = params.symbol(self.state.specs)
        assert symbol is not None
        order_type = params.required_text("type")
        if order_type not in PLAIN_TYPES:
            raise ApiError(-1116, "Invalid orderType.")
        next_id = self.state.next_order_id
        try:
            return self.check(params, symbol, order_type).to_wire()
        finally:
            self.state.next_order_id = next_id

    def _new_order(self, params: Params, spec: FuturesSymbol, side: str, order_type: str) -> Order:
        qty = params.required_decimal("quantity")
        check_quantity(spec, qty, is_market=order_type == "MARKET")
        reduce_only = params.flag("reduceOnly")
        tif, price = self._limit_fields(params, spec, side, order_type)
        if not reduce_only and not _closes(params, side):
            notional_price = price if order_type == "LIMIT" else self.state.mark_price(spec.symbol)
            check_min_notional(spec, qty, notional_price)
        client_id = params.text("newClientOrderId") or f"sim-{secrets.token_hex(8)}"
        check_client_id(client_id)
        if any(o.client_order_id == client_id and o.is_open for o in self.state.orders.values()):
            raise ApiError(-4116, "clientOrderId is duplicated")
        return Order(
            self.state.order_id(), client_id, spec.symbol, side, order_type, tif, qty, price,
            reduce_only, self.state.now_ms,
        )  # fmt: skip

    def _limit_fields(
        self, params: Params, spec: FuturesSymbol, side: str, order_type: str
    ) -> tuple[str, Decimal]:
        """(timeInForce, price): a LIMIT's, checked; a MARKET takes neither."""
        if order_type != "LIMIT":
            if params.has("price"):
                raise errors.not_required("price")
            return "GTC", ZERO
        tif = params.required_text("timeInForce")
        if tif not in TIME_IN_FORCE:
            raise ApiError(-1115, "Invalid timeInForce.")
        price = params.required_decimal("price")
        check_price(spec, price)
        check_percent_price(spec, side, price, self.state.mark_price(spec.symbol))
        return tif, price

    def _check_engine_rules(self, order: Order) -> None:
        position = self.position_amount(order)
        if is_reduce_only(order) and not reduces(order.side, position):
            raise errors.reduce_only_rejected()
        if order.position_side != "BOTH" and is_reduce_only(order) and order.qty > abs(position):
            raise errors.reduce_only_rejected()  # hedge mode: a close larger than its side
        increasing = increasing_qty(order.side, order.qty, position)
        if increasing == 0:
            return
        self._check_margin(order, position, increasing)
        if order.time_in_force == "GTX" and self.marketable(order):
            raise ApiError(
                -5022,
                "Due to the order could not be executed as maker, the Post Only order will be "
                "rejected.",
            )
        if order.time_in_force == "FOK" and self.fillable_now(order) < order.qty:
            raise ApiError(
                -5021,
                "Due to the order could not be filled immediately, the FOK order has been "
                "rejected.",
            )

    def _check_margin(self, order: Order, position: Decimal, increasing: Decimal) -> None:
        """The position cap at the symbol's leverage, then the initial margin it needs."""
        state = self.state
        price = order.price if order.order_type == "LIMIT" else state.mark_price(order.symbol)
        settings = state.account.settings_for(order.symbol)
        resulting = abs(position) + increasing + self._same_side_open_qty(order)
        cap = state.specs[order.symbol].brackets.max_notional_at(settings.leverage)
        if resulting * price > cap:
            raise errors.max_position_at_leverage()
        required = increasing * price / Decimal(settings.leverage)
        if order.order_type == "LIMIT":
            mark = state.mark_price(order.symbol)
            required += increasing * max(ZERO, signed(order.side) * (price - mark))
        if required > state.account.available_balance(state.marks(), self.open_order_margin()):
            raise errors.margin_insufficient()

    def _same_side_open_qty(self, order: Order) -> Decimal:
        return sum(
            (
                o.qty - o.executed_qty
                for o in self.state.orders.values()
                if o.is_open
                and o.symbol == order.symbol
                and o.side == order.side
                and o.position_side == order.position_side
            ),
            ZERO,
        )

    def open_order_margin(self) -> Decimal:
        """Initial margin held by resting orders that would open or add to a position."""
        total = ZERO
        account = self.state.account
        for order in self.state.orders.values():
            if not order.is_open or order.order_type != "LIMIT":
                continue
            position = account.position(order.symbol, order.position_side).amount
            increasing = increasing_qty(order.side, order.qty - order.executed_qty, position)
            total += increasing * order.price / Decimal(account.settings_for(order.symbol).leverage)
        return total

    # ---- cancel and query ---------------------------------------------------------------
    def find(self, params: Params) -> Order:
        symbol = params.symbol(self.state.specs)
        order_id = params.integer("orderId")
        client_id = params.text("origClientOrderId")
        if order_id is None and client_id is None:
            raise errors.either_mandatory("orderId", "origClientOrderId")
        for order in self.state.orders.values():
            if order.symbol != symbol:
                continue
            if order.order_id == order_id or (client_id and order.client_order_id == client_id):
                return order
        raise errors.no_such_order()

    def cancel(self, params: Params) -> dict:
        try:
            order = self.find(params)
        except ApiError as e:
            if e.code == -2013:
                raise errors.unknown_order_cancel() from e
            raise
        if not order.is_open:
            raise errors.unknown_order_cancel()
        self.finish(order, "CANCELED")
        return order.to_wire()

    def open_orders(self, symbol: str | None) -> list[dict]:
        return [
            o.to_wire()
            for o in self.state.orders.values()
            if o.is_open and (symbol is None or o.symbol == symbol)
        ]

    def user_trades(self, params: Params) -> list[dict]:
        """GET /fapi/v1/userTrades: one symbol's trades, by time or from an id (limit 500/1000)."""
        symbol = params.required_text("symbol")
        start, end = params.integer("startTime"), params.integer("endTime")
        from_id = params.integer("fromId")
        limit = min(params.integer("limit") or 500, 1000)
        rows = [
            t for t in self.state.trades
            if t["symbol"] == symbol
            and (start is None or t["time"] >= start)
            and (end is None or t["time"] <= end)
            and (from_id is None or t["id"] >= from_id)
        ]  # fmt: skip
        return rows[:limit]


def _closes(params: Params, side: str) -> bool:
    """Hedge mode: a SELL on LONG or a BUY on SHORT (no minimum notional, as reduce-only)."""
    return (params.text("positionSide"), side) in (("LONG", "SELL"), ("SHORT", "BUY"))
