"""Replaying real Binance candles: the market's klines reproduce the file, in history and live."""

from __future__ import annotations

import csv
import gzip
import itertools
import zipfile
from decimal import Decimal
from pathlib import Path

import pytest

from simulator.feeds.base import FeedSymbol
from simulator.feeds.candles import DAY_MS, HOUR_MS, MINUTE_MS
from simulator.feeds.factory import make_feed
from simulator.feeds.market import Market
from tests.conftest import SHARED_DATA

CANDLES = SHARED_DATA / "candles"
needs_data = pytest.mark.skipif(
    not CANDLES.is_dir(), reason=f"recorded Binance candles not found at {CANDLES}"
)
START_MS = 1_751_760_000_000 + 12_345  # 2025-07-06 00:00:12.345 UTC


def spec(symbol: str = "BTCUSDT", tick: str = "0.01", step: str = "0.000001") -> FeedSymbol:
    return FeedSymbol(symbol, Decimal(tick), Decimal(step), Decimal("30000"), Decimal("20000"))


def file_rows(path: Path) -> list[tuple[int, Decimal, Decimal, Decimal, Decimal, Decimal]]:
    with gzip.open(path, "rt") as f:
        reader = csv.reader(f)
        next(reader)
        return [(int(r[0]), *(Decimal(x) for x in r[1:6])) for r in reader]


def ohlcv(bar) -> tuple:
    return (bar.open_time, bar.open, bar.high, bar.low, bar.close, bar.volume)


def replay_market(path: Path, symbol: FeedSymbol, options: str = "") -> tuple[Market, int]:
    feed = make_feed(f"replay:{path}{options}", [symbol], seed=4, start_ms=START_MS)
    return Market(feed, [symbol]), feed.file_shift_ms(symbol.symbol)


@needs_data
@pytest.mark.parametrize(
    "name,interval,tick,step",
    [
        ("spot_BTCUSDT_5m", "5m", "0.01", "0.000001"),
        ("futures_BTCUSDT_1m", "1m", "0.1", "0.001"),
        ("spot_ETHUSDT_1h", "1h", "0.01", "0.00001"),
    ],
)
def test_klines_reproduce_the_file_in_history_and_live(
    name: str, interval: str, tick: str, step: str
) -> None:
    symbol = spec("ETHUSDT" if "ETH" in name else "BTCUSDT", tick, step)
    market, shift = replay_market(CANDLES / f"{name}.csv.gz", symbol, "?history=2d")
    expected = {row[0] + shift: row for row in file_rows(CANDLES / f"{name}.csv.gz")}

    def check(bars) -> int:
        for bar in bars:
            row = expected[bar.open_time]
            assert ohlcv(bar) == (bar.open_time, *row[1:]), f"bar at {bar.open_time}"
        return len(bars)

    history = market.klines(symbol.symbol, interval, start_ms=0, limit=10**6)[:-1]
    assert history[-1].close_time < START_MS
    assert check(history) == 2 * DAY_MS // (history[1].open_time - history[0].open_time)
    for second in range(1, 121):  # two minutes of 1 s steps, then jumps
        market.advance(START_MS + second * 1000)
    market.advance(START_MS + 5 * HOUR_MS)
    market.advance(START_MS + 9 * HOUR_MS + 1)
    live = market.klines(symbol.symbol, interval, start_ms=START_MS, limit=10**6)[:-1]
    assert live[-1].close_time >= START_MS + 8 * HOUR_MS
    check(live)


@needs_data
def test_the_intrabar_path_stays_inside_each_bar_and_visits_the_nearer_extreme_first() -> None:
    market, _ = replay_market(CANDLES / "spot_BTCUSDT_5m.csv.gz", spec(), "?history=1d")
    market.advance(START_MS + 2 * HOUR_MS)
    bars = market.klines("BTCUSDT", "5m", start_ms=START_MS, limit=20)[:-1]
    for bar in bars:
        seconds = market.klines("BTCUSDT", "1s", bar.open_time, bar.close_time, 1000)
        assert len(seconds) == 300
        assert seconds[0].open == bar.open and seconds[-1].close == bar.close
        assert all(bar.low <= s.low <= s.high <= bar.high for s in seconds)
        assert sum(s.volume for s in seconds) == bar.volume
        low_at = next(i for i, s in enumerate(seconds) if s.low == bar.low)
        high_at = next(i for i, s in enumerate(seconds) if s.high == bar.high)
        low_nearer = bar.open - bar.low < bar.high - bar.open
        assert (low_at <= high_at) if low_nearer else (high_at <= low_at)


