"""Return correlation from candles in DuckDB, on series built to have a known correlation."""

from __future__ import annotations

import math
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from engine.models import MarketType
from engine.risk.correlation import DuckDBCorrelations, load_closes, log_return_correlation
from engine.store.schema import migrate

MINUTE = 60_000
SPOT, FUT = MarketType.SPOT, MarketType.FUTURES


def returns_with_correlation(n: int, a: float, b: float, seed: int = 7) -> tuple:
    """x, and y = a*x + b*n where n is made exactly uncorrelated with x and as spread out as x,
    so the sample correlation of x and y is a / sqrt(a^2 + b^2) (3, 4 -> 0.6)."""
    rng = np.random.default_rng(seed)
    x = rng.normal(0, 0.01, n)
    noise = rng.normal(0, 0.01, n)
    xc = x - x.mean()
    noise = noise - noise.mean()
    noise = noise - (noise @ xc) / (xc @ xc) * xc  # orthogonal to x
    noise = noise * np.linalg.norm(xc) / np.linalg.norm(noise)  # same spread as x
    return x, a * x + b * noise


def closes_from(returns: np.ndarray, start: float = 100.0) -> np.ndarray:
    return start * np.exp(np.concatenate([[0.0], np.cumsum(returns)]))


def write_klines(con, market: MarketType, symbol: str, closes, start: int = 0, closed=True):
    rows = [
        (str(market), symbol, "1m", start + i * MINUTE, c, c, c, c, 1.0,
         start + (i + 1) * MINUTE - 1, 0.0, 1, closed)
        for i, c in enumerate(closes)
    ]  # fmt: skip
    con.executemany("INSERT INTO klines VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)", rows)


@pytest.fixture
def con(tmp_path: Path):
    connection = duckdb.connect(str(tmp_path / "desk.duckdb"))
    migrate(connection)
    yield connection
    connection.close()


def test_constructed_series_have_the_computed_correlation(con) -> None:
    x, y = returns_with_correlation(200, 3.0, 4.0)
    write_klines(con, SPOT, "BTCUSDT", closes_from(x))
    write_klines(con, FUT, "ETHUSDT", closes_from(y))
    lookup = DuckDBCorrelations(con.cursor(), "1m", lookback_bars=200, min_overlap=30)
    result = lookup((SPOT, "BTCUSDT"), (FUT, "ETHUSDT"))
    assert result.overlap == 200
    assert result.value == pytest.approx(3 / math.sqrt(3**2 + 4**2), abs=1e-9)  # 0.6


def test_negative_and_perfect_correlation() -> None:
    x, _ = returns_with_correlation(50, 1.0, 0.0)
    index = range(51)
    a = pd.Series(closes_from(x), index=index)
    assert log_return_correlation(a, pd.Series(closes_from(-x), index=index), 10).value == (
        pytest.approx(-1.0)
    )
    assert log_return_correlation(a, pd.Series(closes_from(2 * x), index=index), 10).value == (
        pytest.approx(1.0)
    )


def test_only_aligned_bars_count(con) -> None:
    x, y = returns_with_correlation(100, 1.0, 1.0)
    write_klines(con, SPOT, "BTCUSDT", closes_from(x))
    # ETH has the same candles but its last 40 are missing: only 60 aligned closes -> 59 returns
    write_klines(con, SPOT, "ETHUSDT", closes_from(y)[:60])
    lookup = DuckDBCorrelations(con.cursor(), "1m", lookback_bars=150, min_overlap=30)
    assert lookup((SPOT, "BTCUSDT"), (SPOT, "ETHUSDT")).overlap == 59


def test_too_little_data_gives_no_value_and_a_reason(con) -> None:
    x, y = returns_with_correlation(10, 1.0, 1.0)
    write_klines(con, SPOT, "BTCUSDT", closes_from(x))
    write_klines(con, SPOT, "ETHUSDT", closes_from(y))
    lookup = DuckDBCorrelations(con.cursor(), "1m", lookback_bars=100, min_overlap=30)
    result = lookup((SPOT, "BTCUSDT"), (SPOT, "ETHUSDT"))
    assert (result.value, result.overlap) == (None, 10)
    assert result.reason == "only 10 aligned returns, 30 needed"
    flat = pd.Series([5.0] * 40)
    moving = pd.Series(closes_from(returns_with_correlation(39, 1.0, 0.0)[0]))
    assert log_return_correlation(flat, moving, 10).value is None


def test_the_forming_candle_and_other_intervals_are_left_out(con) -> None:
    write_klines(con, SPOT, "BTCUSDT", [1.0, 2.0, 3.0])
    write_klines(con, SPOT, "BTCUSDT", [9.0], start=3 * MINUTE, closed=False)
    series = load_closes(con.cursor(), (SPOT, "BTCUSDT"), "1m", bars=2)
    assert list(series) == [2.0, 3.0]
    assert list(series.index) == [MINUTE, 2 * MINUTE]
    assert load_closes(con.cursor(), (FUT, "BTCUSDT"), "1m", bars=2).empty
