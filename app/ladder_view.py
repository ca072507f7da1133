"""The ladder a trader reads, built from the stored book: asks above (highest first), bids
below (best first), each level with its size and the size cumulated from the touch, and the
account's own resting orders marked at their price (a price between levels gets its own row).
Pure: frames in, frames out, no Streamlit."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

import pandas as pd

from app.formats import amount
from engine.market.book import Level

COLUMNS = ["side", "price", "size", "cumulative", "own"]


@dataclass(frozen=True)
class Ladder:
    frame: pd.DataFrame  # COLUMNS, as text, top row the highest ask
    prices: tuple[str, ...]  # the price of each row, as the ticket's box takes it
    spread: Decimal | None
    mid: Decimal | None
    outside: int  # own orders priced beyond the rows shown


def _own_by_price(orders: pd.DataFrame) -> dict[Decimal, list[str]]:
    marks: dict[Decimal, list[str]] = {}
    for side, price, qty, done in zip(
        orders["side"], orders["price"], orders["quantity"], orders["executed_qty"], strict=True
    ):
        if price is None or pd.isna(price):
            continue
        left = Decimal(str(qty)) - Decimal(str(done or 0))
        marks.setdefault(Decimal(str(price)), []).append(f"● {side} {left.normalize():f}")
    return marks


def build_ladder(
    bids: Sequence[Level],
    asks: Sequence[Level],
    own_orders: pd.DataFrame,
    depth: int,
    price_places: int,
    size_places: int,
) -> Ladder:
    """The best `depth` levels of each side as rows, with the own orders at their prices."""
    bids, asks = list(bids[:depth]), list(asks[:depth])
    own = _own_by_price(own_orders) if not own_orders.empty else {}
    rows: list[tuple[str, Decimal, Decimal | None, Decimal | None]] = []
    for side, levels in (("ask", asks), ("bid", bids)):
        sizes = dict(levels)
        shown = set(sizes)
        if levels:
            low, high = min(shown), max(shown)
            shown |= {p for p in own if low <= p <= high}
        cumulative, side_rows = Decimal(0), []
        for price in sorted(shown, reverse=side == "bid"):  # from the touch outwards
            size = sizes.get(price)
            cumulative += size or 0
            side_rows.append((side, price, size, cumulative if size else None))
        rows += list(reversed(side_rows)) if side == "ask" else side_rows
    shown_prices = {r[1] for r in rows}
    frame = pd.DataFrame(
        [
            (side, amount(price, price_places), amount(size, size_places, missing=""),
             amount(cum, size_places, missing=""), "  ".join(own.get(price, [])))
            for side, price, size, cum in rows
        ],
        columns=COLUMNS,
    )  # fmt: skip
    spread = asks[0][0] - bids[0][0] if bids and asks else None
    mid = (asks[0][0] + bids[0][0]) / 2 if bids and asks else None
    return Ladder(
        frame=frame,
        prices=tuple(format(r[1].normalize(), "f") for r in rows),
        spread=spread,
        mid=mid,
        outside=sum(len(v) for p, v in own.items() if p not in shown_prices),
    )
