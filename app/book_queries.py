"""The order books as the engine last stored them: the latest levels, each book's state, the
tape. Read-only, a cursor per call; prices and sizes come back as exact decimals."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pandas as pd

from app import db
from engine.market.book import Level
from engine.models import MarketType
from engine.store.database import Store

LEVELS_SQL = (
    "SELECT side, level, price, qty, time, update_id FROM book_levels "
    "WHERE market = ? AND symbol = ? AND time = (SELECT max(time) FROM book_levels "
    "WHERE market = ? AND symbol = ?) ORDER BY side, level"
)
STATE_SQL = (
    "SELECT state, reason, update_id, last_event_ms, resyncs, gaps, time FROM book_state "
    "WHERE market = ? AND symbol = ?"
)
TAPE_SQL = (
    "SELECT time, price, qty, buyer_is_maker FROM tape WHERE market = ? AND symbol = ? "
    "ORDER BY time DESC, trade_id DESC LIMIT ?"
)


def _exact(store: Store | None, sql: str, params: list[Any]) -> pd.DataFrame:
    with (store or db.store()).reader() as cur:
        return cur.sql(sql, params=params).to_arrow_table().to_pandas(date_as_object=False)


def book_levels(market: MarketType, symbol: str, store: Store | None = None) -> pd.DataFrame:
    """The latest stored levels: side ('bid'/'ask'), level (0 at the touch), price, qty."""
    m = str(market)
    return _exact(store, LEVELS_SQL, [m, symbol, m, symbol])


def book_state(market: MarketType, symbol: str, store: Store | None = None) -> dict[str, Any]:
    """The book's state as last stored ({} when the engine keeps no book of it)."""
    frame = _exact(store, STATE_SQL, [str(market), symbol])
    return {} if frame.empty else frame.iloc[0].to_dict()


def recent_trades(market: MarketType, symbol: str, limit: int = 30) -> pd.DataFrame:
    """The newest trades on the tape, newest first."""
    return _exact(None, TAPE_SQL, [str(market), symbol, limit])


def sides(levels: pd.DataFrame) -> tuple[list[Level], list[Level]]:
    """The bids (best first) and asks (best first) of `book_levels`' frame, as exact pairs."""
    pairs: dict[str, list[Level]] = {"bid": [], "ask": []}
    for side, price, qty in zip(levels["side"], levels["price"], levels["qty"], strict=True):
        pairs[side].append((Decimal(price), Decimal(qty)))
    return pairs["bid"], pairs["ask"]
