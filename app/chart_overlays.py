"""Indicator overlays, strategy signal markers and equity curves for the pages' charts.

Pure plotly, as app/charts.py: DataFrames in, figures (or traces added to one) out. Indicator
values come from engine.indicators, the same functions the strategies use.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from app.charts import ACCENT, DOWN, UP, _layout
from engine import indicators as ind

PRICE_OVERLAYS = ("SMA 20", "SMA 50", "EMA 20", "Bollinger 20", "VWAP")
OSCILLATORS = ("RSI 14", "MACD", "ATR 14")
INDICATORS = PRICE_OVERLAYS + OSCILLATORS
COLOURS = ("#5B8FF9", "#F6BD16", "#E8684A", "#6DC8EC", "#9270CA", "#FF9D4D")


def price_lines(bars: pd.DataFrame, name: str) -> dict[str, pd.Series]:
    """The line(s) one price overlay draws over `bars` (time, open, high, low, close, volume)."""
    close = bars["close"].to_numpy(float)
    if name.startswith("SMA"):
        return {name: pd.Series(ind.sma(close, int(name.split()[1])))}
    if name.startswith("EMA"):
        return {name: pd.Series(ind.ema(close, int(name.split()[1])))}
    if name.startswith("Bollinger"):
        bands = ind.bollinger(close, int(name.split()[1]))
        return {f"{name} upper": pd.Series(bands.upper), f"{name} mid": pd.Series(bands.middle),
                f"{name} lower": pd.Series(bands.lower)}  # fmt: skip
    if name == "VWAP":
        times = bars["time"].astype("int64") // 10**6
        h, lo, v = (bars[k].to_numpy(float) for k in ("high", "low", "volume"))
        return {name: pd.Series(ind.vwap(times.to_numpy(), h, lo, close, v))}
    raise ValueError(f"unknown overlay {name}")


def add_indicators(fig: go.Figure, bars: pd.DataFrame, selected: Sequence[str]) -> go.Figure:
    """Draw the selected price overlays on the candlestick figure's price panel."""
    colour = iter(COLOURS * 3)
    for name in (n for n in selected if n in PRICE_OVERLAYS):
        for label, values in price_lines(bars, name).items():
            fig.add_trace(go.Scatter(x=bars["time"], y=values, name=label, mode="lines",
                                     line={"width": 1.2, "color": next(colour)}),
                          row=1, col=1)  # fmt: skip
    return fig


def oscillators(bars: pd.DataFrame, selected: Sequence[str]) -> go.Figure | None:
    """RSI, MACD and ATR in panels of their own below the chart, or None if none is on."""
    chosen = [n for n in selected if n in OSCILLATORS]
    if not chosen or bars.empty:
        return None
    fig = make_subplots(rows=len(chosen), cols=1, shared_xaxes=True, vertical_spacing=0.06,
                        subplot_titles=chosen)  # fmt: skip
    close = bars["close"].to_numpy(float)
    for row, name in enumerate(chosen, start=1):
        for label, values, colour in _oscillator(bars, close, name):
            line = {"width": 1.2, "color": colour}
            trace = go.Scatter(x=bars["time"], y=values, name=label, mode="lines", line=line)
            fig.add_trace(trace, row=row, col=1)
    return _layout(fig, 130 * len(chosen) + 40)


def _oscillator(bars: pd.DataFrame, close, name: str) -> list[tuple[str, object, str]]:
    if name == "RSI 14":
        return [(name, ind.rsi(close, 14), ACCENT)]
    if name == "MACD":
        m = ind.macd(close)
        return [("MACD", m.macd, COLOURS[0]), ("signal", m.signal, COLOURS[1]),
                ("histogram", m.histogram, COLOURS[2])]  # fmt: skip
    h, lo = bars["high"].to_numpy(float), bars["low"].to_numpy(float)
    return [(name, ind.atr(h, lo, close, 14), COLOURS[3])]


def add_signals(fig: go.Figure, bars: pd.DataFrame, signals: pd.DataFrame) -> go.Figure:
    """Strategies' signals as stars at their candle's close (filled: placed; open: refused)."""
    if signals.empty or bars.empty:
        return fig
    closes = bars.set_index("time")["close"]
    for side, colour in (("BUY", UP), ("SELL", DOWN)):
        part = signals[signals["side"] == side]
        if part.empty:
            continue
        y = part["time"].map(closes)
        placed = part["outcome"] == "placed"
        text = part["strategy"] + ": " + part["reason"].fillna("") + " (" + part["outcome"] + ")"
        fig.add_trace(go.Scatter(
            x=part["time"], y=y, mode="markers", name=f"strategy {side.lower()}",
            text=text, hoverinfo="text+x",
            marker={"symbol": ["star" if p else "star-open" for p in placed], "size": 12,
                    "color": colour, "line": {"width": 1, "color": "white"}},
        ), row=1, col=1)  # fmt: skip
    return fig


def equity_curves(curves: Mapping[str, pd.DataFrame], title: str = "") -> go.Figure:
    """Lines of (time, equity) frames, one per name: a replay's equity, the live P&L."""
    fig = go.Figure()
    for (name, frame), colour in zip(curves.items(), COLOURS, strict=False):
        if not frame.empty:
            fig.add_trace(go.Scatter(x=frame["time"], y=frame["equity"], name=name,
                                     mode="lines", line={"color": colour}))  # fmt: skip
    fig.update_layout(title={"text": title, "font": {"size": 13}})
    return _layout(fig, 260)
