"""The synthetic feed's older hourly history: 1h to 1d klines reach back months (issue 19:
enough history for every chart interval; at 2b2c2aa 1d klines had 8 bars), contiguous with the
fine history, exact and deterministic."""

from __future__ import annotations

import itertools

from simulator.feeds.candles import DAY_MS, HOUR_MS
from simulator.feeds.long_history import DEFAULT_DAYS
from tests.unit.simulator.feeds.test_market import START_MS, fresh_market


def test_every_chart_interval_has_hundreds_of_bars() -> None:
    market = fresh_market()
    counts = {i: len(market.klines("BTCUSDT", i, limit=1000)) for i in
              ("1m", "5m", "15m", "1h", "4h", "1d")}  # fmt: skip
    assert counts["1d"] >= DEFAULT_DAYS and min(counts.values()) >= 300, counts


def test_hourly_bars_are_contiguous_valid_and_meet_the_fine_history() -> None:
    market = fresh_market()
    bars = market.klines("BTCUSDT", "1h", start_ms=0, limit=100_000)
    assert START_MS - bars[0].open_time >= DEFAULT_DAYS * DAY_MS
    for before, after in itertools.pairwise(bars):
        assert after.open_time - before.open_time == HOUR_MS
    assert all(b.low <= min(b.open, b.close) and b.high >= max(b.open, b.close) for b in bars)
    assert all(b.low > 0 and b.volume >= 0 for b in bars)
    # where the older history meets the generated minutes, the price does not jump
    minutes = market.klines("BTCUSDT", "1m", start_ms=0, limit=1)
    (first_fine,) = [b for b in bars if b.open_time == minutes[0].open_time]
    before = bars[bars.index(first_fine) - 1]
    assert before.close == first_fine.open == minutes[0].open


def test_daily_bars_agree_with_the_hours_they_are_made_of() -> None:
    market = fresh_market()
    day = market.klines("BTCUSDT", "1d", limit=30)[5]
    hours = market.klines("BTCUSDT", "1h", start_ms=day.open_time, limit=24)
    assert day.open == hours[0].open and day.close == hours[-1].close
    assert day.high == max(h.high for h in hours) and day.volume == sum(h.volume for h in hours)


def test_the_older_history_is_the_same_for_the_same_seed_and_differs_for_another() -> None:
    one = fresh_market(seed=11).klines("BTCUSDT", "1d", start_ms=0, limit=50)
    again = fresh_market(seed=11).klines("BTCUSDT", "1d", start_ms=0, limit=50)
    other = fresh_market(seed=12).klines("BTCUSDT", "1d", start_ms=0, limit=50)
    assert one == again and one != other