@needs_data
def test_when_the_file_runs_out_it_loops_from_the_last_close() -> None:
    path = CANDLES / "spot_BTCBUSD_1m_lean.csv.gz"  # one day of 1m bars
    rows = file_rows(path)
    symbol = spec("BTCBUSD")
    market, shift = replay_market(path, symbol)  # history: half the file
    market.advance(START_MS + 14 * HOUR_MS)
    first_pass_end = rows[-1][0] + shift + MINUTE_MS
    second = market.klines("BTCBUSD", "1m", start_ms=first_pass_end, limit=60)
    last_close = market.klines("BTCBUSD", "1m", end_ms=first_pass_end - 1, limit=1)[0].close
    assert last_close == rows[-1][4]
    ratio = rows[-1][4] / rows[0][1]
    assert abs(second[0].open - last_close) <= symbol.tick_size
    for bar, row in zip(second, rows, strict=False):
        for got, file_price in zip((bar.open, bar.high, bar.low, bar.close), row[1:5], strict=True):
            assert abs(got - file_price * ratio) <= symbol.tick_size
        assert bar.volume == row[5]


def write_binance_zip(path: Path, rows, micro: bool) -> None:
    """Rows as Binance's public 12-column kline CSV (no header), zipped like data.binance.vision."""
    factor = 1000 if micro else 1
    lines = []
    for i, (t, o, h, lo, c, v) in enumerate(rows):
        buy = (v * Decimal("0.4")).quantize(Decimal("0.001"))
        close_time = (t + MINUTE_MS) * factor - 1
        fields = [t * factor, o, h, lo, c, v, close_time, v * c, 10 + i % 7, buy, buy * c, 0]
        lines.append(",".join(str(x) for x in fields))
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(path.with_suffix(".csv").name, "\n".join(lines) + "\n")


@needs_data
@pytest.mark.parametrize("micro", [False, True], ids=["ms", "us"])
def test_binance_public_zip_files_replay_with_trades_and_taker_volume(
    tmp_path: Path, micro: bool
) -> None:
    rows = file_rows(CANDLES / "futures_BTCUSDT_1m.csv.gz")[:3000]
    path = tmp_path / "BTCUSDT-1m-2025-07.zip"
    write_binance_zip(path, rows, micro)
    symbol = spec(tick="0.1", step="0.001")
    market, shift = replay_market(path, symbol, "?history=1d")
    market.advance(START_MS + HOUR_MS)
    bars = market.klines("BTCUSDT", "1m", start_ms=0, limit=10**6)[:-1]
    assert len(bars) > 24 * 60
    for i, bar in enumerate(bars):
        j = (bar.open_time - shift - rows[0][0]) // MINUTE_MS
        assert ohlcv(bar)[1:] == rows[j][1:], i
        assert bar.trades == 10 + j % 7
        assert bar.taker_buy_volume == (rows[j][5] * Decimal("0.4")).quantize(Decimal("0.001"))


def test_a_gap_in_the_file_replays_as_flat_bars_without_volume(tmp_path: Path) -> None:
    t0 = 1_600_000_000_000 - 1_600_000_000_000 % HOUR_MS
    lines = ["open_time,open,high,low,close,volume"]
    for i in range(240):
        if 100 <= i < 110:
            continue  # an exchange outage
        price = 100 + i % 5
        lines.append(f"{t0 + i * MINUTE_MS},{price},{price + 1},{price - 1},{price},{1 + i}")
    path = tmp_path / "XYZUSDT_1m.csv"
    path.write_text("\n".join(lines) + "\n")
    symbol = spec("XYZUSDT", "0.01", "0.01")
    market, shift = replay_market(path, symbol, "?history=1h")
    market.advance(START_MS + 3 * HOUR_MS)
    gap = market.klines("XYZUSDT", "1m", start_ms=t0 + 100 * MINUTE_MS + shift, limit=10)
    before = market.klines("XYZUSDT", "1m", end_ms=t0 + 99 * MINUTE_MS + shift, limit=1)[0]
    for bar in gap:
        assert bar.volume == 0 and bar.trades == 0
        assert bar.open == bar.high == bar.low == bar.close == before.close
    after = market.klines("XYZUSDT", "1m", start_ms=t0 + 110 * MINUTE_MS + shift, limit=1)[0]
    assert after.volume == Decimal(111) and after.open == Decimal(100 + 110 % 5)


