"""Pure plotly figure builders: DataFrames in, a Figure out; no Streamlit, no I/O."""

from __future__ import annotations

import html

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

UP, DOWN = "#0ECB81", "#F6465D"  # Binance's green and red
ACCENT = "#F0B90B"
MARGIN = {"l": 10, "r": 10, "t": 30, "b": 10}


def _layout(fig: go.Figure, height: int) -> go.Figure:
    fig.update_layout(
        template="plotly_dark",
        height=height,
        margin=MARGIN,
        paper_bgcolor="rgba(0,0,0,0)",
        plot_bgcolor="rgba(0,0,0,0)",
        legend={"orientation": "h", "y": 1.06, "x": 0},
        hovermode="x unified",
    )
    return fig


def candlestick(
    candles: pd.DataFrame,
    fills: pd.DataFrame | None = None,
    open_orders: pd.DataFrame | None = None,
    title: str = "",
) -> go.Figure:
    """Candles with volume below, the user's fills as triangles and open orders as lines.

    `candles`: time, open, high, low, close, volume. `fills`: time, side, price, qty.
    `open_orders`: side, price, stop_price, quantity, order_type.
    """
    fig = make_subplots(
        rows=2, cols=1, shared_xaxes=True, row_heights=[0.78, 0.22], vertical_spacing=0.02
    )
    fig.add_trace(
        go.Candlestick(
            x=candles["time"],
            open=candles["open"],
            high=candles["high"],
            low=candles["low"],
            close=candles["close"],
            name="price",
            increasing_line_color=UP,
            decreasing_line_color=DOWN,
            showlegend=False,
        ),
        row=1,
        col=1,
    )
    colours = [
        UP if c >= o else DOWN for o, c in zip(candles["open"], candles["close"], strict=True)
    ]
    fig.add_trace(
        go.Bar(
            x=candles["time"],
            y=candles["volume"],
            marker_color=colours,
            name="volume",
            showlegend=False,
            opacity=0.6,
        ),
        row=2,
        col=1,
    )
    if fills is not None and not fills.empty:
        _add_fills(fig, fills)
    low, high = float(candles["low"].min()), float(candles["high"].max())
    pad = (high - low) * 0.05 or high * 0.001
    if open_orders is not None and not open_orders.empty:
        _add_open_orders(fig, open_orders, low - pad, high + pad)
    fig.update_yaxes(range=[low - pad, high + pad], row=1, col=1)
    # Plotly renders a few HTML tags in titles (links among them); the symbol is the exchange's
    fig.update_layout(xaxis_rangeslider_visible=False, title={"text": html.escape(title), "x": 0})
    fig.update_yaxes(side="right")
    return _layout(fig, 520)


def _add_fills(fig: go.Figure, fills: pd.DataFrame) -> None:
    for side, colour, symbol in (("BUY", UP, "triangle-up"), ("SELL", DOWN, "triangle-down")):
        part = fills[fills["side"] == side]
        if part.empty:
            continue
        fig.add_trace(
            go.Scatter(
                x=part["time"],
                y=part["price"],
                mode="markers",
                name=f"my {side.lower()}s",
                marker={
                    "symbol": symbol,
                    "size": 11,
                    "color": colour,
                    "line": {"width": 1, "color": "white"},
                },
                customdata=part["qty"],
                hovertemplate="%{y} × %{customdata}<extra>fill</extra>",
            ),
            row=1,
            col=1,
        )


def _add_open_orders(fig: go.Figure, orders: pd.DataFrame, low: float, high: float) -> None:
    """A dashed line per open order inside the candles' range; an edge note for the others
    (so one far-away order does not squash the candles)."""
    above, below = [], []
    for order in orders.itertuples():
        level = order.price if pd.notna(order.price) else order.stop_price
        if pd.isna(level):
            continue
        colour = UP if order.side == "BUY" else DOWN
        text = f"{order.side} {order.order_type} {order.quantity:g} @ {level:,.8g}"
        if level > high:
            above.append(text)
        elif level < low:
            below.append(text)
        else:
            fig.add_hline(
                y=float(level),
                line={"color": colour, "dash": "dash", "width": 1},
                annotation_text=text,
                annotation_position="top left",
                annotation_font_color=colour,
                row=1,
                col=1,
            )
    for texts, y, arrow in ((above, 1.0, "▲"), (below, 0.22, "▼")):
        if texts:
            fig.add_annotation(
                text=f"{arrow} " + " · ".join(texts[:3]) + (" …" if len(texts) > 3 else ""),
                xref="paper",
                yref="paper",
                x=0,
                y=y,
                xanchor="left",
                yanchor="top" if arrow == "▲" else "bottom",
                showarrow=False,
                font={"color": ACCENT, "size": 11},
            )


