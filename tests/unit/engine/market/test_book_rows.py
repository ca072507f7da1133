"""What of a book is stored: the top-of-book sample with depth near the mid, the levels."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from engine.binance.depth import DepthSnapshot
from engine.market.book import LocalBook
from engine.market.book_rows import level_rows, state_row, top_row
from engine.store.tables import BOOK_LEVELS, BOOK_STATE, BOOK_TOP


def book() -> LocalBook:
    bids = ((D("99.95"), D("2")), (D("99.6"), D("1")), (D("98"), D("10")))
    asks = ((D("100.05"), D("1")), (D("100.3"), D("3")), (D("102"), D("10")))
    kept = LocalBook("BTCUSDT", False)
    assert kept.on_snapshot(DepthSnapshot(42, bids, asks), kept.epoch)
    return kept


def test_the_sample_has_the_top_spread_and_the_quote_value_near_the_mid():
    row = dict(zip(BOOK_TOP.columns, top_row("spot", book(), 5_000, 50), strict=True))
    assert (row["bid"], row["ask"], row["mid"]) == (99.95, 100.05, 100.0)
    assert row["spread"] == pytest.approx(0.1) and row["spread_bps"] == pytest.approx(10.0)
    assert row["bid_depth_10bps"] == pytest.approx(199.9)  # 99.95 x 2 (99.6 is 40 bps away)
    assert row["bid_depth_50bps"] == pytest.approx(199.9 + 99.6)
    assert row["ask_depth_50bps"] == pytest.approx(100.05 + 300.9)
    assert row["bid_depth_100bps"] == row["bid_depth_50bps"]  # 98 is 200 bps away
    assert row["update_id"] == 42 and row["time"] == 5_000


def test_levels_are_numbered_from_the_touch_and_the_state_row_fits_its_table():
    rows = level_rows("spot", book(), 7, 2)
    assert [(r[2], r[3], r[4]) for r in rows] == [
        ("bid", 0, D("99.95")), ("bid", 1, D("99.6")), ("ask", 0, D("100.05")),
        ("ask", 1, D("100.3")),
    ]  # fmt: skip
    assert all(len(r) == len(BOOK_LEVELS.columns) for r in rows)
    state = dict(zip(BOOK_STATE.columns, state_row("spot", book(), 7), strict=True))
    assert state["state"] == "live" and state["update_id"] == 42 and state["resyncs"] == 0


def test_a_one_sided_book_has_no_sample():
    empty = LocalBook("BTCUSDT", False)
    assert empty.on_snapshot(DepthSnapshot(1, ((D("1"), D("1")),), ()), empty.epoch)
    assert top_row("spot", empty, 0, 50) is None
