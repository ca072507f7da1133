"""Stream frames and REST rows -> the store's row tuples; paging; back-off."""

from __future__ import annotations

import asyncio

import pytest

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
from engine.market.backfill import fetch_forward, fetch_recent, with_forming_last
from engine.store.tables import KLINES, MARK_PRICES, TICKERS

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


def named(row: tuple, columns: tuple[str, ...]) -> dict:
    assert len(row) == len(columns)
    return dict(zip(columns, row, strict=True))


def test_kline_frame_row():
    row = named(kline_row_from_ws("spot", KLINE_EVENT), KLINES.columns)
    assert row == {
        "market": "spot", "symbol": "BNBBTC", "interval": "1m", "open_time": 1672515780000,
        "open": 0.001, "high": 0.0025, "low": 0.0015, "close": 0.002, "volume": 1000.0,
        "close_time": 1672515839999, "quote_volume": 1.0, "trades": 100, "is_closed": False,
    }  # fmt: skip


def test_continuous_kline_takes_the_pair_symbol():
    event = {"e": "continuous_kline", "E": 1, "ps": "BTCUSDT", "ct": "PERPETUAL", **KLINE_EVENT}
    event["k"] = {k: v for k, v in KLINE_EVENT["k"].items() if k != "s"}
    row = named(kline_row_from_ws("futures", event), KLINES.columns)
    assert (row["market"], row["symbol"], row["close"]) == ("futures", "BTCUSDT", 0.002)


def test_rest_kline_rows_ignore_the_last_field():
    (row,) = kline_rows_from_rest("spot", "BNBBTC", "1w", [REST_ROW])
    assert named(row, KLINES.columns) == {
        "market": "spot", "symbol": "BNBBTC", "interval": "1w", "open_time": 1499040000000,
        "open": 0.0163479, "high": 0.8, "low": 0.015758, "close": 0.015771,
        "volume": 148976.11427815, "close_time": 1499644799999, "quote_volume": 2434.19055334,
        "trades": 308, "is_closed": True,
    }  # fmt: skip


def test_ticker_rows():
    row = named(ticker_row_from_ws("spot", TICKER_EVENT), TICKERS.columns)
    assert row == {
        "market": "spot", "symbol": "BNBBTC", "last_price": 0.0025, "open_price": 0.001,
        "high_price": 0.0025, "low_price": 0.001, "price_change": 0.0015,
        "price_change_pct": 250.0, "volume": 10000.0, "quote_volume": 18.0,
        "event_time": 86400000,  # the window's close time (`C`)
    }  # fmt: skip
    other = {**TICKER_EVENT, "s": "ETHBTC", "c": "0.05"}
    both = ticker_rows_from_ws("spot", [TICKER_EVENT, other])
    assert [(r[1], r[2]) for r in both] == [("BNBBTC", 0.0025), ("ETHBTC", 0.05)]


def test_mark_price_row():
    row = named(mark_price_row_from_ws(MARK_EVENT), MARK_PRICES.columns)
    assert row == {
        "symbol": "BTCUSDT", "mark_price": 11794.15, "index_price": 11784.62659091,
        "funding_rate": 0.00038167, "next_funding_time": 1562306400000,
        "event_time": 1562305380000,
    }  # fmt: skip


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
        page = chosen[:limit] if start is not None else chosen[-limit:]
        return kline_rows_from_rest("spot", symbol, interval, page)


def test_forward_paging_returns_every_bar_once():
    fake = FakeKlines(2500)
    rows, cut = asyncio.run(fetch_forward(fake, "X", "1m", fake.bars[10][0], None, 10_000))
    assert not cut
    assert [r[3] for r in rows] == [b[0] for b in fake.bars[10:]]
    assert len(fake.calls) == 3 and all(c[2] == REST_KLINES_LIMIT for c in fake.calls)


def test_forward_paging_stops_at_the_cap_and_says_so():
    fake = FakeKlines(2500)
    rows, cut = asyncio.run(fetch_forward(fake, "X", "1m", fake.bars[0][0], None, 1500))
    assert cut and len(rows) == 2000


def test_recent_history_pages_backwards():
    fake = FakeKlines(2500)
    rows = asyncio.run(fetch_recent(fake, "X", "1m", 1500))
    assert [r[3] for r in rows] == [b[0] for b in fake.bars[-1500:]]


def test_only_the_newest_rest_bar_is_forming():
    rows = kline_rows_from_rest("spot", "X", "1m", FakeKlines(3).bars)
    assert [r[12] for r in with_forming_last(rows)] == [True, True, False]
    assert with_forming_last([]) == []
