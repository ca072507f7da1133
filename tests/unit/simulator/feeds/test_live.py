"""The live feed's spec, URL derivation and the folding of kline snapshots into samples."""

from __future__ import annotations

from decimal import Decimal

import pytest

from simulator.feeds.base import FeedSymbol
from simulator.feeds.candles import MINUTE_MS, BarSeries
from simulator.feeds.factory import make_feed
from simulator.feeds.live import _MinuteTracker
from simulator.feeds.spec import derive_ws_url, parse_live_spec

SPEC = FeedSymbol("BTCUSDT", Decimal("0.01"), Decimal("0.001"), Decimal(1), Decimal(1))
T = 1_700_000_040_000  # a minute boundary


@pytest.mark.parametrize(
    "rest,ws",
    [
        ("https://api.binance.com", "wss://stream.binance.com:9443"),
        ("https://api3.binance.com/api/v3/", "wss://stream.binance.com:9443"),
        ("https://data-api.binance.vision", "wss://data-stream.binance.vision"),
        ("https://testnet.binance.vision/api", "wss://stream.testnet.binance.vision"),
        ("http://127.0.0.1:8123", "ws://127.0.0.1:8123"),
        ("https://example.org/prefix", "wss://example.org/prefix"),
    ],
)
def test_stream_urls_derive_from_rest_urls(rest: str, ws: str) -> None:
    assert derive_ws_url(rest) == ws


def test_live_specs_parse_urls_and_options() -> None:
    urls, history = parse_live_spec("http://127.0.0.1:1/api?history=2h")
    assert (urls.rest, urls.ws, history) == ("http://127.0.0.1:1", "ws://127.0.0.1:1", 7_200_000)
    urls, history = parse_live_spec("https://a.example|wss://b.example:9443/")
    assert (urls.rest, urls.ws, history) == (
        "https://a.example",
        "wss://b.example:9443",
        86_400_000,
    )


@pytest.mark.parametrize(
    "argument,problem",
    [
        ("not-a-url", "live feed needs a URL"),
        ("ftp://host", "must be http"),
        ("http://host|http://other", "stream URL must be ws"),
        ("http://host?speed=2", "unknown live option 'speed'"),
        ("http://host?history=forever", "bad duration"),
    ],
)
def test_bad_live_specs_are_clear_errors(argument: str, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        make_feed(f"live:{argument}", [SPEC], seed=1, start_ms=T)


def snapshot(o: str, h: str, low: str, c: str, v: str, n: int = 1, buy: str = "0") -> dict:
    return {"o": o, "h": h, "l": low, "c": c, "v": v, "n": n, "V": buy}


def bar_of(tracker: _MinuteTracker) -> tuple:
    chunk = tracker.take(T + 10 * MINUTE_MS)
    series = BarSeries(MINUTE_MS, T, int(chunk.price[0]))
    series.apply(chunk, 1.0)
    c = series.columns()
    return tuple(int(getattr(c, f)[0]) for f in ("open", "high", "low", "close", "volume"))


def test_snapshots_of_a_minute_rebuild_it_exactly() -> None:
    tracker = _MinuteTracker(SPEC, first_minute_ms=T)
    end = T + MINUTE_MS - 1
    tracker.update(T, end, snapshot("100", "100.5", "99.9", "100.2", "1.5"), T + 2000)
    tracker.update(T, end, snapshot("100", "100.5", "99.9", "100.1", "1.2"), T + 3000)  # stale
    tracker.update(T, end, snapshot("100", "101", "99", "100.7", "2.5"), T + 4000)
    tracker.update(T, end, snapshot("100", "101", "99", "100.8", "3"), T + 90_000)  # late: clamped
    assert bar_of(tracker) == (10000, 10100, 9900, 10080, 3000)


def test_when_both_extremes_are_new_the_one_nearer_the_open_comes_first() -> None:
    tracker = _MinuteTracker(SPEC, first_minute_ms=T)
    tracker.update(T, T + MINUTE_MS - 1, snapshot("100", "100.1", "95", "99", "1"), T + 1000)
    assert tracker.take(T + MINUTE_MS).price.tolist() == [10000, 10010, 9500, 9900]
    tracker.update(T + MINUTE_MS, T + 2 * MINUTE_MS - 1, snapshot("99", "104", "98", "99", "1"), 0)
    assert tracker.take(T + 2 * MINUTE_MS).price.tolist() == [9900, 9800, 10400, 9900]


def test_minutes_the_history_holds_and_older_minutes_are_ignored() -> None:
    tracker = _MinuteTracker(SPEC, first_minute_ms=T)
    tracker.update(T - MINUTE_MS, T - 1, snapshot("1", "1", "1", "1", "1"), T - 1)
    assert len(tracker.take(T + MINUTE_MS)) == 0
    tracker.update(
        T + MINUTE_MS, T + 2 * MINUTE_MS - 1, snapshot("2", "2", "2", "2", "1"), T + 61_000
    )
    tracker.update(T, T + MINUTE_MS - 1, snapshot("3", "3", "3", "3", "9"), T + 62_000)
    assert tracker.take(T + 3 * MINUTE_MS).price.tolist() == [200, 200]
