"""What a replay needs to know of its candle file: the bars' open times and their interval.

The two layouts the simulator's replay feed reads: Binance's 12-column public kline CSV (no
header; ms or µs open times) and `open_time,open,high,low,close,volume` with a header.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

MICROS_ABOVE = 10**14  # an open time this large is in microseconds
INTERVALS = {"1m": 60_000, "3m": 180_000, "5m": 300_000, "15m": 900_000, "30m": 1_800_000,
             "1h": 3_600_000, "2h": 7_200_000, "4h": 14_400_000, "6h": 21_600_000,
             "8h": 28_800_000, "12h": 43_200_000, "1d": 86_400_000}  # fmt: skip


@dataclass(frozen=True)
class CandleFile:
    path: Path
    open_time: np.ndarray  # ms, ascending
    interval: str

    @property
    def interval_ms(self) -> int:
        return INTERVALS[self.interval]

    def __len__(self) -> int:
        return len(self.open_time)


def read_candles(path: Path) -> pd.DataFrame:
    """open_time (ms), open, high, low, close, volume of every bar in the file."""
    first = pd.read_csv(path, nrows=1, header=None)
    has_header = not str(first.iloc[0, 0]).strip().isdigit()
    frame = pd.read_csv(path, header=0 if has_header else None)
    frame = frame.iloc[:, :6]
    frame.columns = ["open_time", "open", "high", "low", "close", "volume"]
    times = frame["open_time"].astype(np.int64)
    frame["open_time"] = np.where(times > MICROS_ABOVE, times // 1000, times)
    return frame


def candle_file(path: Path) -> CandleFile:
    times = read_candles(path)["open_time"].to_numpy(np.int64)
    if len(times) < 3:
        raise ValueError(f"{path}: {len(times)} bars; a replay needs more")
    step = int(np.min(np.diff(times)))
    interval = next((name for name, ms in INTERVALS.items() if ms == step), None)
    if interval is None:
        raise ValueError(f"{path}: bars {step} ms apart is not an interval a replay plays")
    return CandleFile(path, times, interval)
