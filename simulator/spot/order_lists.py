"""Spot order lists: OCO (one cancels the other), OTO (one triggers the other) and OTOCO (one
triggers an OCO), matched by the spot engine and reported as Binance reports them.

- OCO: two orders on one side and quantity, one above the price and one below; the funds are
  locked once. When either order fills (even in part) or its stop triggers, the other expires
  (executionReport EXPIRED) and the list is ALL_DONE.
- OTO / OTOCO: a working LIMIT or LIMIT_MAKER order and pending order(s) (status PENDING_NEW,
  nothing locked); when the working order fills completely the pending order(s) are placed
  (an OTOCO's pair as an OCO). If the working order ends unfilled, the pending ones expire.
- Cancelling the list, or any order of it, cancels every order of the list.
Every change of the list sends a `listStatus` event after the orders' executionReports.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from simulator.core import errors
from simulator.core.errors import ApiError
from simulator.spot.matching import SpotMatchingEngine
from simulator.spot.orders import Order, OrderRequest, new_client_order_id

ZERO = Decimal(0)
ABOVE_TYPES = {"SELL": ("LIMIT_MAKER", "TAKE_PROFIT", "TAKE_PROFIT_LIMIT"),
               "BUY": ("STOP_LOSS", "STOP_LOSS_LIMIT")}  # fmt: skip
BELOW_TYPES = {"SELL": ("STOP_LOSS", "STOP_LOSS_LIMIT"),
               "BUY": ("LIMIT_MAKER", "TAKE_PROFIT", "TAKE_PROFIT_LIMIT")}  # fmt: skip


@dataclass
class OrderList:
    list_id: int
    contingency: str  # OCO | OTO | OTOCO
    client_id: str
    symbol: str
    time: int
    order_ids: list[int] = field(default_factory=list)
    working: int | None = None  # OTO / OTOCO
    pending: list[int] = field(default_factory=list)
    pair: list[int] = field(default_factory=list)  # the two orders that cancel each other
    status_type: str = "EXEC_STARTED"
    order_status: str = "EXECUTING"

    @property
    def is_open(self) -> bool:
        return self.order_status == "EXECUTING"

    def summary(self, store: Any) -> dict[str, Any]:
        return {
            "orderListId": self.list_id,
            "contingencyType": self.contingency,
            "listStatusType": self.status_type,
            "listOrderStatus": self.order_status,
            "listClientOrderId": self.client_id,
            "transactionTime": self.time,
            "symbol": self.symbol,
            "orders": [
                {"symbol": self.symbol, "orderId": i,
                 "clientOrderId": store.orders[i].client_order_id}
                for i in self.order_ids
            ],
        }  # fmt: skip


class OrderLists:
    """The order lists of one spot engine; the engine calls the hooks for their orders."""

    def __init__(self, engine: SpotMatchingEngine) -> None:
        self.engine = engine
        self.lists: dict[int, OrderList] = {}
        self.next_id = 1
        self._ending: set[int] = set()
        engine.lists = self

    def clear(self) -> None:
        self.lists.clear()
        self.next_id = 1

    def of(self, order: Order) -> OrderList | None:
        return self.lists.get(order.order_list_id)

    # ---- placing ------------------------------------------------------------------------
    def place_oco(
        self, above: OrderRequest, below: OrderRequest, client_id: str | None
    ) -> OrderList:
        side = above.side
        if above.type not in ABOVE_TYPES[side] or below.type not in BELOW_TYPES[side]:
            raise ApiError(-1116, "Invalid orderType.")
        self._check(above, below)
        olist = self._new("OCO", above.spec.symbol, client_id)
        legs = [self._order(req, olist) for req in (below, above)]
        olist.pair = [o.order_id for o in legs]
        self._lock_once(legs)
        for order in legs:
            self.engine._report(order, "NEW")
        self._status(olist)
        self.engine._after_change()
        return olist

    def place_oto(
        self, working: OrderRequest, pending: list[OrderRequest], client_id: str | None
    ) -> OrderList:
        if working.type not in ("LIMIT", "LIMIT_MAKER"):
            raise ApiError(-1116, "Invalid orderType.")
        if len(pending) == 2:
            side = pending[0].side
            if pending[0].type not in ABOVE_TYPES[side] or pending[1].type not in BELOW_TYPES[side]:
                raise ApiError(-1116, "Invalid orderType.")
        self._check(working, *pending)
        olist = self._new("OTO" if len(pending) == 1 else "OTOCO", working.spec.symbol, client_id)
        first = self._order(working, olist)
        olist.working = first.order_id
        waiting = [self._order(req, olist, pending=True) for req in reversed(pending)]
        olist.pending = [o.order_id for o in waiting]
        if len(waiting) == 2:
            olist.pair = list(olist.pending)
        self.engine._lock(first, working.spec)
        for order in (first, *waiting):
            self.engine._report(order, "NEW")
        self._status(olist)
        if first.is_open:
            self.engine._take_then_rest(first, working.spec)
        self.engine._after_change()
        return olist

    def _check(self, *reqs: OrderRequest) -> None:
        engine = self.engine
        for req in reqs:
            engine.validate(req)
            engine._check_engine_rules(req)
        symbol = reqs[0].spec.symbol
        if len(engine.store.open_of(symbol)) + len(reqs) > reqs[0].spec.max_num_orders:
            raise errors.rejected("Filter failure: MAX_NUM_ORDERS")
        ids = [r.client_order_id for r in reqs if r.client_order_id]
        if len(set(ids)) != len(ids):
            raise errors.rejected(errors.DUPLICATE_ORDER)

    def _new(self, contingency: str, symbol: str, client_id: str | None) -> OrderList:
        if client_id and any(o.client_id == client_id and o.is_open for o in self.lists.values()):
            raise errors.rejected("Duplicate order sent.")
        olist = OrderList(
            self.next_id, contingency, client_id or new_client_order_id(), symbol,
            self.engine.clock.now_ms(),
        )  # fmt: skip
        self.next_id += 1
        self.lists[olist.list_id] = olist
        return olist

    def _order(self, req: OrderRequest, olist: OrderList, pending: bool = False) -> Order:
        engine = self.engine
        order = Order.from_request(req, engine.store.next_order_id, engine.clock.now_ms())
        order.order_list_id = olist.list_id
        if pending:
            order.status = "PENDING_NEW"
        engine.store.add(order)
        if pending:
            engine.store.close(order)  # known, not open: it waits for the working order
        olist.order_ids.append(order.order_id)
        return order

    def _lock_once(self, legs: list[Order]) -> None:
        """An OCO's two orders share one lock: the larger of what each would need."""
        spec = self.engine.symbols.specs[legs[0].symbol]
        if legs[0].side == "BUY":
            asset = spec.quote
            amount = max((o.price or o.stop_price) * o.orig_qty for o in legs)
        else:
            asset, amount = spec.base, max(o.orig_qty for o in legs)
        self.engine.balances.lock(asset, amount)
        legs[0].locked_asset, legs[0].locked = asset, amount

    # ---- the engine's hooks -------------------------------------------------------------
    def before_execute(self, order: Order) -> None:
        """`order` is about to fill or trigger: its OCO partner expires, the lock moves."""
        olist = self.of(order)
        if olist is None or order.order_id not in olist.pair:
            return
        partner = self.engine.store.orders[next(i for i in olist.pair if i != order.order_id)]
        if not partner.is_open:
            return
        if partner.locked > 0 and order.locked == 0:
            order.locked_asset, order.locked = partner.locked_asset, partner.locked
            partner.locked = ZERO
        self._end(partner, "EXPIRED")
        self._finish(olist)

    def after_filled(self, order: Order) -> None:
        olist = self.of(order)
        if olist is None:
            return
        if order.order_id == olist.working and olist.pending:
            self._activate(olist)
        elif all(not self.engine.store.orders[i].is_open for i in olist.order_ids):
            self._finish(olist)

    def after_ended(self, order: Order) -> None:
        """An order of a list was cancelled or expired: the list ends with it."""
        olist = self.of(order)
        if olist is None or order.order_id in self._ending or not olist.is_open:
            return
        status = "CANCELED" if order.status == "CANCELED" else "EXPIRED"
        for i in olist.order_ids:
            other = self.engine.store.orders[i]
            if other.is_open or other.status == "PENDING_NEW":
                self._end(other, status)
        self._finish(olist)

    def _activate(self, olist: OrderList) -> None:
        engine, spec = self.engine, self.engine.symbols.specs[olist.symbol]
        waiting = [engine.store.orders[i] for i in olist.pending]
        olist.pending = []
        for order in waiting:
            order.status = "NEW"
            engine.store.open_ids.setdefault(order.symbol, []).append(order.order_id)
        try:
            if len(waiting) == 2:
                self._lock_once(waiting)
            else:
                engine._lock(waiting[0], spec)
        except ApiError:
            for order in waiting:
                self._end(order, "EXPIRED")
            self._finish(olist)
            return
        for order in waiting:
            engine._report(order, "NEW")
        self._status(olist)
        single = waiting[0]
        if len(waiting) == 1 and single.type == "MARKET":
            engine._take(single, spec, limit=None, quote_cap=None)
        elif len(waiting) == 1 and not single.is_stop:
            engine._take_then_rest(single, spec)

    def _end(self, order: Order, status: str) -> None:
        self._ending.add(order.order_id)
        try:
            self.engine._end(order, status)
        finally:
            self._ending.discard(order.order_id)

    def _finish(self, olist: OrderList) -> None:
        if not olist.is_open:
            return
        olist.status_type, olist.order_status = "ALL_DONE", "ALL_DONE"
        olist.time = self.engine.clock.now_ms()
        self._status(olist)

    def _status(self, olist: OrderList) -> None:
        store = self.engine.store
        self.engine._emit({
            "e": "listStatus", "E": self.engine.clock.now_ms(), "s": olist.symbol,
            "g": olist.list_id, "c": olist.contingency, "l": olist.status_type,
            "L": olist.order_status, "r": "NONE", "C": olist.client_id, "T": olist.time,
            "O": [
                {"s": olist.symbol, "i": i, "c": store.orders[i].client_order_id}
                for i in olist.order_ids
            ],
        })  # fmt: skip

    # ---- cancel and query ---------------------------------------------------------------
    def find(self, symbol: str | None, list_id: int | None, client_id: str | None) -> OrderList:
        for olist in self.lists.values():
            if symbol is not None and olist.symbol != symbol:
                continue
            if olist.list_id == list_id or (client_id is not None and olist.client_id == client_id):
                return olist
        raise ApiError(-2011 if symbol else -2013, "Order list does not exist.")

    def cancel(self, olist: OrderList) -> list[Order]:
        if not olist.is_open:
            raise errors.unknown_order_cancel()
        orders = [self.engine.store.orders[i] for i in olist.order_ids]
        first = next((o for o in orders if o.is_open or o.status == "PENDING_NEW"), None)
        if first is None:
            raise errors.unknown_order_cancel()
        if first.is_open:
            self.engine.cancel(first.symbol, first.order_id, None, None)
        else:  # only pending orders are left (cannot happen while the working one is open)
            first.status = "CANCELED"
            self.after_ended(first)
        return orders

    def to_state(self) -> dict[str, Any]:
        return {"next_id": self.next_id, "lists": [vars(o).copy() for o in self.lists.values()]}

    def load_state(self, state: dict[str, Any]) -> None:
        self.next_id = state.get("next_id", 1)
        self.lists = {row["list_id"]: OrderList(**row) for row in state.get("lists", [])}
