"""Technical indicators over candle arrays, shared by strategies and the Trade chart.

Pure functions of numpy arrays (or anything `np.asarray` takes): no engine, no I/O. Every result
has the input's length, with NaN where the indicator is not defined yet. The conventions are
TA-Lib's (checked against it on recorded Binance candles in tests/unit/engine/test_indicators.py):
an EMA starts from the SMA of its first `period` values, RSI and ATR use Wilder's smoothing
started the same way, Bollinger bands use the population standard deviation.
"""

from engine.indicators.core import atr, bollinger, ema, macd, rma, rsi, sma, true_range, vwap

__all__ = ["atr", "bollinger", "ema", "macd", "rma", "rsi", "sma", "true_range", "vwap"]
