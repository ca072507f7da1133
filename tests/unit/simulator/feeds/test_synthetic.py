"""The synthetic feed: per-symbol paths, correlation with BTC, determinism and bad input."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pytest

from simulator.feeds.base import FeedSymbol
from simulator.feeds.candles import PathChunk
from simulator.feeds.synthetic import SyntheticFeed, SyntheticParams

START_MS = 1_751_760_000_000 + 45_678
BTC = FeedSymbol("BTCUSDT", Decimal("0.01"), Decimal("0.00001"), Decimal("65000"), Decimal("20000"))
ETH = FeedSymbol("ETHUSDT", Decimal("0.01"), Decimal("0.0001"), Decimal("3000"), Decimal("300000"))
DOGE = FeedSymbol("DOGEUSDT", Decimal("0.00001"), Decimal("1"), Decimal("0.18"), Decimal("1e9"))


def minute_returns(feed: SyntheticFeed, symbol: str) -> np.ndarray:
    return np.diff(np.log(feed.history(symbol).minutes.close.astype(float)))


def test_alts_move_with_btc_but_not_in_lockstep() -> None:
    feed = SyntheticFeed([BTC, ETH, DOGE], seed=3, start_ms=START_MS)
    btc = minute_returns(feed, "BTCUSDT")
    for alt in ("ETHUSDT", "DOGEUSDT"):
        corr = float(np.corrcoef(btc, minute_returns(feed, alt))[0, 1])
        assert 0.3 < corr < 0.9, (alt, corr)


def test_a_symbols_path_does_not_depend_on_the_other_symbols() -> None:
    alone = SyntheticFeed([ETH], seed=3, start_ms=START_MS)
    together = SyntheticFeed([DOGE, ETH, BTC], seed=3, start_ms=START_MS)
    a, b = alone.history("ETHUSDT").minutes, together.history("ETHUSDT").minutes
    assert np.array_equal(a.close, b.close) and np.array_equal(a.volume, b.volume)
    ahead_a, ahead_b = (
        alone.read("ETHUSDT", START_MS + 600_000),
        together.read("ETHUSDT", START_MS + 600_000),
    )
    assert np.array_equal(ahead_a.price, ahead_b.price)


def test_reading_in_pieces_gives_the_same_path_as_one_read() -> None:
    pieces, whole = SyntheticFeed([BTC], 5, START_MS), SyntheticFeed([BTC], 5, START_MS)
    end = START_MS + 3 * 3_600_000
    steps = [START_MS + 1000 * k for k in (1, 2, 3, 700, 701, 5000)] + [end]
    chunk = PathChunk.concat([pieces.read("BTCUSDT", t) for t in steps])
    once = whole.read("BTCUSDT", end)
    for field in ("time_ms", "price", "volume", "trades", "buy_volume"):
        assert np.array_equal(getattr(chunk, field), getattr(once, field)), field
    assert np.all(np.diff(once.time_ms) == 1000) and once.time_ms[-1] == end - end % 1000


def test_samples_obey_the_symbols_units_and_volume_level() -> None:
    feed = SyntheticFeed([DOGE], seed=8, start_ms=START_MS)
    bars = feed.history("DOGEUSDT").minutes
    assert bars.start_ms % 86_400_000 == 0 and len(bars) >= 7 * 1440
    assert np.all(bars.low >= 1) and np.all(bars.buy_volume <= bars.volume)
    assert np.all(bars.trades <= bars.volume)
    per_day = bars.volume.sum() * float(DOGE.step_size) / (len(bars) / 1440)
    assert 0.9 * 1e9 < per_day < 1.1 * 1e9


def test_no_volume_means_no_trades() -> None:
    quiet = FeedSymbol("QUIETUSDT", Decimal("0.01"), Decimal("1"), Decimal("10"), Decimal("0"))
    feed = SyntheticFeed([quiet], seed=1, start_ms=START_MS)
    bars = feed.history("QUIETUSDT").minutes
    assert bars.volume.sum() == 0 and bars.trades.sum() == 0
    assert len(np.unique(bars.close)) > 10  # the price still moves


@pytest.mark.parametrize(
    "kwargs,problem",
    [
        ({"seed": -1}, "seed must be a non-negative integer"),
        ({"seed": 1, "params": SyntheticParams(history_days=3)}, "at least 7"),
    ],
)
def test_bad_settings_are_clear_errors(kwargs: dict, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        SyntheticFeed([BTC], start_ms=START_MS, **kwargs)


def test_bad_symbols_are_clear_errors() -> None:
    with pytest.raises(ValueError, match="duplicate symbols"):
        SyntheticFeed([BTC, BTC], seed=1, start_ms=START_MS)
    with pytest.raises(ValueError, match="tick_size must be positive"):
        FeedSymbol("X", Decimal(0), Decimal(1), Decimal(1), Decimal(1))
