"""What of a local book is stored: a top-of-book sample per second (best prices, spread, and
the quote value resting within 10, 50 and 100 bps of the mid), the latest levels for the
pages' ladder, and the book's state. Pure: rows (the column order of the store's specs) out."""

from __future__ import annotations

from engine.binance.depth import Level, TradePrint
from engine.binance.streams import Row
from engine.market.book import LocalBook

DEPTH_BPS = (10, 50, 100)


def _depth_within(levels: list[Level], mid: float, bps: int, below: bool) -> float:
    """Quote value of the levels within `bps` of `mid` (levels best first)."""
    limit = mid * (1 - bps / 10_000) if below else mid * (1 + bps / 10_000)
    total = 0.0
    for price, qty in levels:
        p = float(price)
        if (p < limit) if below else (p > limit):
            break
        total += p * float(qty)
    return total


def top_row(market: str, book: LocalBook, time_ms: int, depth_levels: int) -> Row | None:
    """A `BOOK_TOP` sample at `time_ms`, or None while the book has no two sides."""
    bids, asks = book.top(depth_levels)
    if not bids or not asks:
        return None
    (bid, bid_qty), (ask, ask_qty) = bids[0], asks[0]
    mid = (float(bid) + float(ask)) / 2
    spread = float(ask - bid)
    depths: list[float] = []
    for bps in DEPTH_BPS:
        depths += [_depth_within(bids, mid, bps, True), _depth_within(asks, mid, bps, False)]
    return (
        market, book.symbol, time_ms, float(bid), float(bid_qty), float(ask), float(ask_qty),
        mid, spread, spread / mid * 10_000, *depths, book.last_id,
    )  # fmt: skip


def level_rows(market: str, book: LocalBook, time_ms: int, levels: int) -> list[Row]:
    """`BOOK_LEVELS` rows: the best `levels` of each side, numbered from the touch."""
    bids, asks = book.top(levels)
    rows: list[Row] = []
    for side, side_levels in (("bid", bids), ("ask", asks)):
        rows += [
            (market, book.symbol, side, i, price, qty, time_ms, book.last_id)
            for i, (price, qty) in enumerate(side_levels)
        ]
    return rows


def state_row(market: str, book: LocalBook, time_ms: int) -> Row:
    c = book.counters
    return (
        market, book.symbol, str(book.state), book.reason, book.last_id, book.last_event_ms,
        c.resyncs, c.gaps, time_ms,
    )  # fmt: skip


def tape_row(market: str, trade: TradePrint) -> Row:
    return (
        market, trade.symbol, trade.trade_id, trade.price, trade.qty, trade.buyer_is_maker,
        trade.time_ms,
    )  # fmt: skip
