"""The simulated market on the synthetic feed: klines, tickers, tape, clock."""

from __future__ import annotations

import itertools
from decimal import Decimal

import pytest

from simulator.feeds.base import FeedSymbol
from simulator.feeds.candles import DAY_MS, HOUR_MS, MINUTE_MS
from simulator.feeds.factory import make_feed
from simulator.feeds.market import Market, UnknownSymbolError

START_MS = 1_751_760_000_000 + 12_345  # 2025-07-06 00:00:12.345 UTC
BTC = FeedSymbol("BTCUSDT", Decimal("0.01"), Decimal("0.00001"), Decimal("65000"), Decimal("20000"))
ETH = FeedSymbol("ETHUSDT", Decimal("0.01"), Decimal("0.0001"), Decimal("3000"), Decimal("300000"))
SYMBOLS = [BTC, ETH]


@pytest.fixture(scope="module")
def market() -> Market:
    return Market(make_feed("synthetic", SYMBOLS, seed=11, start_ms=START_MS), SYMBOLS)


def fresh_market(seed: int = 11) -> Market:
    return Market(make_feed("synthetic", SYMBOLS, seed=seed, start_ms=START_MS), SYMBOLS)


def ohlcv(bars):
    return [(b.open_time, b.open, b.high, b.low, b.close, b.volume, b.trades) for b in bars]


def test_history_is_seven_days_of_minutes_leading_to_the_start_price() -> None:
    market = fresh_market()
    bars = market.klines("BTCUSDT", "1m", start_ms=0, limit=100_000)
    assert bars[-1].open_time == START_MS - START_MS % MINUTE_MS
    assert bars[-1].open_time - bars[0].open_time >= 7 * DAY_MS
    assert all(b.close_time == b.open_time + MINUTE_MS - 1 for b in bars)
    assert all(b2.open_time - b1.open_time == MINUTE_MS for b1, b2 in itertools.pairwise(bars))
    assert market.last_price("BTCUSDT") == Decimal("65000.00")
    assert market.last_price("ETHUSDT") == Decimal("3000.00")
    for b in bars:
        assert b.low <= min(b.open, b.close) <= max(b.open, b.close) <= b.high
        assert b.open % BTC.tick_size == 0 and b.volume % BTC.step_size == 0
        assert b.taker_buy_volume <= b.volume


def test_daily_volume_matches_the_symbol_spec(market: Market) -> None:
    bars = market.klines("ETHUSDT", "1d", limit=20)
    full_days = [b for b in bars if b.close_time < START_MS and b.open_time >= bars[0].open_time]
    mean = sum(b.volume for b in full_days[1:]) / len(full_days[1:])
    assert Decimal("0.6") * ETH.daily_volume < mean < Decimal("1.5") * ETH.daily_volume


@pytest.mark.parametrize("interval,minutes", [("5m", 5), ("1h", 60), ("4h", 240), ("1d", 1440)])
def test_coarse_klines_are_groups_of_minute_klines(
    market: Market, interval: str, minutes: int
) -> None:
    coarse = market.klines("BTCUSDT", interval, limit=3)
    fine = market.klines("BTCUSDT", "1m", start_ms=coarse[0].open_time, limit=1000 * 3)
    for bar in coarse[:-1]:
        group = [b for b in fine if bar.open_time <= b.open_time <= bar.close_time]
        assert len(group) == minutes
        assert bar.open == group[0].open and bar.close == group[-1].close
        assert bar.high == max(b.high for b in group) and bar.low == min(b.low for b in group)
        assert bar.volume == sum(b.volume for b in group)
        assert bar.trades == sum(b.trades for b in group)
        assert bar.close_time == bar.open_time + minutes * MINUTE_MS - 1


