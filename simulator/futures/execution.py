"""How USD-M plain orders execute: takers walk the perpetual's book, resting LIMITs fill at their
price against the volume the path trades, and every execution books a fill on the account.

- A marketable order takes from the book level by level (one trade per level, so a large
  MARKET order's average price slips with its size, as on spot); what the book cannot give
  expires (MARKET, IOC) or rests (GTC). The levels it took are removed from the book.
- A resting LIMIT the path crosses fills at its price, in price then time priority, at most
  the volume traded in that step of the path (floored to the step size): a large order fills
  over several steps (PARTIALLY_FILLED in between).
- A symbol a test scripted (`/_sim/futures/price`) has no book: its mark price is the market,
  so takers fill there in full and crossed resting orders fill in full.
- In hedge mode an order that reduces its position side (SELL LONG, BUY SHORT) is reduce-only.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import ROUND_DOWN, Decimal

from simulator.futures import wire
from simulator.futures.margin import ZERO, Fill, FillOutcome
from simulator.futures.order_types import Order
from simulator.futures.state import TradingState


def reduces(side: str, position: Decimal) -> bool:
    return (position > 0 and side == "SELL") or (position < 0 and side == "BUY")


def closes_side(order: Order) -> bool:
    """Hedge mode: SELL on LONG and BUY on SHORT close their side."""
    return (order.position_side, order.side) in (("LONG", "SELL"), ("SHORT", "BUY"))


def is_reduce_only(order: Order) -> bool:
    return order.reduce_only or closes_side(order)


class OrderExecution:
    def __init__(self, state: TradingState) -> None:
        self.state = state
        # called after every fill; the algo orders finish the one that fired it
        self.after_fill: Callable[[Order], None] = lambda order: None

    def position_amount(self, order: Order) -> Decimal:
        return self.state.account.position(order.symbol, order.position_side).amount

    # ---- taking -------------------------------------------------------------------------
    def marketable(self, order: Order) -> bool:
        if order.order_type == "MARKET":
            return True
        book = self.state.book_for(order.symbol)
        if book is None:
            last = self.state.mark_price(order.symbol)
        else:
            last = book.best_ask() if order.side == "BUY" else book.best_bid()
        return last <= order.price if order.side == "BUY" else last >= order.price

    def fillable_now(self, order: Order) -> Decimal:
        """How much of the order the book would give at once (FOK's check)."""
        book = self.state.book_for(order.symbol)
        if book is None:
            return order.qty if self.marketable(order) else ZERO
        limit = order.price if order.order_type == "LIMIT" else None
        return sum((q for _, q in book.take(order.side, order.qty, None, limit)), ZERO)

    def execute_new(self, order: Order) -> None:
        book = self.state.book_for(order.symbol)
        if book is None:
            if self.marketable(order):
                self._fill(order, self.state.mark_price(order.symbol), False, order.remaining)
        else:
            wanted = order.remaining
            if is_reduce_only(order):
                wanted = min(wanted, abs(self.position_amount(order)))
            limit = order.price if order.order_type == "LIMIT" else None
            legs = book.take(order.side, wanted, None, limit) if wanted > 0 else []
            if legs:
                book.consume(order.side, legs)
            for price, qty in legs:
                if order.is_open:
                    self._fill(order, price, False, qty)
        if not order.is_open:
            return
        if order.order_type == "MARKET":
            self.finish(order, "EXPIRED", expiry_reason="4" if is_reduce_only(order) else "9")
        elif order.time_in_force in ("IOC", "FOK"):
            self.finish(order, "EXPIRED", expiry_reason="2")

    # ---- resting ------------------------------------------------------------------------
    def match_resting(self, symbol: str, price: Decimal, volume: Decimal | None = None) -> None:
        """The path traded `volume` at `price`: crossed resting LIMITs fill, best price first."""
        crossed = [
            o
            for o in self.state.orders.values()
            if o.is_open
            and o.symbol == symbol
            and o.order_type == "LIMIT"
            and (price <= o.price if o.side == "BUY" else price >= o.price)
        ]
        crossed.sort(key=lambda o: (-o.price if o.side == "BUY" else o.price, o.order_id))
        available = None
        if volume is not None:
            step = self.state.specs[symbol].step_size
            available = (volume / step).to_integral_value(rounding=ROUND_DOWN) * step
        for order in crossed:
            qty = order.remaining if available is None else min(order.remaining, available)
            if qty <= 0:
                break
            filled_before = order.executed_qty
            self._fill(order, order.price, True, qty)
            if available is not None:
                available -= order.executed_qty - filled_before

    # ---- booking ------------------------------------------------------------------------
    def _fill(self, order: Order, price: Decimal, is_maker: bool, qty: Decimal) -> None:
        state = self.state
        position = self.position_amount(order)
        if is_reduce_only(order):
            if not reduces(order.side, position):
                self.finish(order, "EXPIRED", expiry_reason="4")
                return
            qty = min(qty, abs(position))
        trade_id = state.trade_id()
        outcome = state.account.apply_fill(
            Fill(
                order.symbol, order.side, qty, price, is_maker, state.now_ms, trade_id,
                order.position_side,
            )
        )  # fmt: skip
        order.executed_qty += qty
        order.cum_quote += qty * price
        order.realized_pnl += outcome.realized_pnl
        self._record_trade(order, trade_id, qty, price, outcome, is_maker)
        order.status = "FILLED" if order.executed_qty == order.qty else "PARTIALLY_FILLED"
        order.update_time = state.now_ms
        state.emit(
            wire.order_trade_update(
                order, "TRADE", state.now_ms, qty, price, outcome.commission,
                outcome.realized_pnl, is_maker, trade_id,
            )
        )  # fmt: skip
        key = state.account.position(order.symbol, order.position_side).key
        state.emit(wire.account_update(state.account, "ORDER", [key], state.marks(), state.now_ms))
        state.on_trade(order.symbol, price, qty, (order.side == "BUY") == is_maker, state.now_ms)
        self.after_fill(order)

    def _record_trade(
        self,
        order: Order,
        trade_id: int,
        qty: Decimal,
        price: Decimal,
        outcome: FillOutcome,
        maker: bool,
    ) -> None:
        self.state.trades.append({
            "symbol": order.symbol, "id": trade_id, "orderId": order.order_id,
            "side": order.side, "price": f"{price:f}", "qty": f"{qty:f}",
            "realizedPnl": f"{outcome.realized_pnl:f}", "quoteQty": f"{qty * price:f}",
            "commission": f"{outcome.commission:f}", "commissionAsset": "USDT",
            "time": self.state.now_ms, "positionSide": order.position_side,
            "buyer": order.side == "BUY", "maker": maker,
        })  # fmt: skip

    def finish(self, order: Order, status: str, expiry_reason: str = "0") -> None:
        order.status = status
        order.update_time = self.state.now_ms
        execution = "CANCELED" if status == "CANCELED" else "EXPIRED"
        self.state.emit(
            wire.order_trade_update(
                order, execution, self.state.now_ms, expiry_reason=expiry_reason
            )
        )
