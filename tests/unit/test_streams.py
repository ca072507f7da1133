"""Stream frames and REST rows -> row tuples, checked against the schema layer; paging; back-off."""

from __future__ import annotations

import asyncio

import pytest

from engine.backfill import fetch_forward, fetch_recent, rows_with_forming_last
from engine.binance import schemas
from engine.binance.streams import (
    REST_KLINES_LIMIT,
    backoff_delay,
    kline_row_from_ws,
    kline_rows_from_rest,
    mark_price_row_from_ws,
    next_open_time,
    ticker_row_from_ws,
    ticker_rows_from_ws,
)
from engine.models import MarketType
from engine.store import KLINES, MARK_PRICES, TICKERS

KLINE_EVENT = {
    "e": "kline", "E": 1672515782136, "s": "BNBBTC",
    "k": {
        "t": 1672515780000, "T": 1672515839999, "s": "BNBBTC", "i": "1m", "f": 100, "L": 200,
        "o": "0.0010", "c": "0.0020", "h": "0.0025", "l": "0.0015", "v": "1000", "n": 100,
        "x": False, "q": "1.0000", "V": "500", "Q": "0.500", "B": "123456",
    },
}  # fmt: skip
TICKER_EVENT = {
    "e": "24hrTicker", "E": 1672515782136, "s": "BNBBTC", "p": "0.0015", "P": "250.00",
    "w": "0.0018", "x": "0.0009", "c": "0.0025", "Q": "10", "b": "0.0024", "B": "10",
    "a": "0.0026", "A": "100", "o": "0.0010", "h": "0.0025", "l": "0.0010", "v": "10000",
    "q": "18", "O": 0, "C": 86400000, "F": 0, "L": 18150, "n": 18151,
}  # fmt: skip
MARK_EVENT = {
    "e": "markPriceUpdate", "E": 1562305380000, "s": "BTCUSDT", "p": "11794.15000000",
    "ap": "11794.15000000", "i": "11784.62659091", "P": "11784.25641265",
    "r": "0.00038167", "T": 1562306400000,
}  # fmt: skip
REST_ROW = [
    1499040000000, "0.01634790", "0.80000000", "0.01575800", "0.01577100", "148976.11427815",
    1499644799999, "2434.19055334", 308, "1756.87402397", "28.46694368", "0",
]  # fmt: skip


def as_row(model, columns) -> tuple:
    """A domain model as a store row: Decimals become floats, enums their values."""
    names = {
        "last_price": "last", "open_price": "open", "high_price": "high", "low_price": "low",
        "price_change": "change", "price_change_pct": "change_pct", "event_time": "time",
        "mark_price": "mark", "index_price": "index",
    }  # fmt: skip
    values = []
    for column in columns:
        value = getattr(model, names.get(column, column))
        if column == "market":
            value = str(value)
        elif not isinstance(value, bool | int | str):
            value = float(value)
        values.append(value)
    return tuple(values)


def test_kline_frame_row_matches_the_schema():
    expected = as_row(schemas.kline_from_ws(MarketType.SPOT, KLINE_EVENT), KLINES.columns)
    assert kline_row_from_ws("spot", KLINE_EVENT) == expected
    assert len(expected) == len(KLINES.columns)


def test_continuous_kline_takes_the_pair_symbol():
    event = {"e": "continuous_kline", "E": 1, "ps": "BTCUSDT", "ct": "PERPETUAL", **KLINE_EVENT}
    event["k"] = {k: v for k, v in KLINE_EVENT["k"].items() if k != "s"}
    expected = as_row(schemas.kline_from_ws(MarketType.FUTURES, event), KLINES.columns)
    assert kline_row_from_ws("futures", event) == expected
    assert expected[1] == "BTCUSDT"


def test_rest_kline_rows_match_the_schema():
    expected = as_row(
        schemas.kline_from_rest(MarketType.SPOT, "BNBBTC", "1w", REST_ROW), KLINES.columns
    )
    assert kline_rows_from_rest("spot", "BNBBTC", "1w", [REST_ROW]) == [expected]


