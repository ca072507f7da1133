"""Spot order-list endpoints: `POST /api/v3/orderList/oco|oto|otoco`, `GET|DELETE
/api/v3/orderList`, `GET /api/v3/allOrderList` and `GET /api/v3/openOrderList`.

Each leg is read from its prefixed parameters (`aboveType`, `abovePrice`, `belowStopPrice`,
`workingQuantity`, `pendingAboveTimeInForce`, ...) with the same checks a single order gets.
"""

from __future__ import annotations

from typing import Any

from simulator.core import errors
from simulator.core.context import Call, Route
from simulator.core.errors import ApiError
from simulator.core.params import Params
from simulator.spot.order_lists import OrderList, OrderLists
from simulator.spot.orders import OrderRequest
from simulator.spot.request_params import SIDES, TIFS, client_id, required_spec, time_range
from simulator.spot.symbols import ORDER_TYPES, SymbolSpec

SIGNED = "SIGNED"
PRICED = ("LIMIT", "LIMIT_MAKER", "STOP_LOSS_LIMIT", "TAKE_PROFIT_LIMIT")
TIMED = ("LIMIT", "STOP_LOSS_LIMIT", "TAKE_PROFIT_LIMIT")
STOPPED = ("STOP_LOSS", "STOP_LOSS_LIMIT", "TAKE_PROFIT", "TAKE_PROFIT_LIMIT")


def leg(
    params: Params, prefix: str, spec: SymbolSpec, side: str | None = None, qty_name: str = ""
) -> OrderRequest:
    """One order of a list from its `prefix`ed parameters (prefix "above", "workingX", ...)."""

    def name(field: str) -> str:
        return f"{prefix}{field[0].upper()}{field[1:]}" if prefix else field

    order_type = params.enum(name("type"), ORDER_TYPES, ApiError(-1116, "Invalid orderType."), True)
    if side is None:
        side = params.enum(name("side"), SIDES, ApiError(-1117, "Invalid side."), True)
    quantity = params.decimal(qty_name or name("quantity"), required=True)
    for field, needed in (
        ("price", order_type in PRICED),
        ("stopPrice", order_type in STOPPED),
        ("timeInForce", order_type in TIMED),
    ):
        if needed and not params.has(name(field)):
            raise errors.mandatory(name(field))
        if not needed and params.has(name(field)):
            raise errors.not_required(name(field))
    if params.has(name("trailingDelta")) or params.has(name("icebergQty")):
        raise ApiError(-1014, "Unsupported order combination.")
    tif = params.enum(name("timeInForce"), TIFS, ApiError(-1115, "Invalid timeInForce."))
    return OrderRequest(
        spec=spec, side=side or "", type=order_type or "", time_in_force=tif,
        quantity=quantity, quote_qty=None, price=params.decimal(name("price")),
        stop_price=params.decimal(name("stopPrice")),
        client_order_id=client_id(params, name("clientOrderId")),
    )  # fmt: skip


class SpotListRest:
    def __init__(self, lists: OrderLists) -> None:
        self.lists = lists
        self.symbols = lists.engine.symbols

    def routes(self) -> list[Route]:
        api = "/api/v3"
        return [
            Route("POST", f"{api}/orderList/oco", self.oco, 1, SIGNED, True, True, 2),
            Route("POST", f"{api}/orderList/oto", self.oto, 1, SIGNED, True, True, 2),
            Route("POST", f"{api}/orderList/otoco", self.otoco, 1, SIGNED, True, True, 3),
            Route("GET", f"{api}/orderList", self.get, 4, SIGNED),
            Route("DELETE", f"{api}/orderList", self.cancel, 1, SIGNED, free_on_success=True),
            Route("GET", f"{api}/allOrderList", self.all, 20, SIGNED),
            Route("GET", f"{api}/openOrderList", self.open, 6, SIGNED),
        ]

    def _placed(self, olist: OrderList, now: int) -> dict[str, Any]:
        store = self.lists.engine.store
        reports = [store.orders[i].to_result(now) for i in olist.order_ids]
        return {**olist.summary(store), "orderReports": reports}

    def oco(self, call: Call) -> dict[str, Any]:
        params = call.params
        spec = required_spec(self.symbols, params)
        side = params.enum("side", SIDES, ApiError(-1117, "Invalid side."), required=True)
        above = leg(params, "above", spec, side, "quantity")
        below = leg(params, "below", spec, side, "quantity")
        olist = self.lists.place_oco(above, below, client_id(params, "listClientOrderId"))
        return self._placed(olist, call.now_ms)

    def oto(self, call: Call) -> dict[str, Any]:
        params = call.params
        spec = required_spec(self.symbols, params)
        working, pending = leg(params, "working", spec), leg(params, "pending", spec)
        olist = self.lists.place_oto(working, [pending], client_id(params, "listClientOrderId"))
        return self._placed(olist, call.now_ms)

    def otoco(self, call: Call) -> dict[str, Any]:
        params = call.params
        spec = required_spec(self.symbols, params)
        working = leg(params, "working", spec)
        side = params.enum("pendingSide", SIDES, ApiError(-1117, "Invalid side."), required=True)
        above = leg(params, "pendingAbove", spec, side, "pendingQuantity")
        below = leg(params, "pendingBelow", spec, side, "pendingQuantity")
        olist = self.lists.place_oto(
            working, [above, below], client_id(params, "listClientOrderId")
        )
        return self._placed(olist, call.now_ms)

    def _find(self, params: Params, symbol: str | None) -> OrderList:
        list_id = params.integer("orderListId")
        client = client_id(params, "listClientOrderId") or client_id(params, "origClientOrderId")
        if list_id is None and client is None:
            raise errors.either_mandatory("orderListId", "listClientOrderId")
        return self.lists.find(symbol, list_id, client)

    def get(self, call: Call) -> dict[str, Any]:
        return self._find(call.params, None).summary(self.lists.engine.store)

    def cancel(self, call: Call) -> dict[str, Any]:
        spec = required_spec(self.symbols, call.params)
        olist = self._find(call.params, spec.symbol)
        orders = self.lists.cancel(olist)
        reports = [o.to_cancel(call.now_ms, o.client_order_id) for o in orders]
        return {**olist.summary(self.lists.engine.store), "orderReports": reports}

    def all(self, call: Call) -> list[dict[str, Any]]:
        params = call.params
        from_id = params.integer("fromId")
        start, end = time_range(params)
        limit = params.limit(500, 1000)
        rows = [
            o
            for o in self.lists.lists.values()
            if (from_id is None or o.list_id >= from_id)
            and (start is None or o.time >= start)
            and (end is None or o.time <= end)
        ]
        rows = rows[:limit] if from_id is not None or start is not None else rows[-limit:]
        return [o.summary(self.lists.engine.store) for o in rows]

    def open(self, call: Call) -> list[dict[str, Any]]:
        store = self.lists.engine.store
        return [o.summary(store) for o in self.lists.lists.values() if o.is_open]
