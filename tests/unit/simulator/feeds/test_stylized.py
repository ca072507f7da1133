"""The synthetic feed shows the stylized facts of real crypto candles; a Gaussian walk does not.

Thresholds come from the real Binance candles in ../shared/data/candles, measured with
benchmarks/feed_stylized_facts.py (every real series clears each one with room to spare):

| fact | real range (1m files; 5m/1h files) | threshold |
|---|---|---|
| excess kurtosis of 1m returns | 18 .. 197 | > 3 |
| excess kurtosis of 1h returns | 3.0 (one day of ADA) .. 13; 7.2 .. 10.6 on months | > 1 |
| lag-1 autocorrelation of returns | -0.05 .. 0.06 | within +-0.1 |
| autocorrelation of abs returns, lags 1..10 | 0.12 .. 0.41 | all > 0.05 |
| correlation of volume with log(high/low) | 0.75 .. 0.91 | > 0.5 |
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from benchmarks.feed_stylized_facts import REAL_1M, minute_facts, read_real, synthetic_minutes
from tests.conftest import SHARED_DATA

CANDLES_DIR = SHARED_DATA / "candles"
DAYS = 30


def fact_failures(facts: dict) -> list[str]:
    """The stylized facts a series of 1m bars lacks (NaN counts as lacking)."""
    checks = {
        "fat tails at 1m": facts["excess_kurtosis_1m"] > 3,
        "fat tails at 1h": facts["excess_kurtosis_1h"] > 1,
        "uncorrelated returns": abs(facts["acf_r_lag1"]) < 0.1,
        "volatility clustering": min(facts["acf_abs_r_lags_1_10"]) > 0.05,
        "volume rises with range": facts["corr_volume_range"] > 0.5,
    }
    return [name for name, ok in checks.items() if not ok]


def gaussian_walk_minutes(seed: int, days: int) -> pd.DataFrame:
    """A plain Gaussian random walk at 1 s, grouped into 1m bars, with constant volume."""
    rng = np.random.default_rng(seed)
    seconds = days * 86_400
    log_price = np.log(60_000.0) + np.cumsum(rng.standard_normal(seconds) * 1e-4)
    per_minute = np.exp(log_price).reshape(-1, 60)
    return pd.DataFrame(
        {
            "open_time": np.arange(seconds // 60, dtype=np.int64) * 60_000,
            "open": per_minute[:, 0],
            "high": per_minute.max(axis=1),
            "low": per_minute.min(axis=1),
            "close": per_minute[:, -1],
            "volume": np.full(seconds // 60, 12.5),
        }
    )


@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(min_value=0, max_value=2**63 - 1))
def test_synthetic_feed_has_every_stylized_fact(seed: int) -> None:
    facts = minute_facts(synthetic_minutes("BTCUSDT", seed, DAYS))
    assert fact_failures(facts) == [], facts


def test_a_gaussian_walk_with_constant_volume_fails_the_same_checks() -> None:
    with np.errstate(invalid="ignore", divide="ignore"):
        facts = minute_facts(gaussian_walk_minutes(seed=5, days=DAYS))
    assert math.isnan(facts["corr_volume_range"])  # constant volume correlates with nothing
    assert fact_failures(facts) == [
        "fat tails at 1m",
        "fat tails at 1h",
        "volatility clustering",
        "volume rises with range",
    ]


@pytest.mark.skipif(not CANDLES_DIR.is_dir(), reason=f"real candles not found at {CANDLES_DIR}")
@pytest.mark.parametrize("name", REAL_1M[:2])
def test_the_thresholds_hold_for_real_binance_candles(name: str) -> None:
    assert fact_failures(minute_facts(read_real(name))) == []
