"""Binance spot order-list payloads (OCO answers, list queries, `listStatus` events) -> ours."""

from __future__ import annotations

from engine.binance.schemas.common import Payload, _first, _get
from engine.binance.schemas.orders import order_from_spot_response
from engine.models import OrderUpdate
from engine.order_lists import OrderListUpdate

_DONE = ("ALL_DONE", "REJECT")


def order_list_from_response(payload: Payload) -> OrderListUpdate:
    """POST /api/v3/orderList/oco, GET /api/v3/orderList, DELETE /api/v3/orderList, and the
    entries of GET /api/v3/openOrderList and /allOrderList."""
    what = "order list"
    return OrderListUpdate(
        symbol=_get(payload, "symbol", what),
        order_list_id=str(_get(payload, "orderListId", what)),
        list_client_id=str(_get(payload, "listClientOrderId", what)),
        contingency=str(_get(payload, "contingencyType", what)),
        done=_get(payload, "listOrderStatus", what) in _DONE,
        legs=tuple(
            (str(_get(o, "clientOrderId", what)), str(_get(o, "orderId", what)))
            for o in _get(payload, "orders", what)
        ),
        time=int(_first(payload, ("transactionTime", "transactTime"), what)),
    )


def order_reports(payload: Payload) -> list[OrderUpdate]:
    """The `orderReports` of an order-list answer: each leg's state."""
    return [order_from_spot_response(r) for r in payload.get("orderReports", [])]


def order_list_from_list_status(event: Payload) -> OrderListUpdate:
    """A spot `listStatus` user-data event."""
    what = "listStatus"
    return OrderListUpdate(
        symbol=_get(event, "s", what),
        order_list_id=str(_get(event, "g", what)),
        list_client_id=str(_get(event, "C", what)),
        contingency=str(_get(event, "c", what)),
        done=_get(event, "L", what) in _DONE,
        legs=tuple(
            (str(_get(o, "c", what)), str(_get(o, "i", what))) for o in _get(event, "O", what)
        ),
        time=int(_get(event, "T", what)),
    )
