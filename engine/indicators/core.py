"""SMA, EMA, Wilder's RMA, RSI, MACD, Bollinger bands, true range, ATR and session VWAP."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from numpy.typing import ArrayLike, NDArray

Array = NDArray[np.float64]
DAY_MS = 86_400_000


def _values(x: ArrayLike) -> Array:
    return np.asarray(x, dtype=np.float64)


def _check(period: int) -> None:
    if period < 1:
        raise ValueError(f"a period is at least 1, not {period}")


def sma(x: ArrayLike, period: int) -> Array:
    """Simple moving average: the mean of the last `period` values (each window on its own, so
    rounding errors do not build up along the series)."""
    _check(period)
    values = _values(x)
    out = np.full(len(values), np.nan)
    if len(values) >= period:
        out[period - 1 :] = sliding_window_view(values, period).mean(axis=1)
    return out


def _smooth(values: Array, period: int, alpha: float) -> Array:
    """y[i] = y[i-1] + alpha * (x[i] - y[i-1]), started at the mean of the first `period`
    values that are not NaN (leading NaNs are skipped, as TA-Lib's nested indicators do)."""
    out = np.full(len(values), np.nan)
    valid = np.flatnonzero(~np.isnan(values))
    if len(valid) == 0:
        return out
    first = int(valid[0])
    start = first + period - 1
    if start >= len(values):
        return out
    level = float(values[first : start + 1].mean())
    out[start] = level
    keep = 1.0 - alpha
    tail = values[start + 1 :].tolist()
    smoothed = out[start + 1 :]
    for i, value in enumerate(tail):
        level = level * keep + value * alpha
        smoothed[i] = level
    return out


def ema(x: ArrayLike, period: int) -> Array:
    """Exponential moving average, alpha = 2 / (period + 1), started from the SMA."""
    _check(period)
    return _smooth(_values(x), period, 2.0 / (period + 1))


def rma(x: ArrayLike, period: int) -> Array:
    """Wilder's moving average (alpha = 1 / period), started from the SMA."""
    _check(period)
    return _smooth(_values(x), period, 1.0 / period)


def rsi(close: ArrayLike, period: int = 14) -> Array:
    """Relative strength index (Wilder): 100 - 100 / (1 + average gain / average loss)."""
    _check(period)
    values = _values(close)
    change = np.diff(values, prepend=np.nan)
    gain = rma(np.where(np.isnan(change), np.nan, np.maximum(change, 0.0)), period)
    loss = rma(np.where(np.isnan(change), np.nan, np.maximum(-change, 0.0)), period)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = 100.0 * gain / (gain + loss)
    return np.where((gain + loss) == 0, 0.0, out)


class Macd(NamedTuple):
    macd: Array
    signal: Array
    histogram: Array


def macd(close: ArrayLike, fast: int = 12, slow: int = 26, signal: int = 9) -> Macd:
    """MACD line (EMA fast - EMA slow), its signal line (EMA of the line) and the histogram.

    As TA-Lib does, both averages start on the same bar: the fast EMA is seeded with the SMA of
    the `fast` closes that end where the slow EMA's first `slow` closes end.
    """
    if not 1 <= fast < slow:
        raise ValueError(f"the fast period ({fast}) must be shorter than the slow ({slow})")
    values = _values(close)
    fast_ema = np.full(len(values), np.nan)
    fast_ema[slow - fast :] = ema(values[slow - fast :], fast)
    line = fast_ema - ema(values, slow)
    signal_line = ema(line, signal)
    return Macd(line, signal_line, line - signal_line)


class Bands(NamedTuple):
    middle: Array
    upper: Array
    lower: Array


def bollinger(close: ArrayLike, period: int = 20, width: float = 2.0) -> Bands:
    """Bollinger bands: the SMA and `width` population standard deviations either side."""
    _check(period)
    values = _values(close)
    middle = sma(values, period)
    deviation = np.full(len(values), np.nan)
    if len(values) >= period:
        deviation[period - 1 :] = sliding_window_view(values, period).std(axis=1)
    return Bands(middle, middle + width * deviation, middle - width * deviation)


def true_range(high: ArrayLike, low: ArrayLike, close: ArrayLike) -> Array:
    """max(high - low, |high - previous close|, |low - previous close|); NaN on the first bar."""
    h, lo, c = _values(high), _values(low), _values(close)
    previous = np.concatenate(([np.nan], c[:-1]))
    out = np.maximum(h - lo, np.maximum(np.abs(h - previous), np.abs(lo - previous)))
    if len(out):
        out[0] = np.nan
    return out


def atr(high: ArrayLike, low: ArrayLike, close: ArrayLike, period: int = 14) -> Array:
    """Average true range: Wilder's average of the true range (first value at bar `period`)."""
    _check(period)
    return rma(true_range(high, low, close), period)


def vwap(
    open_time: ArrayLike,
    high: ArrayLike,
    low: ArrayLike,
    close: ArrayLike,
    volume: ArrayLike,
    session_ms: int = DAY_MS,
) -> Array:
    """Volume-weighted average of the typical price (h + l + c) / 3, from the start of each
    session (a UTC day by default) to each bar; the previous value while a session has no
    volume yet."""
    times = np.asarray(open_time, dtype=np.int64)
    typical = (_values(high) + _values(low) + _values(close)) / 3.0
    vol = _values(volume)
    out = np.full(len(times), np.nan)
    if not len(times):
        return out
    session = times // session_ms
    starts = np.flatnonzero(np.diff(session, prepend=session[0] - 1))
    ends = np.append(starts[1:], len(times))
    for start, end in zip(starts, ends, strict=True):
        pv = np.cumsum(typical[start:end] * vol[start:end])
        cv = np.cumsum(vol[start:end])
        with np.errstate(divide="ignore", invalid="ignore"):
            out[start:end] = np.where(cv > 0, pv / cv, np.nan)
    return out