def equity_and_drawdown(equity: pd.DataFrame) -> go.Figure:
    """Equity curve with its running peak, and the drawdown (percent) below it."""
    fig = make_subplots(
        rows=2, cols=1, shared_xaxes=True, row_heights=[0.7, 0.3], vertical_spacing=0.04
    )
    fig.add_trace(
        go.Scatter(
            x=equity["time"], y=equity["equity"], name="equity", line={"color": ACCENT, "width": 2}
        ),
        row=1,
        col=1,
    )
    fig.add_trace(
        go.Scatter(
            x=equity["time"],
            y=equity["peak"],
            name="peak",
            line={"color": "#888", "width": 1, "dash": "dot"},
        ),
        row=1,
        col=1,
    )
    fig.add_trace(
        go.Scatter(
            x=equity["time"],
            y=-equity["drawdown_pct"],
            name="drawdown %",
            fill="tozeroy",
            line={"color": DOWN, "width": 1},
        ),
        row=2,
        col=1,
    )
    fig.update_yaxes(title_text="USDT", row=1, col=1)
    fig.update_yaxes(title_text="%", row=2, col=1)
    return _layout(fig, 380)


def allocation(
    balances: pd.DataFrame, positions: pd.DataFrame, wallet: pd.DataFrame | None = None
) -> go.Figure:
    """Where the value is: spot assets by USDT value and futures positions by margin at risk.

    `balances`: asset, value_usdt. `positions`: symbol, notional, leverage. `wallet`: the
    futures wallet (asset, wallet); its part not used as margin shows as its own slice.
    """
    labels, values = [], []
    for row in balances.dropna(subset=["value_usdt"]).itertuples():
        if row.value_usdt > 0:
            labels.append(f"{row.asset} (spot)")
            values.append(float(row.value_usdt))
    if wallet is not None and not wallet.empty:
        margin_in_use = float(
            sum(
                n / (lev if pd.notna(lev) and lev else 1)
                for n, lev in zip(positions["notional"], positions["leverage"], strict=True)
                if pd.notna(n)
            )
        )
        free_wallet = float(wallet["wallet"].sum()) - margin_in_use
        if free_wallet > 0:
            labels.append("USDT (futures wallet)")
            values.append(free_wallet)
    for row in positions.itertuples():
        if pd.notna(row.notional) and row.notional > 0:
            margin = row.notional / (row.leverage if pd.notna(row.leverage) and row.leverage else 1)
            side = getattr(row, "position_side", "BOTH")
            hedged = f" {side.lower()}" if side in ("LONG", "SHORT") else ""
            labels.append(f"{row.symbol}{hedged} (futures margin)")
            values.append(float(margin))
    fig = go.Figure(
        go.Pie(
            labels=labels,
            values=values,
            hole=0.55,
            sort=True,
            textinfo="label+percent",
            showlegend=False,
        )
    )
    return _layout(fig, 320)


def quick_chart(frame: pd.DataFrame) -> go.Figure | None:
    """A first look at a query result: numbers over the first time or text column.

    Returns None when there is nothing to draw (no numeric column, or fewer than two rows).
    """
    numeric = [
        c
        for c in frame.columns
        if pd.api.types.is_numeric_dtype(frame[c]) and not pd.api.types.is_bool_dtype(frame[c])
    ]
    if len(frame) < 2 or not numeric:
        return None
    x = _x_column(frame, numeric)
    ys = [c for c in numeric if c != x][:5] or numeric[:1]
    fig = go.Figure()
    if x is not None and _is_text(frame[x]):
        for y in ys:
            fig.add_trace(go.Bar(x=frame[x], y=frame[y], name=y))
    else:
        xs = frame[x] if x is not None else frame.index
        for y in ys:
            fig.add_trace(go.Scatter(x=xs, y=frame[y], name=y, mode="lines"))
    return _layout(fig, 340)


def _x_column(frame: pd.DataFrame, numeric: list[str]) -> str | None:
    for column in frame.columns:
        if pd.api.types.is_datetime64_any_dtype(frame[column]):
            return column
    for column in frame.columns:
        if column not in numeric and _is_text(frame[column]):
            return column
    return numeric[0] if len(numeric) > 1 else None


def _is_text(column: pd.Series) -> bool:
    return pd.api.types.is_string_dtype(column) or pd.api.types.is_object_dtype(column)


def metric_lines(samples: pd.DataFrame, title: str, height: int = 240) -> go.Figure:
    """One line per (metric, subject) over time. `samples`: time, name, subject, value."""
    fig = go.Figure()
    for (name, subject), series in samples.groupby(["name", "subject"], sort=True):
        label = subject if samples["name"].nunique() == 1 else f"{name} {subject}"
        fig.add_scatter(x=series["time"], y=series["value"], mode="lines",
                        name=html.escape(str(label)))  # fmt: skip
    fig.update_layout(title={"text": html.escape(title), "font": {"size": 14}})
    return _layout(fig, height)
