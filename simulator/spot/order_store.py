"""The paper account's spot orders and fills: ids, lookups, the open set, and their saved form."""

from __future__ import annotations

from typing import Any

from simulator.spot.orders import Fill, Order, fill_from_state, fill_to_state, trade_row


class OrderStore:
    def __init__(self) -> None:
        self.clear()

    def clear(self) -> None:
        self.orders: dict[int, Order] = {}
        self.open_ids: dict[str, list[int]] = {}
        self.by_client_id: dict[tuple[str, str], int] = {}
        self.fills: list[tuple[int, Fill]] = []
        self.next_order_id = 1
        self.next_execution_id = 1

    def add(self, order: Order) -> None:
        """A new order takes the next id and is open."""
        self.next_order_id += 1
        self.orders[order.order_id] = order
        self.by_client_id[(order.symbol, order.client_order_id)] = order.order_id
        self.open_ids.setdefault(order.symbol, []).append(order.order_id)

    def close(self, order: Order) -> None:
        ids = self.open_ids.get(order.symbol, [])
        if order.order_id in ids:
            ids.remove(order.order_id)

    def execution_id(self) -> int:
        execution_id = self.next_execution_id
        self.next_execution_id += 1
        return execution_id

    def open_of(self, symbol: str) -> list[Order]:
        return [self.orders[i] for i in self.open_ids.get(symbol, [])]

    def open_client_id(self, symbol: str, client_id: str) -> bool:
        existing = self.by_client_id.get((symbol, client_id))
        return existing is not None and self.orders[existing].is_open

    def find(self, symbol: str, order_id: int | None, client_id: str | None) -> Order | None:
        if order_id is not None:
            order = self.orders.get(order_id)
            if order is None or order.symbol != symbol:
                return None
            if client_id is not None and order.client_order_id != client_id:
                return None
            return order
        if client_id is not None:
            found = self.by_client_id.get((symbol, client_id))
            return self.orders.get(found) if found is not None else None
        return None

    def open_orders(self, symbol: str | None) -> list[Order]:
        symbols = [symbol] if symbol else list(self.open_ids)
        return [self.orders[i] for s in symbols for i in self.open_ids.get(s, [])]

    def orders_of(self, symbol: str) -> list[Order]:
        return [o for o in self.orders.values() if o.symbol == symbol]

    def trades_of(self, symbol: str) -> list[dict[str, Any]]:
        return [
            trade_row(self.orders[i], f) for i, f in self.fills if self.orders[i].symbol == symbol
        ]

    def to_state(self) -> dict[str, Any]:
        return {
            "orders": [o.to_state() for o in self.orders.values()],
            "fills": [[i, fill_to_state(f)] for i, f in self.fills],
            "next_order_id": self.next_order_id,
            "next_execution_id": self.next_execution_id,
        }

    def load_state(self, state: dict[str, Any]) -> None:
        self.clear()
        for data in state.get("orders", []):
            order = Order.from_state(data)
            self.orders[order.order_id] = order
            self.by_client_id[(order.symbol, order.client_order_id)] = order.order_id
            if order.is_open:
                self.open_ids.setdefault(order.symbol, []).append(order.order_id)
        self.fills = [(i, fill_from_state(f)) for i, f in state.get("fills", [])]
        self.next_order_id = state.get("next_order_id", len(self.orders) + 1)
        self.next_execution_id = state.get("next_execution_id", 1)
