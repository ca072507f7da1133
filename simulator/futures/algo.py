"""USD-M conditional orders on `/fapi/v1/algoOrder`: STOP, STOP_MARKET, TAKE_PROFIT(_MARKET)
and TRAILING_STOP_MARKET. A triggered one places a plain order (its `actualOrderId`); every
state change is an ALGO_UPDATE event."""

from __future__ import annotations

import secrets
from decimal import Decimal

from simulator.core import errors
from simulator.core.errors import ApiError
from simulator.core.params import Params
from simulator.futures import wire
from simulator.futures.filters import (
    check_client_id,
    check_position_side,
    check_price,
    check_quantity,
    side_of,
)
from simulator.futures.margin import ZERO
from simulator.futures.order_types import CONDITIONAL_TYPES, WORKING_TYPES, AlgoOrder, Order
from simulator.futures.orders import PlainOrders, reduces
from simulator.futures.state import TradingState
from simulator.futures.symbols import FuturesSymbol


def triggered(algo: AlgoOrder, price: Decimal) -> bool:
    is_stop = algo.order_type in ("STOP", "STOP_MARKET")
    if is_stop:
        return price >= algo.trigger_price if algo.side == "BUY" else price <= algo.trigger_price
    return price <= algo.trigger_price if algo.side == "BUY" else price >= algo.trigger_price


def trailing_fires(algo: AlgoOrder, price: Decimal) -> bool:
    """SELL: after the high reaches activation, fire on a drop of callbackRate% from the high."""
    rate = (algo.callback_rate or ZERO) / Decimal(100)
    if algo.side == "SELL":
        algo.extreme = price if algo.extreme is None else max(algo.extreme, price)
        if not algo.activated:
            algo.activated = algo.activate_price is None or algo.extreme >= algo.activate_price
        return algo.activated and price <= algo.extreme * (1 - rate)
    algo.extreme = price if algo.extreme is None else min(algo.extreme, price)
    if not algo.activated:
        algo.activated = algo.activate_price is None or algo.extreme <= algo.activate_price
    return algo.activated and price >= algo.extreme * (1 + rate)


def would_trigger_now(algo: AlgoOrder, price: Decimal) -> bool:
    if algo.order_type != "TRAILING_STOP_MARKET":
        return triggered(algo, price)
    if algo.activate_price is None:
        return False
    if algo.side == "SELL":
        return algo.activate_price <= price
    return algo.activate_price >= price


