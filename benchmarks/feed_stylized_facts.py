"""Stylized facts of candles: the synthetic feed next to real Binance candles, as JSON.

Run from the repository root: ``python -m benchmarks.feed_stylized_facts [--days 30] [--seeds 3]``.
Real candles come from ../shared/data/candles (see its PROVENANCE.md); they are skipped with a
note when that folder is absent.

Facts (log returns r of close prices):
- ``excess_kurtosis_1m`` / ``excess_kurtosis_1h``: fat tails (0 for a Gaussian);
- ``acf_r_lag1``: returns are nearly uncorrelated;
- ``acf_abs_r_lags_1_10``: volatility clustering (|r| stays correlated);
- ``corr_volume_range``: Pearson correlation of volume with log(high / low), per 1m bar.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd

REPO_ROOT = Path(__file__).resolve().parents[1]
CANDLES_DIR = REPO_ROOT / ".." / "shared" / "data" / "candles"
START_MS = 1_751_760_000_000  # 2025-07-06 00:00 UTC

REAL_1M = (
    "futures_BTCUSDT_1m",
    "futures_ETHUSDT_1m",
    "spot_BTCBUSD_1m_lean",
    "futures_ADAUSDT_1m_lean",
)
REAL_5M = ("spot_BTCUSDT_5m", "spot_ETHUSDT_5m", "spot_SOLUSDT_5m", "futures_BTCUSDT_5m")
REAL_1H = ("spot_BTCUSDT_1h", "spot_ETHUSDT_1h")


def autocorr(x: np.ndarray, lag: int) -> float:
    a, b = x[:-lag], x[lag:]
    return float(np.corrcoef(a, b)[0, 1])


def excess_kurtosis(x: np.ndarray) -> float:
    return float(pd.Series(x).kurt())


def to_hours(bars: pd.DataFrame) -> pd.DataFrame:
    """Hourly OHLCV from finer bars indexed by open time (ms); empty hours dropped."""
    frame = bars.set_index(pd.to_datetime(bars["open_time"], unit="ms"))
    hours = frame.resample("1h").agg(
        {"open": "first", "high": "max", "low": "min", "close": "last", "volume": "sum"}
    )
    return hours.dropna().reset_index(drop=True)


def bar_facts(bars: pd.DataFrame) -> dict:
    """Facts of one series of bars (columns open, high, low, close, volume)."""
    r = np.diff(np.log(bars["close"].to_numpy(dtype=float)))
    log_range = np.log(bars["high"].to_numpy(dtype=float) / bars["low"].to_numpy(dtype=float))
    return {
        "bars": len(bars),
        "excess_kurtosis": round(excess_kurtosis(r), 2),
        "acf_r_lag1": round(autocorr(r, 1), 4),
        "acf_abs_r_lags_1_10": [round(autocorr(np.abs(r), k), 3) for k in range(1, 11)],
        "corr_volume_range": round(float(np.corrcoef(bars["volume"], log_range)[0, 1]), 3),
    }


def minute_facts(minutes: pd.DataFrame) -> dict:
    """The facts of 1m bars, with the 1h kurtosis of the same series grouped by hour."""
    facts = bar_facts(minutes)
    hourly = bar_facts(to_hours(minutes))
    return {
        "bars_1m": facts["bars"],
        "excess_kurtosis_1m": facts["excess_kurtosis"],
        "excess_kurtosis_1h": hourly["excess_kurtosis"],
        "acf_r_lag1": facts["acf_r_lag1"],
        "acf_abs_r_lags_1_10": facts["acf_abs_r_lags_1_10"],
        "corr_volume_range": facts["corr_volume_range"],
    }


def read_real(name: str) -> pd.DataFrame:
    frame = pd.read_csv(CANDLES_DIR / f"{name}.csv.gz")
    return frame.rename(columns={"open_time_ms": "open_time"})


def real_facts() -> dict:
    if not CANDLES_DIR.is_dir():
        return {"skipped": f"no real candles at {CANDLES_DIR}"}
    out: dict = {"1m": {}, "5m": {}, "1h": {}}
    for name in REAL_1M:
        out["1m"][name] = minute_facts(read_real(name))
    for name in REAL_5M:
        frame = read_real(name)
        out["5m"][name] = bar_facts(frame) | {
            "excess_kurtosis_1h": bar_facts(to_hours(frame))["excess_kurtosis"]
        }
    for name in REAL_1H:
        out["1h"][name] = bar_facts(read_real(name))
    return out


def synthetic_minutes(symbol: str, seed: int, days: int) -> pd.DataFrame:
    """``days`` of the synthetic feed's 1m history for one symbol, as a DataFrame."""
    from simulator.feeds.base import FeedSymbol
    from simulator.feeds.synthetic import SyntheticFeed, SyntheticParams

    spec = FeedSymbol(
        symbol, Decimal("0.01"), Decimal("0.00001"), Decimal("60000"), Decimal("20000")
    )
    feed = SyntheticFeed(
        [spec], seed=seed, start_ms=START_MS, params=SyntheticParams(history_days=days)
    )
    bars = feed.history(symbol).minutes
    tick = float(spec.tick_size)
    return pd.DataFrame(
        {
            "open_time": bars.start_ms + np.arange(len(bars), dtype=np.int64) * bars.width_ms,
            "open": bars.open * tick,
            "high": bars.high * tick,
            "low": bars.low * tick,
            "close": bars.close * tick,
            "volume": bars.volume * float(spec.step_size),
        }
    )


