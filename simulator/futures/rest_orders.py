"""USD-M order endpoints beyond place / query / cancel: history, cancel-all, batches, amend (PUT),
one open order, test orders, the dead man's switch, and the algo service's history and
cancel-all."""

from __future__ import annotations

from typing import Any

import orjson

from simulator.core import errors
from simulator.core.context import Call, Route
from simulator.core.errors import ApiError
from simulator.core.params import Params
from simulator.futures import wire
from simulator.futures.filters import check_price, check_quantity
from simulator.futures.matching import FuturesMatchingEngine
from simulator.futures.order_types import Order

SIGNED = "SIGNED"
ALL_CANCELED = {"code": 200, "msg": "The operation of cancel all open order is done."}
MAX_BATCH = 5
MAX_CANCEL_BATCH = 10


def _json_list(params: Params, name: str, limit: int) -> list[Any]:
    raw = params.text(name, max_len=20_000)
    if raw is None:
        raise errors.mandatory(name)
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise errors.invalid_value(name) from None
    if not isinstance(value, list) or not value:
        raise errors.invalid_value(name)
    if len(value) > limit:
        raise ApiError(-4082, f"Invalid number of batch place orders: {len(value)}")
    return value


def _error_row(e: ApiError) -> dict[str, Any]:
    return {"code": e.code, "msg": e.msg}


class FuturesOrderRest:
    def __init__(self, engine: FuturesMatchingEngine) -> None:
        self.engine = engine

    def routes(self) -> list[Route]:
        v1 = "/fapi/v1"
        return [
            Route("GET", f"{v1}/allOrders", self.all_orders, 5, SIGNED),
            Route("DELETE", f"{v1}/allOpenOrders", self.cancel_all, 1, SIGNED),
            Route("POST", f"{v1}/batchOrders", self.batch_place, 5, SIGNED, counts_order=True),
            Route("DELETE", f"{v1}/batchOrders", self.batch_cancel, 1, SIGNED),
            Route("PUT", f"{v1}/order", self.amend, 1, SIGNED, counts_order=True),
            Route("GET", f"{v1}/openOrder", self.open_order, 1, SIGNED),
            Route("POST", f"{v1}/order/test", self.test_order, 0, SIGNED),
            Route("POST", f"{v1}/countdownCancelAll", self.countdown, 10, SIGNED),
            Route("GET", f"{v1}/allAlgoOrders", self.all_algos, 5, SIGNED),
            Route("DELETE", f"{v1}/algoOpenOrders", self.cancel_algos, 1, SIGNED),
        ]

    @property
    def orders(self) -> Any:
        return self.engine.orders

    def _symbol(self, params: Params) -> str:
        return params.symbol(self.engine.specs) or ""

    def all_orders(self, call: Call) -> list[dict[str, Any]]:
        params = call.params
        symbol = self._symbol(params)
        from_id = params.integer("orderId")
        start, end = params.integer("startTime"), params.integer("endTime")
        limit = params.limit(500, 1000)
        rows = [
            o
            for o in self.engine.state.orders.values()
            if o.symbol == symbol
            and (from_id is None or o.order_id >= from_id)
            and (start is None or o.time >= start)
            and (end is None or o.time <= end)
        ]
        rows = rows[:limit] if from_id is not None or start is not None else rows[-limit:]
        return [o.to_wire() for o in rows]

    def cancel_all(self, call: Call) -> dict[str, Any]:
        symbol = self._symbol(call.params)
        self.engine.cancel_all(symbol)
        return ALL_CANCELED

    def batch_place(self, call: Call) -> list[dict[str, Any]]:
        rows = []
        for item in _json_list(call.params, "batchOrders", MAX_BATCH):
            if not isinstance(item, dict):
                rows.append(_error_row(errors.invalid_value("batchOrders")))
                continue
            try:
                rows.append(self.orders.place(Params({k: str(v) for k, v in item.items()})))
            except ApiError as e:
                rows.append(_error_row(e))
        return rows

    def batch_cancel(self, call: Call) -> list[dict[str, Any]]:
        params = call.params
        symbol = self._symbol(params)
        if params.has("orderIdList"):
            wanted = [("orderId", str(i)) for i in _json_list(params, "orderIdList", 10)]
        else:
            ids = _json_list(params, "origClientOrderIdList", MAX_CANCEL_BATCH)
            wanted = [("origClientOrderId", str(i)) for i in ids]
        rows = []
        for name, value in wanted:
            try:
                rows.append(self.orders.cancel(Params({"symbol": symbol, name: value})))
            except ApiError as e:
                rows.append(_error_row(e))
        return rows

    def amend(self, call: Call) -> dict[str, Any]:
        """PUT /fapi/v1/order: a resting LIMIT's price and quantity (AMENDMENT event)."""
        params = call.params
        order = self.orders.find(params)
        side = params.required_text("side")
        qty, price = params.required_decimal("quantity"), params.required_decimal("price")
        if not order.is_open or order.order_type != "LIMIT" or side != order.side:
            raise ApiError(-2013, "Order does not exist.")
        if qty == order.qty and price == order.price:
            raise ApiError(-5027, "No need to modify the order.")
        spec = self.engine.specs[order.symbol]
        check_price(spec, price)
        check_quantity(spec, qty, is_market=False)
        if qty <= order.executed_qty:
            self.orders.finish(order, "CANCELED")
            return order.to_wire()
        order.qty, order.price, order.update_time = qty, price, self.engine.now_ms
        self.engine.state.emit(wire.order_trade_update(order, "AMENDMENT", self.engine.now_ms))
        if self.orders.marketable(order):
            self.orders.execute_new(order)
        return order.to_wire()

    def open_order(self, call: Call) -> dict[str, Any]:
        order: Order = self.orders.find(call.params)
        if not order.is_open:
            raise ApiError(-2013, "Order does not exist.")
        return order.to_wire()

    def test_order(self, call: Call) -> dict[str, Any]:
        """Checked as a new order would be, then forgotten: nothing rests, nothing fills."""
        return self.engine.test_order(call.params)

    def countdown(self, call: Call) -> dict[str, Any]:
        symbol = self._symbol(call.params)
        countdown = call.params.integer("countdownTime", required=True) or 0
        if countdown and countdown < 1000:
            raise errors.invalid_value("countdownTime")
        self.engine.set_countdown(symbol, countdown)
        return {"symbol": symbol, "countdownTime": str(countdown)}

    def all_algos(self, call: Call) -> list[dict[str, Any]]:
        params = call.params
        symbol = self._symbol(params)
        start, end = params.integer("startTime"), params.integer("endTime")
        algo_id, limit = params.integer("algoId"), params.limit(500, 1000)
        rows = [
            a
            for a in self.engine.state.algo_orders.values()
            if a.symbol == symbol
            and (algo_id is None or a.algo_id >= algo_id)
            and (start is None or a.create_time >= start)
            and (end is None or a.create_time <= end)
        ]
        return [a.to_wire() for a in rows[-limit:]]

    def cancel_algos(self, call: Call) -> dict[str, Any]:
        symbol = self._symbol(call.params)
        for algo in list(self.engine.state.algo_orders.values()):
            if algo.is_open and algo.symbol == symbol:
                self.engine.algos.cancel(Params({"algoId": str(algo.algo_id)}))
        return ALL_CANCELED
