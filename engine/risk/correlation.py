"""Return correlation between two symbols from the closed candles in DuckDB.

Closes of the two symbols are aligned on open time (a bar missing in either is dropped from both),
then the log returns of consecutive aligned closes are correlated (Pearson). This is a statistic,
not money, so it is computed in floats.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import numpy as np
import pandas as pd

from engine.models import MarketType

SymbolKey = tuple[MarketType, str]


@dataclass(frozen=True)
class CorrelationResult:
    value: float | None  # None when it cannot be measured; `reason` says why
    overlap: int  # aligned returns used
    reason: str = ""


def log_return_correlation(a: pd.Series, b: pd.Series, min_overlap: int) -> CorrelationResult:
    """Correlate the log returns of two close series indexed by open time."""
    closes = pd.concat([a.rename("a"), b.rename("b")], axis=1, join="inner").sort_index()
    closes = closes[(closes > 0).all(axis=1)]
    returns = np.log(closes.astype(float)).diff().dropna()
    overlap = len(returns)
    if overlap < min_overlap:
        return CorrelationResult(
            None, overlap, f"only {overlap} aligned returns, {min_overlap} needed"
        )
    x, y = returns["a"].to_numpy(), returns["b"].to_numpy()
    if np.std(x) == 0 or np.std(y) == 0:
        return CorrelationResult(None, overlap, "a price did not move over the lookback")
    return CorrelationResult(float(np.corrcoef(x, y)[0, 1]), overlap)


def load_closes(
    cursor: duckdb.DuckDBPyConnection, key: SymbolKey, interval: str, bars: int
) -> pd.Series:
    """Return the last `bars` closed candles' closes of `key`, indexed by open time."""
    market, symbol = key
    rows = cursor.execute(
        "SELECT open_time, close FROM klines WHERE market = ? AND symbol = ? AND interval = ? "
        "AND is_closed ORDER BY open_time DESC LIMIT ?",
        [str(market), symbol, interval, bars],
    ).fetchall()
    return pd.Series(
        [r[1] for r in rows], index=[r[0] for r in rows], name=symbol, dtype=float
    ).sort_index()


class DuckDBCorrelations:
    """Correlation lookup for the pre-trade check, reading candles through one cursor.

    Loads `lookback_bars + 1` closes per symbol (for `lookback_bars` returns), once per instance.
    """

    def __init__(
        self, cursor: duckdb.DuckDBPyConnection, interval: str, lookback_bars: int, min_overlap: int
    ) -> None:
        self._cursor = cursor
        self._interval = interval
        self._bars = lookback_bars + 1
        self._min_overlap = min_overlap
        self._closes: dict[SymbolKey, pd.Series] = {}

    def __call__(self, a: SymbolKey, b: SymbolKey) -> CorrelationResult:
        return log_return_correlation(self._series(a), self._series(b), self._min_overlap)

    def _series(self, key: SymbolKey) -> pd.Series:
        if key not in self._closes:
            self._closes[key] = load_closes(self._cursor, key, self._interval, self._bars)
        return self._closes[key]