def synthetic_facts(seeds: Sequence[int], days: int) -> dict:
    out = {}
    for seed in seeds:
        began = time.perf_counter()
        minutes = synthetic_minutes("BTCUSDT", seed, days)
        out[f"seed_{seed}"] = minute_facts(minutes) | {
            "generate_s": round(time.perf_counter() - began, 3)
        }
    return out


SUMMARY_FACTS = ("excess_kurtosis_1m", "excess_kurtosis_1h", "acf_r_lag1", "corr_volume_range")


def summarize(series: list[dict]) -> dict:
    """Per fact, [min, median, max] over the series (|r| autocorrelation at lags 1 and 10)."""
    values: dict[str, list[float]] = {f: [s[f] for s in series] for f in SUMMARY_FACTS}
    values["acf_abs_r_lag1"] = [s["acf_abs_r_lags_1_10"][0] for s in series]
    values["acf_abs_r_lag10"] = [s["acf_abs_r_lags_1_10"][9] for s in series]
    return {
        f: [round(float(np.min(v)), 3), round(float(np.median(v)), 3), round(float(np.max(v)), 3)]
        for f, v in values.items()
    }


def timed(action) -> tuple[float, object]:
    began = time.perf_counter()
    result = action()
    return round(time.perf_counter() - began, 4), result


def performance() -> dict:
    """Seconds for the things the exchange waits on, with the simulator's 10 default symbols."""
    from simulator.feeds.factory import make_feed
    from simulator.feeds.market import Market
    from simulator.spot.symbols import DEFAULT_SYMBOLS

    symbols = [s.feed_symbol() for s in DEFAULT_SYMBOLS]
    out: dict = {"symbols": len(symbols)}
    build = timed(lambda: make_feed("synthetic", symbols, 1, START_MS))
    out["synthetic_feed_build_s"], feed = build
    out["market_build_s"], market = timed(lambda: Market(feed, symbols))
    steps = [timed(lambda k=k: market.advance(START_MS + k * 1000))[0] for k in range(1, 301)]
    out["advance_1s_mean_s"] = round(float(np.mean(steps)), 5)
    out["advance_1s_max_s"] = round(float(np.max(steps)), 5)
    out["advance_8h_jump_s"], ticks = timed(lambda: market.advance(START_MS + 8 * 3_600_000))
    out["advance_8h_jump_ticks"] = len(ticks)
    for interval in ("1m", "1h", "1d"):
        out[f"klines_{interval}_limit_1000_s"] = timed(
            lambda i=interval: market.klines("BTCUSDT", i, limit=1000)
        )[0]
    out["ticker_24h_s"] = timed(lambda: market.ticker_24h("BTCUSDT"))[0]
    replay = CANDLES_DIR / "spot_BTCUSDT_5m.csv.gz"
    if replay.is_file():
        spec = [s for s in symbols if s.symbol == "BTCUSDT"]
        out["replay_5m_feed_build_s"], feed = timed(
            lambda: make_feed(f"replay:{replay}", spec, 1, START_MS)
        )
        replayed = Market(feed, spec)
        out["replay_advance_8h_jump_s"] = timed(lambda: replayed.advance(START_MS + 8 * 3_600_000))[
            0
        ]
    return out


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=30, help="days of synthetic 1m history")
    parser.add_argument("--seeds", type=int, default=3, help="how many seeds (0, 1, ...)")
    args = parser.parse_args(argv)
    synthetic = synthetic_facts(range(args.seeds), args.days)
    real = real_facts()
    summary = {"synthetic_1m_min_median_max": summarize(list(synthetic.values()))}
    if "1m" in real:
        summary["real_1m_min_median_max"] = summarize(list(real["1m"].values()))
    report = {
        "summary": summary,
        "synthetic": {"days": args.days, **synthetic},
        "real": real,
        "performance": performance(),
    }
    json.dump(report, sys.stdout, indent=2)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