def test_symbols_without_a_file_get_synthetic_prices(tmp_path: Path) -> None:
    t0 = 1_600_000_000_000 - 1_600_000_000_000 % HOUR_MS
    rows = [f"{t0 + i * MINUTE_MS},10,11,9,10,5" for i in range(120)]
    path = tmp_path / "AAAUSDT.csv"
    path.write_text("open_time,open,high,low,close,volume\n" + "\n".join(rows) + "\n")
    other = spec("BBBUSDT", "0.01", "0.01")
    feed = make_feed(f"replay:{tmp_path}", [spec("AAAUSDT", "0.01", "0.01"), other], 1, START_MS)
    market = Market(feed, [spec("AAAUSDT", "0.01", "0.01"), other])
    assert market.last_price("BBBUSDT") == other.start_price
    assert Decimal(9) <= market.last_price("AAAUSDT") <= Decimal(11)  # inside the file's bar


@needs_data
def test_funding_rates_replay_on_the_klines_clock() -> None:
    klines_path = CANDLES / "futures_BTCUSDT_5m.csv.gz"
    funding_path = CANDLES / "funding" / "BTCUSDT_8h_funding.csv.gz"
    symbol = spec(tick="0.1", step="0.001")
    feed = make_feed(f"replay:{klines_path},{funding_path}", [symbol], 2, START_MS)
    market = Market(feed, [symbol])
    shift = feed.file_shift_ms("BTCUSDT")
    with gzip.open(funding_path, "rt") as f:
        events = [(int(t), Decimal(r)) for t, r in list(csv.reader(f))[1:]]
    first_bar = file_rows(klines_path)[0][0]
    assert market.funding_rate_at("BTCUSDT", first_bar + shift - 1) is None
    for (t, rate), (next_t, _) in itertools.pairwise(events[:60]):
        if t < first_bar:
            continue
        assert market.funding_rate_at("BTCUSDT", t + shift) == rate
        assert market.funding_rate_at("BTCUSDT", next_t + shift - 1) == rate
    assert make_feed("synthetic", [symbol], 1, START_MS).funding_rate_at("BTCUSDT", 0) is None


@needs_data
def test_a_replay_is_the_same_however_the_clock_advances() -> None:
    path = CANDLES / "spot_BTCUSDT_5m.csv.gz"
    stepped, _ = replay_market(path, spec(), "?history=1d")
    jumped, _ = replay_market(path, spec(), "?history=1d")
    for second in range(1, 400):
        stepped.advance(START_MS + second * 1000)
    stepped.advance(START_MS + 2 * HOUR_MS)
    jumped.advance(START_MS + 2 * HOUR_MS)
    for interval in ("1s", "1m"):
        a = stepped.klines("BTCUSDT", interval, limit=1000)
        b = jumped.klines("BTCUSDT", interval, limit=1000)
        assert [(*ohlcv(x), x.trades, x.taker_buy_volume) for x in a] == [
            (*ohlcv(x), x.trades, x.taker_buy_volume) for x in b
        ]


def test_more_trades_than_volume_steps_print_no_empty_trades(tmp_path: Path) -> None:
    t0 = 1_600_000_000_000 - 1_600_000_000_000 % HOUR_MS
    rows = [f"{t0 + i * MINUTE_MS},10,11,9,10,3,{t0 + i * MINUTE_MS + 59_999},30,50,1,10,0"
            for i in range(180)]  # fmt: skip
    path = tmp_path / "XYZUSDT-1m.csv"
    path.write_text("\n".join(rows) + "\n")
    symbol = spec("XYZUSDT", "0.01", "1")
    market, _ = replay_market(path, symbol, "?history=1h")
    market.advance(START_MS + 10 * MINUTE_MS)
    trades = market.recent_trades("XYZUSDT", 1000)
    assert trades and all(t.qty >= 1 for t in trades)
    assert [t.id for t in trades] == sorted({t.id for t in trades})
    bar = market.klines("XYZUSDT", "1m", start_ms=START_MS + MINUTE_MS, limit=1)[0]
    assert (bar.volume, bar.trades, bar.taker_buy_volume) == (3, 50, 1)