class AlgoOrders:
    def __init__(self, state: TradingState, orders: PlainOrders) -> None:
        self.state = state
        self.orders = orders

    # ---- placing ------------------------------------------------------------------------
    def place(self, params: Params) -> dict:
        state = self.state
        symbol = params.symbol(state.specs)
        assert symbol is not None
        spec = state.specs[symbol]
        if params.required_text("algoType") != "CONDITIONAL":
            raise errors.invalid_value("algoType")
        order_type = params.required_text("type")
        if order_type not in CONDITIONAL_TYPES:
            raise ApiError(-1116, "Invalid orderType.")
        side = side_of(params)
        position_side = check_position_side(params, state.account.dual_side)
        algo = self._new_algo(params, spec, side, order_type)
        algo.position_side = position_side
        if would_trigger_now(algo, state.mark_price(symbol)):
            raise ApiError(-2021, "Order would immediately trigger.")
        if sum(1 for a in state.algo_orders.values() if a.is_open and a.symbol == symbol) >= (
            spec.max_num_algo_orders
        ):
            raise ApiError(-4045, "Reach max stop order limit.")
        state.algo_orders[algo.algo_id] = algo
        state.emit(self._event(algo))
        return algo.to_wire()

    def _new_algo(
        self, params: Params, spec: FuturesSymbol, side: str, order_type: str
    ) -> AlgoOrder:
        close_position = params.flag("closePosition")
        qty = self._quantity(params, spec, order_type, close_position)
        working_type = params.text("workingType", default="CONTRACT_PRICE")
        if working_type not in WORKING_TYPES:
            raise ApiError(-4031, f"Invalid parameter working type: {working_type}")
        trigger, activate, callback = self._prices(params, spec, order_type)
        price = ZERO
        if order_type in ("STOP", "TAKE_PROFIT"):
            price = params.required_decimal("price")
            check_price(spec, price)
        client_id = params.text("clientAlgoId") or f"sim-{secrets.token_hex(8)}"
        check_client_id(client_id)
        algos = self.state.algo_orders.values()
        if any(a.client_algo_id == client_id and a.is_open for a in algos):
            raise ApiError(-4116, "clientOrderId is duplicated")
        return AlgoOrder(
            self.state.order_id(), client_id, spec.symbol, side, order_type, qty, price, trigger,
            params.text("timeInForce", default="GTC") or "GTC", working_type or "CONTRACT_PRICE",
            params.flag("reduceOnly"), close_position, self.state.now_ms, activate, callback,
        )  # fmt: skip

    def _quantity(
        self, params: Params, spec: FuturesSymbol, order_type: str, close_position: bool
    ) -> Decimal:
        if not close_position:
            qty = params.required_decimal("quantity")
            check_quantity(spec, qty, is_market=order_type.endswith("MARKET"))
            return qty
        if order_type not in ("STOP_MARKET", "TAKE_PROFIT_MARKET"):
            raise errors.not_required("closePosition")
        if params.has("quantity"):
            raise ApiError(-4137, "Quantity must be zero with closePosition equals true")
        if params.has("reduceOnly"):
            raise errors.not_required("reduceOnly")
        return ZERO

    def _prices(
        self, params: Params, spec: FuturesSymbol, order_type: str
    ) -> tuple[Decimal, Decimal | None, Decimal | None]:
        """(triggerPrice, activatePrice, callbackRate) as the type needs them."""
        if order_type != "TRAILING_STOP_MARKET":
            trigger = params.required_decimal("triggerPrice")
            check_price(spec, trigger, stop=True)
            return trigger, None, None
        callback = params.required_decimal("callbackRate")
        if not Decimal("0.1") <= callback <= Decimal(10):
            raise errors.invalid_value("callbackRate")
        activate = params.decimal("activatePrice")
        if activate is not None:
            check_price(spec, activate, stop=True)
        return ZERO, activate, callback

    # ---- triggering ---------------------------------------------------------------------
    def trigger(self, symbol: str, price: Decimal) -> None:
        for algo in sorted(self.state.algo_orders.values(), key=lambda a: a.algo_id):
            if not algo.is_open or algo.symbol != symbol:
                continue
            if algo.order_type == "TRAILING_STOP_MARKET":
                fire = trailing_fires(algo, price)
            else:
                fire = triggered(algo, price)
            if fire:
                self._fire(algo)

    def _fire(self, algo: AlgoOrder) -> None:
        state = self.state
        algo.trigger_time = algo.update_time = state.now_ms
        position = state.account.position(algo.symbol, algo.position_side).amount
        qty = algo.qty
        if algo.close_position:
            qty = abs(position) if reduces(algo.side, position) else ZERO
        if qty == 0:
            algo.status = "EXPIRED"
            state.emit(self._event(algo))
            return
        order = self._order_for(algo, qty)
        algo.status = "TRIGGERED"
        algo.actual_order_id = str(order.order_id)
        state.emit(self._event(algo))
        state.orders[order.order_id] = order
        state.emit(wire.order_trade_update(order, "NEW", state.now_ms))
        self.orders.execute_new(order)
        if algo.status == "TRIGGERED":
            algo.status = "FINISHED"
            state.emit(self._event(algo))

    def _order_for(self, algo: AlgoOrder, qty: Decimal) -> Order:
        is_market = algo.order_type.endswith("MARKET")
        return Order(
            self.state.order_id(), f"{algo.client_algo_id}"[:36], algo.symbol, algo.side,
            "MARKET" if is_market else "LIMIT", algo.time_in_force if not is_market else "GTC",
            qty, algo.price, self._reduce_only(algo), self.state.now_ms,
            orig_type=algo.order_type, close_position=algo.close_position,
            stop_price=algo.trigger_price, working_type=algo.working_type,
            position_side=algo.position_side,
        )  # fmt: skip

    @staticmethod
    def _reduce_only(algo: AlgoOrder) -> bool:
        """One-way mode: as asked (closePosition implies it); hedge mode: by its side."""
        return (algo.reduce_only or algo.close_position) and algo.position_side == "BOTH"

    def finish_for(self, order: Order) -> None:
        """A fill of the plain order a triggered algo order placed finishes that algo order."""
        for algo in self.state.algo_orders.values():
            if algo.actual_order_id == str(order.order_id):
                algo.actual_qty = order.executed_qty
                algo.actual_price = order.avg_price
                if algo.status == "TRIGGERED":
                    algo.status = "FINISHED"
                    self.state.emit(self._event(algo))

    # ---- cancel and query ---------------------------------------------------------------
    def find(self, params: Params) -> AlgoOrder:
        algo_id = params.integer("algoId")
        client_id = params.text("clientAlgoId")
        if algo_id is None and client_id is None:
            raise errors.either_mandatory("algoId", "clientAlgoId")
        for algo in self.state.algo_orders.values():
            if algo.algo_id == algo_id or (client_id and algo.client_algo_id == client_id):
                return algo
        raise errors.no_such_order()

    def cancel(self, params: Params) -> dict:
        try:
            algo = self.find(params)
        except ApiError as e:
            if e.code == -2013:
                raise errors.unknown_order_cancel() from e
            raise
        if not algo.is_open:
            raise errors.unknown_order_cancel()
        algo.status = "CANCELED"
        algo.update_time = self.state.now_ms
        self.state.emit(self._event(algo))
        return {
            "algoId": algo.algo_id,
            "clientAlgoId": algo.client_algo_id,
            "code": "200",
            "msg": "success",
        }

    def open_orders(self, symbol: str | None) -> list[dict]:
        return [
            a.to_wire()
            for a in self.state.algo_orders.values()
            if a.is_open and (symbol is None or a.symbol == symbol)
        ]

    def _event(self, algo: AlgoOrder) -> dict:
        now = self.state.now_ms
        return {"e": "ALGO_UPDATE", "T": now, "E": now, "o": algo.to_event()}
