"""The ladder's rows from a stored book: order, cumulative sizes, own orders at their price;
and a market order's expected fill walked through it."""

from __future__ import annotations

from decimal import Decimal as D

import pandas as pd

from app.ladder_view import build_ladder
from app.order_preview import estimate_market_fill
from engine.models import Side

BIDS = [(D("99.9"), D("1")), (D("99.8"), D("2")), (D("99.5"), D("3"))]
ASKS = [(D("100.1"), D("1")), (D("100.2"), D("2")), (D("100.4"), D("4"))]


def orders(*rows: tuple[str, float, float, float]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["side", "price", "quantity", "executed_qty"])


def test_asks_above_bids_with_sizes_cumulated_from_the_touch():
    view = build_ladder(BIDS, ASKS, orders(), 10, 1, 0)
    assert list(view.frame["price"]) == ["100.4", "100.2", "100.1", "99.9", "99.8", "99.5"]
    assert list(view.frame["cumulative"]) == ["7", "3", "1", "1", "3", "6"]
    assert view.prices[2] == "100.1" and view.spread == D("0.2") and view.mid == D("100.0")


def test_own_orders_are_marked_at_their_price_and_between_levels_get_a_row():
    own = orders(("BUY", 99.8, 0.5, 0.1), ("SELL", 100.3, 1, 0), ("BUY", 50, 1, 0))
    view = build_ladder(BIDS, ASKS, own, 10, 1, 0)
    by_price = dict(zip(view.frame["price"], view.frame["own"], strict=True))
    assert by_price["99.8"] == "● BUY 0.4"
    assert by_price["100.3"] == "● SELL 1"  # no level there: a row of its own, no size
    assert view.frame.loc[view.frame["price"] == "100.3", "size"].item() == ""
    assert view.outside == 1  # the buy at 50 is far below the rows shown


def test_a_market_buy_walks_the_asks_and_costs_slippage_from_the_mid():
    estimate = estimate_market_fill(Side.BUY, D("2"), BIDS, ASKS)
    assert estimate is not None and estimate.complete
    assert estimate.average_price == D("100.15") and estimate.worst_price == D("100.2")
    assert estimate.slippage_bps == D("0.15") / D("100") * 10_000
    sell = estimate_market_fill(Side.SELL, D("10"), BIDS, ASKS)
    assert sell is not None and not sell.complete and sell.filled == D("6")
    assert estimate_market_fill(Side.BUY, D("1"), [], ASKS) is None