def test_kline_time_selection_follows_binance(market: Market) -> None:
    latest = market.klines("BTCUSDT", "1h", limit=5)
    assert [b.open_time for b in latest] == sorted(b.open_time for b in latest)
    assert latest[-1].open_time <= market.now_ms <= latest[-1].close_time  # the forming bar
    start = latest[0].open_time + 1  # not on a boundary: the first bar opens after it
    from_start = market.klines("BTCUSDT", "1h", start_ms=start, limit=2)
    assert [b.open_time for b in from_start] == [b.open_time for b in latest[1:3]]
    until = market.klines("BTCUSDT", "1h", end_ms=latest[2].open_time, limit=2)
    assert [b.open_time for b in until] == [b.open_time for b in latest[1:3]]
    both = market.klines("BTCUSDT", "1h", start_ms=latest[0].open_time, end_ms=start, limit=9)
    assert [b.open_time for b in both] == [latest[0].open_time]
    assert market.klines("BTCUSDT", "1h", start_ms=market.now_ms + HOUR_MS, limit=5) == []
    weekly = market.klines("BTCUSDT", "1w", limit=1)[0]
    assert (weekly.open_time // DAY_MS) % 7 == 4  # Monday
    row = latest[0].to_binance()
    assert len(row) == 12 and row[11] == "0" and isinstance(row[1], str) and row[6] > row[0]


def test_bad_requests_get_clear_errors(market: Market) -> None:
    with pytest.raises(UnknownSymbolError, match="NOPE"):
        market.klines("NOPE", "1m")
    with pytest.raises(ValueError, match="unknown interval"):
        market.klines("BTCUSDT", "7m")
    with pytest.raises(ValueError, match="bad feed spec"):
        make_feed("random-walk", SYMBOLS, seed=1, start_ms=START_MS)
    with pytest.raises(ValueError, match="not a multiple"):
        market.record_trade("BTCUSDT", Decimal("65000.001"), Decimal("1"), True, START_MS)


def test_the_path_does_not_depend_on_how_the_clock_advances() -> None:
    stepped, jumped = fresh_market(), fresh_market()
    ticks = []
    for second in range(1, 301):
        ticks += stepped.advance(START_MS + second * 1000)
    jumped.advance(START_MS + 120_500)
    jumped.advance(START_MS + 300_000)
    for interval in ("1s", "1m"):
        assert ohlcv(stepped.klines("BTCUSDT", interval, limit=400)) == ohlcv(
            jumped.klines("BTCUSDT", interval, limit=400)
        )
    assert ohlcv(stepped.klines("ETHUSDT", "1m")) == ohlcv(jumped.klines("ETHUSDT", "1m"))
    assert len(ticks) == 2 * 300
    assert [t.time_ms for t in ticks] == sorted(t.time_ms for t in ticks)
    other_seed = fresh_market(seed=12)
    assert ohlcv(other_seed.klines("BTCUSDT", "1m")) != ohlcv(stepped.klines("BTCUSDT", "1m"))


def test_a_long_jump_thins_ticks_but_keeps_every_minute_extreme() -> None:
    market = fresh_market()
    first = market.klines("BTCUSDT", "1m", limit=1)[0]
    ticks = market.advance(START_MS + 8 * HOUR_MS)
    btc = [t for t in ticks if t.symbol == "BTCUSDT"]
    assert len(btc) <= 8 * 60 * 3 + 3  # at most high, low and close per minute
    bars = market.klines("BTCUSDT", "1m", start_ms=first.open_time, limit=1000)
    for bar in bars[1:-1]:
        inside = [t.price for t in btc if bar.open_time <= t.time_ms <= bar.close_time]
        assert max(inside) == bar.high and min(inside) == bar.low and inside[-1] == bar.close
    assert sum(t.volume for t in btc) == sum(b.volume for b in bars) - first.volume


def test_record_trade_prints_on_the_tape_and_counts_in_volume() -> None:
    market = fresh_market()
    market.advance(START_MS + 2000)
    before = market.forming_bar("BTCUSDT", "1m")
    last_id = market.recent_trades("BTCUSDT", 1)[0].id
    trade = market.record_trade("BTCUSDT", Decimal("65100.00"), Decimal("0.25"), False, 0)
    assert trade.id == last_id + 1 and trade.price == Decimal("65100.00")
    assert trade.time_ms >= START_MS  # an earlier time is moved up to the market's clock
    after = market.forming_bar("BTCUSDT", "1m")
    assert after.volume == before.volume + Decimal("0.25")
    assert after.taker_buy_volume == before.taker_buy_volume + Decimal("0.25")
    assert after.high >= Decimal("65100.00") and after.trades == before.trades + 1
    assert market.last_price("BTCUSDT") == Decimal("65100.00")
    assert market.recent_trades("BTCUSDT", 1)[0] == trade
    ticker = market.ticker_24h("BTCUSDT")
    assert ticker.last_id == trade.id and ticker.last_qty == Decimal("0.25")


def test_ticker_24h_agrees_with_the_minute_bars(market: Market) -> None:
    ticker = market.ticker_24h("ETHUSDT")
    bars = market.klines("ETHUSDT", "1m", start_ms=market.now_ms - DAY_MS, limit=100_000)
    assert ticker.volume == sum(b.volume for b in bars)
    assert ticker.high_price == max(b.high for b in bars)
    assert ticker.low_price == min(b.low for b in bars)
    assert ticker.open_price == bars[0].open and ticker.last_price == market.last_price("ETHUSDT")
    assert ticker.price_change == ticker.last_price - ticker.open_price
    assert ticker.count == sum(b.trades for b in bars) == ticker.last_id - ticker.first_id + 1
    assert ticker.low_price <= ticker.weighted_avg_price <= ticker.high_price
    assert ticker.close_time - ticker.open_time == DAY_MS


def test_recent_trades_and_volume_per_second(market: Market) -> None:
    trades = market.recent_trades("BTCUSDT", 1000)
    assert 0 < len(trades) <= 1000
    assert [t.id for t in trades] == list(range(trades[0].id, trades[0].id + len(trades)))
    assert all(t.qty > 0 and t.price % BTC.tick_size == 0 for t in trades)
    per_second = market.volume_per_second("BTCUSDT")
    assert BTC.daily_volume / 86_400 / 10 < per_second < BTC.daily_volume / 86_400 * 10
