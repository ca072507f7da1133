"""What the event rules make of the engine's events and of fills: (rule, subject, finding)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from engine.events import Event, EventKind
from engine.models import Fill, Side
from engine.monitor.conditions import Finding

_REFUSALS = (EventKind.ORDER_REFUSED, EventKind.ORDER_REJECTED)


@dataclass(frozen=True)
class Happening:
    rule: str
    subject: str
    finding: Finding


def from_event(event: Event) -> Happening | None:
    if event.kind in _REFUSALS:
        symbol = str(event.data.get("symbol", ""))
        code = str(event.data.get("code", ""))
        who = "the desk" if event.kind is EventKind.ORDER_REFUSED else "the exchange"
        return Happening(
            "order_refused",
            f"{symbol} {code}".strip(),
            Finding(f"Refused by {who}: {event.message}"),
        )
    if event.kind is EventKind.TASK_CRASHED:
        return Happening("task_restarted", str(event.data.get("task", "?")), Finding(event.message))
    return None


@dataclass
class FillTotal:
    """The fills of one order so far, for its one "filled" message."""

    fill: Fill
    quantity: Decimal = Decimal(0)
    quote: Decimal = Decimal(0)
    fills: int = 0

    def add(self, fill: Fill) -> None:
        self.quantity += fill.qty
        self.quote += fill.quote_qty
        self.fills += 1

    def describe(self) -> str:
        f = self.fill
        verb = "Bought" if f.side is Side.BUY else "Sold"
        average = (self.quote / self.quantity) if self.quantity else f.price
        fills = f"{self.fills} fills" if self.fills != 1 else "1 fill"
        return (
            f"{verb} {self.quantity.normalize():f} {f.symbol} on {f.market} at "
            f"{average.normalize():f} on average ({fills}; order {f.client_order_id})."
        )


class FillTotals:
    def __init__(self) -> None:
        self._orders: dict[str, FillTotal] = {}

    def add(self, fills: Sequence[Fill]) -> list[Happening]:
        happenings = []
        for fill in fills:
            subject = f"{fill.market} {fill.symbol} {fill.client_order_id}"
            total = self._orders.setdefault(subject, FillTotal(fill))
            total.add(fill)
            happenings.append(Happening("order_filled", subject, Finding(total.describe())))
        return happenings

    def forget(self, subject: str) -> None:
        self._orders.pop(subject, None)
