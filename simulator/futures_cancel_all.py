"""USD-M cancel-all: `DELETE /fapi/v1/allOpenOrders` and `DELETE /fapi/v1/algoOpenOrders`.

As Binance does it: `symbol` is mandatory, every open order of the symbol (plain, or
conditional in the algo service) is cancelled, each with its own ORDER_TRADE_UPDATE /
ALGO_UPDATE event, and the answer is a bare code, not the orders:
`{"code": 200, "msg": "The operation of cancel all open order is done."}`.

Kept in its own module so it can move with the futures routes as they are restructured: it
only uses the exchange's public single-order cancels.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from simulator.futures_exchange import FuturesExchange
from simulator.futures_params import FuturesParams

DONE = {"code": 200, "msg": "The operation of cancel all open order is done."}


def cancel_all_open_orders(exchange: FuturesExchange, params: FuturesParams) -> dict:
    symbol = params.symbol(exchange.specs)
    for order in [o for o in exchange.orders.values() if o.is_open and o.symbol == symbol]:
        exchange.cancel_order(FuturesParams({"symbol": symbol, "orderId": str(order.order_id)}))
    return dict(DONE)


def cancel_all_algo_orders(exchange: FuturesExchange, params: FuturesParams) -> dict:
    symbol = params.symbol(exchange.specs)
    for algo in [a for a in exchange.algo_orders.values() if a.is_open and a.symbol == symbol]:
        exchange.cancel_algo_order(FuturesParams({"algoId": str(algo.algo_id)}))
    return dict(DONE)


def bulk(
    service: Any, cancel: Callable[[FuturesExchange, FuturesParams], dict]
) -> Callable[[Any, FuturesParams], Awaitable[object]]:
    """A route handler running `cancel` on the service's exchange of the moment (a reset
    replaces it)."""

    async def handler(request: Any, params: FuturesParams) -> object:
        return cancel(service.exchange, params)

    return handler
