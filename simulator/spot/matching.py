"""The spot matching engine of the paper account: orders, balances, fees and user-data events.

Orders never meet each other: takers walk the spot order book (feeds/orderbook.py, stepped on
the market's price path) and remove the levels they fill from it; resting orders fill when the
path crosses them, limited by the volume traded in that step (so a large order fills over
several steps). Stops trigger on the path. Order lists are spot/order_lists.py's, told of their
orders' fills and ends through `lists`.
Everything runs on the server's one asyncio loop; nothing here blocks or locks.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from simulator.core import errors
from simulator.core.clock import Clock
from simulator.core.errors import ApiError
from simulator.feeds.book import floor_to
from simulator.feeds.orderbook import BookSet, OrderBook
from simulator.spot import filters
from simulator.spot.balances import Balances
from simulator.spot.market_view import MarketLike, TickLike
from simulator.spot.order_store import OrderStore
from simulator.spot.orders import (
    NO_LISTS,
    Fill,
    ListHooks,
    Order,
    OrderRequest,
    crosses,
    execution_report,
    new_client_order_id,
    stop_triggered,
)
from simulator.spot.symbols import SymbolSpec, SymbolTable

ZERO = Decimal(0)
EIGHT_DP = Decimal("0.00000001")
DEFAULT_FEE = Decimal("0.001")
RESTING_TYPES = ("LIMIT", "LIMIT_MAKER", "STOP_LOSS_LIMIT", "TAKE_PROFIT_LIMIT")
MARKET_LIKE = ("MARKET", "STOP_LOSS", "TAKE_PROFIT")


def q8(value: Decimal) -> Decimal:
    return value.quantize(EIGHT_DP, rounding=ROUND_HALF_UP)


class SpotMatchingEngine:
    def __init__(
        self,
        symbols: SymbolTable,
        market: MarketLike,
        clock: Clock,
        balances: Balances,
        maker_fee: Decimal = DEFAULT_FEE,
        taker_fee: Decimal = DEFAULT_FEE,
    ) -> None:
        self.symbols = symbols
        self.market = market
        self.clock = clock
        self.balances = balances
        self.maker_fee = maker_fee
        self.taker_fee = taker_fee
        self.listeners: list[Callable[[dict[str, Any]], None]] = []
        self.on_change: Callable[[], None] = lambda: None
        self.stats: Counter[str] = Counter()
        self.store = OrderStore()
        sizes = {s.symbol: (s.tick_size, s.step_size) for s in symbols.specs.values()}
        self.books = BookSet(market, sizes, market.last_price)
        self.lists: ListHooks = NO_LISTS

    # ---- market views -------------------------------------------------------------------
    def book(self, symbol: str) -> OrderBook:
        return self.books.book(symbol)

    def book_update_id(self, symbol: str) -> int:
        return self.books.book(symbol).update_id

    def reference_price(self, symbol: str) -> Decimal:
        """Volume-weighted average over the last 5 minutes, as /api/v3/avgPrice serves it."""
        bars = self.market.klines(symbol, "1m", None, None, 5)
        volume = sum((b.volume for b in bars), ZERO)
        if volume > 0:
            return sum((b.quote_volume for b in bars), ZERO) / volume
        return self.market.last_price(symbol)

    # ---- placing ------------------------------------------------------------------------
    def validate(self, req: OrderRequest) -> None:
        """Static filters only: what POST /api/v3/order/test checks."""
        filters.check_static(
            req.spec,
            req.type,
            req.side,
            req.quantity,
            req.quote_qty,
            req.price,
            req.stop_price,
            self.reference_price(req.spec.symbol),
        )

    def place(self, req: OrderRequest) -> tuple[Order, list[Fill]]:
        self.validate(req)
        self._check_engine_rules(req)
        order = Order.from_request(req, self.store.next_order_id, self.clock.now_ms())
        try:
            fills = self._dispatch(order, req)
        except ApiError:
            self.stats["orders_rejected"] += 1
            raise
        self.stats["orders_placed"] += 1
        self._after_change()
        return order, fills

    def _check_engine_rules(self, req: OrderRequest) -> None:
        symbol = req.spec.symbol
        cid = req.client_order_id
        if cid is not None and self.store.open_client_id(symbol, cid):
            raise errors.rejected(errors.DUPLICATE_ORDER)
        open_orders = self.store.open_of(symbol)
        if len(open_orders) + 1 > req.spec.max_num_orders:
            raise errors.rejected("Filter failure: MAX_NUM_ORDERS")
        if req.stop_price is not None:
            if sum(o.is_stop for o in open_orders) + 1 > req.spec.max_num_algo_orders:
                raise errors.rejected("Filter failure: MAX_NUM_ALGO_ORDERS")
            last = self.market.last_price(symbol)
            if stop_triggered(req.type, req.side, req.stop_price, last):
                raise errors.rejected(errors.WOULD_TRIGGER)
        if req.type == "LIMIT_MAKER" and req.price is not None:
            book = self.book(symbol)
            touch = book.best_ask() if req.side == "BUY" else book.best_bid()
            if crosses(req.side, req.price, touch):
                raise errors.rejected(errors.WOULD_TAKE)

    def _dispatch(self, order: Order, req: OrderRequest) -> list[Fill]:
        if order.type == "MARKET":
            plan = self._plan_market(order, req.spec, req.quote_qty)
            self.store.add(order)
            self._lock(order, req.spec, plan_cost=plan)
            self._report(order, "NEW")
            return self._take(order, req.spec, limit=None, quote_cap=req.quote_qty)
        self._lock(order, req.spec)
        self.store.add(order)
        self._report(order, "NEW")
        if order.is_stop:
            return []
        return self._take_then_rest(order, req.spec)

    def _plan_market(self, order: Order, spec: SymbolSpec, quote_qty: Decimal | None) -> Decimal:
        """Checks a market order against the book and balances before it is accepted; returns
        what it will lock (quote for a BUY, base for a SELL)."""
        qty_cap = order.orig_qty if quote_qty is None else None
        legs = self.book(spec.symbol).take(order.side, qty_cap, quote_qty, limit=None)
        qty = sum((q for _, q in legs), ZERO)
        if qty <= 0:
            raise errors.rejected(
                "Order book liquidity is less than LOT_SIZE filter minimum quantity."
            )
        if quote_qty is not None:
            filters.check_market_lot(spec, qty)
            order.orig_qty = qty
        if order.side == "BUY":
            needed, asset = sum((p * q for p, q in legs), ZERO), spec.quote
        else:
            needed, asset = qty, spec.base
        if self.balances.free_of(asset) < needed:
            raise errors.rejected(errors.INSUFFICIENT_BALANCE)
        return needed

    def _lock(self, order: Order, spec: SymbolSpec, plan_cost: Decimal | None = None) -> None:
        if order.side == "BUY":
            asset = spec.quote
            amount = (
                plan_cost
                if plan_cost is not None
                else (order.price or order.stop_price) * order.orig_qty
            )
        else:
            asset, amount = spec.base, order.orig_qty
        self.balances.lock(asset, amount)
        order.locked_asset, order.locked = asset, amount

    # ---- execution ----------------------------------------------------------------------
    def _take(
        self, order: Order, spec: SymbolSpec, limit: Decimal | None, quote_cap: Decimal | None
    ) -> list[Fill]:
        """Walks the book for a taker order, then expires what a market order could not fill."""
        qty_cap = None if quote_cap is not None else order.remaining
        if order.side == "BUY" and order.type in MARKET_LIKE and quote_cap is None:
            quote_cap = order.locked + self.balances.free_of(spec.quote)
        book = self.book(spec.symbol)
        legs = book.take(order.side, qty_cap, quote_cap, limit)
        if legs:
            self.lists.before_execute(order)
            book.consume(order.side, legs)
        fills = [self._fill(order, spec, price, qty, is_maker=False) for price, qty in legs]
        if order.type in MARKET_LIKE and order.remaining > 0 and order.is_open:
            self._end(order, "EXPIRED")
        return fills

    def _take_then_rest(self, order: Order, spec: SymbolSpec) -> list[Fill]:
        if order.time_in_force == "FOK":
            available = sum(
                (
                    q
                    for _, q in self.book(spec.symbol).take(
                        order.side, order.remaining, None, order.price
                    )
                ),
                ZERO,
            )
            if available < order.remaining:
                self._end(order, "EXPIRED")
                return []
        fills = self._take(order, spec, limit=order.price, quote_cap=None)
        if order.is_open and order.time_in_force in ("IOC", "FOK"):
            self._end(order, "EXPIRED")
        return fills

    def _fill(
        self, order: Order, spec: SymbolSpec, price: Decimal, qty: Decimal, is_maker: bool
    ) -> Fill:
        now = self.clock.now_ms()
        rate = self.maker_fee if is_maker else self.taker_fee
        quote = price * qty
        if order.side == "BUY":
            commission, asset = q8(qty * rate), spec.base
            self._pay(order, spec.quote, quote)
            self.balances.credit(spec.base, qty - commission)
        else:
            commission, asset = q8(quote * rate), spec.quote
            self._pay(order, spec.base, qty)
            self.balances.credit(spec.quote, quote - commission)
        trade = self.market.record_trade(
            spec.symbol, price, qty, (order.side == "BUY") == is_maker, now
        )
        fill = Fill(trade.id, price, qty, commission, asset, is_maker, now)
        order.executed_qty += qty
        order.cum_quote += quote
        order.update_time = now
        order.status = "FILLED" if order.remaining <= 0 else "PARTIALLY_FILLED"
        self.store.fills.append((order.order_id, fill))
        self.stats["fills"] += 1
        self._report(order, "TRADE", fill)
        if order.status == "FILLED":
            self._release(order)
            self.lists.after_filled(order)
        return fill

    def _pay(self, order: Order, asset: str, amount: Decimal) -> None:
        from_lock = min(order.locked, amount) if order.locked_asset == asset else ZERO
        if from_lock:
            self.balances.spend_locked(asset, from_lock)
            order.locked -= from_lock
        if amount > from_lock:
            self.balances.spend_free(asset, amount - from_lock)

    def _release(self, order: Order) -> None:
        if order.locked > 0:
            self.balances.unlock(order.locked_asset, order.locked)
            order.locked = ZERO
        self.store.close(order)

    def _end(self, order: Order, status: str, orig_client_id: str = "") -> None:
        order.status = status
        order.update_time = self.clock.now_ms()
        self._release(order)
        self.stats[f"orders_{status.lower()}"] += 1
        self._report(order, status, orig_client_id=orig_client_id)
        self.lists.after_ended(order)

    # ---- the price path -----------------------------------------------------------------
    def on_ticks(self, ticks: Sequence[TickLike]) -> None:
        if not ticks:
            return
        self.books.step_symbols(t.symbol for t in ticks)
        for tick in ticks:
            if self.store.open_ids.get(tick.symbol):
                self._trigger_stops(tick)
                self._fill_resting(tick)
        self._after_change()

    def _trigger_stops(self, tick: TickLike) -> None:
        for order in self.store.open_of(tick.symbol):
            if order.is_working or not stop_triggered(
                order.type, order.side, order.stop_price, tick.price
            ):
                continue
            spec = self.symbols.specs[order.symbol]
            self.lists.before_execute(order)
            order.working_time = self.clock.now_ms()
            if order.type in MARKET_LIKE:
                self._take(order, spec, limit=None, quote_cap=None)
            else:
                self._take_then_rest(order, spec)

    def _fill_resting(self, tick: TickLike) -> None:
        resting = [
            o
            for o in self.store.open_of(tick.symbol)
            if o.is_working and o.type in RESTING_TYPES and crosses(o.side, o.price, tick.price)
        ]
        resting.sort(key=lambda o: (-o.price if o.side == "BUY" else o.price, o.time, o.order_id))
        spec = self.symbols.specs[tick.symbol]
        available = floor_to(tick.volume, spec.step_size)
        for order in resting:
            qty = min(order.remaining, available)
            if qty <= 0:
                break
            self.lists.before_execute(order)
            self._fill(order, spec, order.price, qty, is_maker=True)
            available -= qty

    # ---- cancel and query ---------------------------------------------------------------
    def cancel(
        self, symbol: str, order_id: int | None, client_id: str | None, cancel_id: str | None
    ) -> tuple[Order, str]:
        order = self.store.find(symbol, order_id, client_id)
        if order is None or not order.is_open:
            raise errors.unknown_order_cancel()
        cancel_client_id = cancel_id or new_client_order_id()
        original = order.client_order_id
        order.client_order_id = cancel_client_id
        self._end(order, "CANCELED", orig_client_id=original)
        order.client_order_id = original
        self._after_change()
        return order, cancel_client_id

    def cancel_all(self, symbol: str) -> list[tuple[Order, str]]:
        ids = list(self.store.open_ids.get(symbol, []))
        if not ids:
            raise errors.unknown_order_cancel()
        # a list's other orders go with the first of them (their list ends)
        return [self.cancel(symbol, i, None, None) for i in ids if self.store.orders[i].is_open]

    # ---- events -------------------------------------------------------------------------
    def _report(
        self, order: Order, exec_type: str, fill: Fill | None = None, orig_client_id: str = ""
    ) -> None:
        now, execution_id = self.clock.now_ms(), self.store.execution_id()
        self._emit(
            execution_report(order, now, exec_type, fill, orig_client_id, execution_id=execution_id)
        )

    def _emit(self, event: dict[str, Any]) -> None:
        for listener in list(self.listeners):
            listener(event)

    def _after_change(self) -> None:
        changed = self.balances.take_changed()
        if changed:
            now = self.clock.now_ms()
            rows = [self.balances.row(a) for a in changed]
            self._emit(
                {
                    "e": "outboundAccountPosition",
                    "E": now,
                    "u": now,
                    "B": [{"a": r["asset"], "f": r["free"], "l": r["locked"]} for r in rows],
                }
            )
        self.on_change()

    def set_balance(self, asset: str, amount: Decimal) -> None:
        delta = self.balances.set_free(asset, amount)
        now = self.clock.now_ms()
        self._emit({"e": "balanceUpdate", "E": now, "a": asset, "d": f"{delta:.8f}", "T": now})
        self._after_change()

    # ---- persistence --------------------------------------------------------------------
    def to_state(self) -> dict[str, Any]:
        lists = self.lists.to_state()
        return {"balances": self.balances.to_state(), **self.store.to_state(), "lists": lists}

    def load_state(self, state: dict[str, Any]) -> None:
        self.store.load_state(state)
        self.balances.load_state(state.get("balances", {}))
        self.lists.load_state(state.get("lists", {}))

    def reset(self, balances: dict[str, Decimal]) -> None:
        self.store.clear()
        self.lists.clear()
        self.balances.reset(balances)
        self.on_change()
