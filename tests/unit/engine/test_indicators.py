"""The indicators against independent references on real Binance candles.

TA-Lib (pinned in requirements-dev.txt, tests only) for SMA, EMA, RSI, MACD, Bollinger bands
and ATR over the whole recorded BTCUSDT 5m series; a hand-written loop for the session VWAP,
which TA-Lib does not have. Where TA-Lib defines a value ours must equal it (to float
rounding), and be undefined exactly where TA-Lib's is (MACD's line starts earlier here: TA-Lib
hides it until its signal line starts).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from engine import indicators as ind
from tests.conftest import SHARED_DATA

SOURCE = SHARED_DATA / "candles" / "spot_BTCUSDT_5m.csv.gz"
talib = pytest.importorskip("talib", reason="TA-Lib is the reference (requirements-dev.txt)")
pytestmark = pytest.mark.skipif(not SOURCE.exists(), reason=f"no recorded candles at {SOURCE}")
RTOL = 1e-9


@pytest.fixture(scope="module")
def bars() -> pd.DataFrame:
    return pd.read_csv(SOURCE)


def same(ours: np.ndarray, reference: np.ndarray, nan_too: bool = True) -> None:
    defined = ~np.isnan(reference)
    if nan_too:
        assert np.array_equal(np.isnan(ours), ~defined)
    else:
        assert not np.isnan(ours[defined]).any()
    np.testing.assert_allclose(ours[defined], reference[defined], rtol=RTOL, atol=1e-9)


@pytest.mark.parametrize("period", [2, 14, 50, 200])
def test_moving_averages(bars, period):
    close = bars["close"].to_numpy()
    same(ind.sma(close, period), talib.SMA(close, period))
    same(ind.ema(close, period), talib.EMA(close, period))


@pytest.mark.parametrize("period", [6, 14, 30])
def test_rsi_and_atr(bars, period):
    c, h, lo = (bars[k].to_numpy() for k in ("close", "high", "low"))
    same(ind.rsi(c, period), talib.RSI(c, period))
    same(ind.atr(h, lo, c, period), talib.ATR(h, lo, c, period))
    same(ind.true_range(h, lo, c), talib.TRANGE(h, lo, c))


@pytest.mark.parametrize(("fast", "slow", "signal"), [(12, 26, 9), (5, 35, 5)])
def test_macd(bars, fast, slow, signal):
    close = bars["close"].to_numpy()
    ours = ind.macd(close, fast, slow, signal)
    line, signal_line, histogram = talib.MACD(close, fast, slow, signal)
    same(ours.macd, line, nan_too=False)
    assert np.isnan(ours.macd).sum() == slow - 1
    same(ours.signal, signal_line)
    same(ours.histogram, histogram)


@pytest.mark.parametrize(("period", "width"), [(20, 2.0), (50, 1.5)])
def test_bollinger_bands(bars, period, width):
    close = bars["close"].to_numpy()
    ours = ind.bollinger(close, period, width)
    upper, middle, lower = talib.BBANDS(close, period, width, width)
    same(ours.upper, upper)
    same(ours.middle, middle)
    same(ours.lower, lower)


def test_vwap_restarts_each_utc_day_and_matches_a_plain_loop(bars):
    part = bars.iloc[:3000]
    t, h, lo, c, v = (part[k].to_numpy() for k in ("open_time_ms", "high", "low", "close",
                                                     "volume"))  # fmt: skip
    expected, day, pv, vol = [], None, 0.0, 0.0
    for i in range(len(part)):
        if t[i] // 86_400_000 != day:
            day, pv, vol = t[i] // 86_400_000, 0.0, 0.0
        pv += (h[i] + lo[i] + c[i]) / 3 * v[i]
        vol += v[i]
        expected.append(pv / vol if vol else np.nan)
    same(ind.vwap(t, h, lo, c, v), np.array(expected))


def test_short_series_and_bad_periods():
    assert np.isnan(ind.sma([1.0, 2.0], 3)).all() and len(ind.ema([], 3)) == 0
    with pytest.raises(ValueError):
        ind.sma([1.0], 0)
    with pytest.raises(ValueError):
        ind.macd([1.0] * 50, 26, 12)
