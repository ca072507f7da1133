"""Older hourly bars for the synthetic feed, so 1h, 4h and 1d klines reach back months.

The synthetic feed generates prices second by second for its last 7 to 8 days, which is what
1m to 15m klines need. Coarser intervals need months: 300 daily bars is 300 days. Before the
fine history, this builds hourly bars from a coarser model of the same kind (per hour:
log-volatility a slow AR(1), Student-t returns, volume rising with the size of the move), walked
backwards from the open of the first generated minute, so the two meet without a jump.
Deterministic per (seed, symbol). Prices are tick counts and volumes step counts, as everywhere
in the simulator, so the bars are exact.
"""

from __future__ import annotations

import math
import zlib

import numpy as np

from simulator.feeds.candles import HOUR_MS, BarColumns

DEFAULT_DAYS = 400  # 1d klines: 400 bars; 4h: 2,400; 1h: 9,600 (plus the fine history)
T_DF = 3.5
VOL_HALF_LIFE_H = 48.0
VOL_SD = 0.5
VOLUME_NOISE_SD = 0.45
MOVE_FLOOR = 0.35


def hourly_before(
    symbol: str,
    seed: int,
    end_ms: int,
    hours: int,
    first_open_ticks: int,
    daily_vol: float,
    mean_hour_volume_steps: float,
    quote_unit: float,
) -> BarColumns:
    """`hours` contiguous 1h bars ending at `end_ms` (exclusive, on the hour), whose last close
    is `first_open_ticks`."""
    if end_ms % HOUR_MS:
        raise ValueError(f"end {end_ms} is not on the hour")
    rng = np.random.default_rng([seed, zlib.crc32(symbol.encode()), 0x1D])
    sigma = daily_vol / math.sqrt(24)
    phi = 0.5 ** (1 / VOL_HALF_LIFE_H)
    shocks = rng.standard_normal(hours) * VOL_SD * math.sqrt(1 - phi * phi)
    log_vol = np.zeros(hours)
    for i in range(1, hours):  # a short loop: a few thousand hours
        log_vol[i] = phi * log_vol[i - 1] + shocks[i]
    scale = sigma * np.exp(log_vol - VOL_SD**2 / 2)
    t = rng.standard_t(T_DF, hours) / math.sqrt(T_DF / (T_DF - 2))
    returns = scale * t
    # close[i] = last close / exp(sum of the returns after bar i): walked back from the end
    after = np.concatenate((np.cumsum(returns[::-1])[::-1][1:], [0.0]))
    log_close = math.log(max(first_open_ticks, 1)) - after
    log_open = log_close - returns
    wick = np.abs(rng.standard_normal((2, hours))) * scale * 0.6
    close = np.maximum(np.rint(np.exp(log_close)), 1).astype(np.int64)
    open_ = np.maximum(np.rint(np.exp(log_open)), 1).astype(np.int64)
    open_[1:] = close[:-1]  # contiguous: each bar opens at the previous close
    high = np.maximum(np.rint(np.maximum(open_, close) * np.exp(wick[0])), np.maximum(open_, close))
    low = np.minimum(np.rint(np.minimum(open_, close) * np.exp(-wick[1])), np.minimum(open_, close))
    high, low = high.astype(np.int64), np.maximum(low, 1).astype(np.int64)
    move = np.abs(returns) / np.maximum(scale, 1e-12)
    noise = rng.lognormal(-(VOLUME_NOISE_SD**2) / 2, VOLUME_NOISE_SD, hours)
    weight = (MOVE_FLOOR + move) * noise
    volume = np.rint(mean_hour_volume_steps * weight / max(weight.mean(), 1e-12)).astype(np.int64)
    buy = np.rint(volume * rng.uniform(0.4, 0.6, hours)).astype(np.int64)
    mid = (open_ + close) / 2.0
    trades = np.maximum(volume // 50, np.where(volume > 0, 1, 0)).astype(np.int64)
    return BarColumns(
        start_ms=end_ms - hours * HOUR_MS,
        width_ms=HOUR_MS,
        open=open_,
        high=high,
        low=low,
        close=close,
        volume=volume,
        trades=trades,
        buy_volume=buy,
        quote_volume=volume * mid * quote_unit,
        buy_quote_volume=buy * mid * quote_unit,
    )


def join(older: BarColumns, newer: BarColumns) -> BarColumns:
    """Two contiguous runs of 1h bars as one (older ends where newer starts)."""
    if older.end_ms != newer.start_ms or older.width_ms != newer.width_ms:
        raise ValueError("the runs do not meet")
    fields = ("open", "high", "low", "close", "volume", "trades", "buy_volume", "quote_volume",
              "buy_quote_volume")  # fmt: skip
    cols = {f: np.concatenate((getattr(older, f), getattr(newer, f))) for f in fields}
    return BarColumns(older.start_ms, older.width_ms, **cols)