def test_ticker_rows_match_the_schema():
    expected = as_row(schemas.ticker_from_ws(MarketType.SPOT, TICKER_EVENT), TICKERS.columns)
    assert ticker_row_from_ws("spot", TICKER_EVENT) == expected
    other = {**TICKER_EVENT, "s": "ETHBTC", "c": "0.05"}
    assert ticker_rows_from_ws("spot", [TICKER_EVENT, other]) == [
        expected,
        as_row(schemas.ticker_from_ws(MarketType.SPOT, other), TICKERS.columns),
    ]


def test_mark_price_row_matches_the_schema():
    expected = as_row(schemas.mark_price_from_ws(MARK_EVENT), MARK_PRICES.columns)
    assert mark_price_row_from_ws(MARK_EVENT) == expected


@pytest.mark.parametrize(
    ("interval", "open_time", "following"),
    [
        ("1m", 1_700_000_040_000, 1_700_000_100_000),
        ("1d", 1_700_006_400_000, 1_700_092_800_000),
        ("1M", 1_701_388_800_000, 1_704_067_200_000),  # 2023-12-01 -> 2024-01-01
        ("1M", 1_706_745_600_000, 1_709_251_200_000),  # 2024-02-01 -> 2024-03-01 (leap year)
    ],
)
def test_next_open_time(interval, open_time, following):
    assert next_open_time(interval, open_time) == following


def test_backoff_grows_with_jitter_and_stays_under_the_ceiling():
    assert backoff_delay(0, 0.5, 60) == 0
    for failures in range(1, 12):
        base = min(60, 0.5 * 2 ** (failures - 1))
        delays = {backoff_delay(failures, 0.5, 60) for _ in range(50)}
        assert all(base / 2 <= d <= base for d in delays)
        assert len(delays) > 1  # jittered


class FakeKlines:
    """A REST klines endpoint over `count` one-minute bars, with Binance's paging rules."""

    def __init__(self, count: int, start: int = 1_700_000_000_000) -> None:
        self.bars = [
            [start + i * 60_000, "1", "2", "0.5", "1.5", "10", 0, "15", 3] for i in range(count)
        ]
        for bar in self.bars:
            bar[6] = bar[0] + 59_999
        self.calls: list[tuple] = []

    async def __call__(self, symbol, interval, start, end, limit):
        self.calls.append((start, end, limit))
        chosen = [
            b for b in self.bars
            if (start is None or b[0] >= start) and (end is None or b[0] <= end)
        ]  # fmt: skip
        return chosen[:limit] if start is not None else chosen[-limit:]


def test_forward_paging_returns_every_bar_once():
    fake = FakeKlines(2500)
    rows, cut = asyncio.run(fetch_forward(fake, "X", "1m", fake.bars[10][0], None, 10_000))
    assert not cut
    assert [r[0] for r in rows] == [b[0] for b in fake.bars[10:]]
    assert len(fake.calls) == 3 and all(c[2] == REST_KLINES_LIMIT for c in fake.calls)


def test_forward_paging_stops_at_the_cap_and_says_so():
    fake = FakeKlines(2500)
    rows, cut = asyncio.run(fetch_forward(fake, "X", "1m", fake.bars[0][0], None, 1500))
    assert cut and len(rows) == 2000


def test_recent_history_pages_backwards():
    fake = FakeKlines(2500)
    rows = asyncio.run(fetch_recent(fake, "X", "1m", 1500))
    assert [r[0] for r in rows] == [b[0] for b in fake.bars[-1500:]]


def test_only_the_newest_rest_bar_is_forming():
    fake = FakeKlines(3)
    rows = rows_with_forming_last("spot", "X", "1m", fake.bars)
    assert [r[12] for r in rows] == [True, True, False]
    assert rows_with_forming_last("spot", "X", "1m", []) == []
