"""USD-M liquidation: an isolated position whose margin falls to its maintenance margin, or the
whole cross account when its margin balance does (largest maintenance margin first), is closed
at its liquidation price by a LIQUIDATION order, its open orders expire."""

from __future__ import annotations

from simulator.futures import wire
from simulator.futures.margin import ZERO
from simulator.futures.order_types import Order
from simulator.futures.orders import PlainOrders
from simulator.futures.state import TradingState


class Liquidator:
    def __init__(self, state: TradingState, orders: PlainOrders) -> None:
        self.state = state
        self.orders = orders

    def check(self) -> None:
        if not self.state.account.open_symbols():  # nothing to liquidate: skip the marks
            return
        account, marks = self.state.account, self.state.marks()
        for key in account.open_symbols():
            if account.isolated_breached(key, marks[account.positions[key].symbol]):
                self._liquidate(key)
        while account.cross_breached(self.state.marks()):
            self._liquidate(self._largest_cross())

    def _largest_cross(self) -> str:
        account, marks, specs = self.state.account, self.state.marks(), self.state.specs

        def maint(key: str) -> object:
            position = account.positions[key]
            notional = position.amount * marks[position.symbol]
            return specs[position.symbol].brackets.maintenance_margin(notional)

        return max(account.cross_symbols(), key=maint)  # type: ignore[arg-type]

    def _liquidate(self, key: str) -> None:
        state = self.state
        held = state.account.positions[key]
        symbol, side = held.symbol, held.position_side
        for order in state.orders.values():
            if order.is_open and order.symbol == symbol and order.position_side == side:
                self.orders.finish(order, "EXPIRED", expiry_reason="5")
        position = held.amount
        order = Order(
            state.order_id(), f"autoclose-{state.now_ms}", symbol,
            "SELL" if position > 0 else "BUY", "LIQUIDATION", "IOC", abs(position), ZERO,
            False, state.now_ms, orig_type="LIQUIDATION", position_side=side,
        )  # fmt: skip
        state.orders[order.order_id] = order
        state.emit(wire.order_trade_update(order, "NEW", state.now_ms))
        fill = state.account.liquidate(key, state.marks(), state.now_ms)
        order.price = fill.price
        order.executed_qty = fill.qty
        order.cum_quote = fill.qty * fill.price
        order.realized_pnl = fill.outcome.realized_pnl
        order.status = "FILLED"
        order.update_time = state.now_ms
        state.emit(
            wire.order_trade_update(
                order, "CALCULATED", state.now_ms, fill.qty, fill.price, fill.outcome.commission,
                fill.outcome.realized_pnl, False, state.trade_id(),
            )
        )  # fmt: skip
        state.emit(wire.account_update(state.account, "ORDER", [key], state.marks(), state.now_ms))
