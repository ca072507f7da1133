"""Spot order lists (an OCO: a take-profit and a stop-loss as one) as the engine knows them.

Our own type, like those in engine/models.py: Binance's list payloads (order answers and
`listStatus` events) become it in engine/binance/schemas/order_lists.py.
"""

from __future__ import annotations

from engine.models import Frozen


class OrderListUpdate(Frozen):
    """One spot order list at one moment; `done` once it is over (ALL_DONE): one leg executed
    and the exchange expired the other, or the list was cancelled."""

    symbol: str
    order_list_id: str
    list_client_id: str
    contingency: str  # OCO, OTO, OTOCO
    done: bool
    legs: tuple[tuple[str, str], ...] = ()  # (client order id, exchange order id)
    time: int
