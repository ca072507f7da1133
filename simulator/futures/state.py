"""What the parts of the USD-M paper exchange share: the listing, the account, the mark prices,
the orders, the exchange's clock and where user-data events go."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from simulator.futures.accounts import FuturesAccount
from simulator.futures.marks import MarkPrices
from simulator.futures.order_types import AlgoOrder, Order
from simulator.futures.symbols import FuturesSymbol

Listener = Callable[[dict], None]
# (symbol, price, qty, is_buyer_maker, time_ms): a fill of the account, for the public tape
TradeListener = Callable[[str, Decimal, Decimal, bool, int], None]


def no_book(symbol: str) -> Any:
    return None


def no_tape(symbol: str, price: Decimal, qty: Decimal, buyer_maker: bool, time_ms: int) -> None:
    return None


@dataclass
class TradingState:
    specs: dict[str, FuturesSymbol]
    prices: MarkPrices
    now_ms: int
    account: FuturesAccount
    orders: dict[int, Order] = field(default_factory=dict)
    algo_orders: dict[int, AlgoOrder] = field(default_factory=dict)
    trades: list[dict] = field(default_factory=list)  # /fapi/v1/userTrades rows, oldest first
    next_order_id: int = 1
    next_trade_id: int = 1
    listener: Listener | None = None
    # the perpetual's order book (simulator.feeds.orderbook.OrderBook) takers walk; None: the
    # mark price is the market (a scripted symbol, or an engine without books)
    book_for: Callable[[str], Any] = no_book
    on_trade: TradeListener = no_tape

    def mark_price(self, symbol: str) -> Decimal:
        return self.prices.price_at(symbol, self.now_ms)

    def marks(self) -> dict[str, Decimal]:
        return {s: self.mark_price(s) for s in self.specs}

    def order_id(self) -> int:
        """The next id of an order or algo order (they share one sequence)."""
        order_id = self.next_order_id
        self.next_order_id += 1
        return order_id

    def trade_id(self) -> int:
        trade_id = self.next_trade_id
        self.next_trade_id += 1
        return trade_id

    def emit(self, event: dict) -> None:
        if self.listener is not None:
            self.listener(event)

    def has_open(self, symbol: str) -> bool:
        """Any open order or algo order on `symbol`."""
        return any(o.is_open and o.symbol == symbol for o in self.orders.values()) or any(
            a.is_open and a.symbol == symbol for a in self.algo_orders.values()
        )
