"""Tables a person reads: key columns first, headers with units, exact amounts, no empty cells.

Each builder takes the query's frame (amounts as exact decimals) and returns the frame to show:
- orders: time, symbol, side, type, status, price (a market order says "market"), trigger (for
  stop and take-profit orders), quantity, filled, average price, time in force (only where
  one applies), flags, reason; then the time in UTC. No internal id.
- fills: time, symbol, side, price, quantity, value, fee, maker or taker, realized P&L.
- positions: symbol, side, size, entry, mark, liquidation price ("none: the wallet covers it"
  when Binance gives none), unrealized P&L, margin mode, margin, leverage, notional.
- balances: asset, free, locked, total, price, value.
Amounts are text at the symbol's step or tick (app.formats.amount: never rounded, never cut).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

import pandas as pd

from app.formats import DASH, amount, local_time, money, places_of, utc_time
from app.queries import Grid

NO_LIQUIDATION = f"{DASH} none: the wallet covers it"
MARGIN_WORDS = {"ISOLATED": "isolated", "CROSSED": "cross"}


def _grid(grids: Mapping[tuple[str, str], Grid], market: str, symbol: str) -> Grid:
    return grids.get((market, symbol)) or Grid(None, None, "", "")


def _quote(grids: Mapping[tuple[str, str], Grid]) -> str:
    quotes = {g.quote for g in grids.values() if g.quote}
    return quotes.pop() if len(quotes) == 1 else "quote"


def _text(value: object, missing: str = "") -> str:
    """A text cell: `missing` for None and NaN (pandas fills absent text with NaN)."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return missing
    return str(value)


def _yes(value: object) -> str:
    return "yes" if bool(value) and not pd.isna(value) else ""  # type: ignore[arg-type]


def orders_view(
    frame: pd.DataFrame, grids: Mapping[tuple[str, str], Grid], zone: dt.tzinfo
) -> pd.DataFrame:
    """The order history as shown: newest first, as the query returned it."""
    quote = _quote(grids)
    rows = []
    for o in frame.itertuples():
        g = _grid(grids, o.market, o.symbol)
        ticks, steps = places_of(g.tick), places_of(g.step)
        has_trigger = "STOP" in o.order_type or "TAKE_PROFIT" in o.order_type
        limit = pd.notna(o.price) and o.price is not None
        rows.append({
            "Time": local_time(o.created, zone),
            "Symbol": o.symbol,
            "Market": o.market,
            "Side": o.side,
            "Type": o.order_type.replace("_", " ").lower(),
            "Status": o.status.replace("_", " ").lower(),
            f"Price ({quote})": amount(o.price, ticks) if limit else "market",
            f"Trigger ({quote})": amount(o.stop_price, ticks) if has_trigger else DASH,
            "Quantity": _quantity(o, steps, quote),
            "Filled": amount(o.executed_qty, steps),
            f"Avg price ({quote})": amount(o.avg_price, ticks) if o.executed_qty else DASH,
            "Time in force": _text(o.time_in_force, DASH),
            "Reduce-only": _yes(o.reduce_only),
            "Post-only": _yes(o.post_only),
            "Reason": _text(o.reason),
            "By": _text(o.actor, "the exchange"),
            "Time (UTC)": utc_time(o.created),
        })  # fmt: skip
    return pd.DataFrame(rows)


def _quantity(order: object, steps: int, quote: str) -> str:
    quote_qty = getattr(order, "quote_quantity", None)
    if quote_qty is not None and pd.notna(quote_qty):
        return f"{amount(quote_qty)} {quote} worth"
    return amount(getattr(order, "quantity", None), steps)


def fills_view(
    frame: pd.DataFrame, grids: Mapping[tuple[str, str], Grid], zone: dt.tzinfo
) -> pd.DataFrame:
    quote = _quote(grids)
    rows = []
    for f in frame.itertuples():
        g = _grid(grids, f.market, f.symbol)
        fee = f"{amount(f.commission)} {_text(f.commission_asset)}".strip()
        futures = f.market == "futures"
        rows.append({
            "Time": local_time(f.time, zone),
            "Symbol": f.symbol,
            "Market": f.market,
            "Side": f.side,
            f"Price ({quote})": amount(f.price, places_of(g.tick)),
            "Quantity": amount(f.qty, places_of(g.step)),
            f"Value ({quote})": money(f.quote_qty),
            "Fee": fee,
            "Maker/taker": DASH if pd.isna(f.is_maker) else ("maker" if f.is_maker else "taker"),
            f"Realized P&L ({quote})": money(f.realized_pnl, signed=True)
            if futures
            else f"{DASH} spot: see Portfolio",
            "Time (UTC)": utc_time(f.time),
        })  # fmt: skip
    return pd.DataFrame(rows)


def positions_view(frame: pd.DataFrame, grids: Mapping[tuple[str, str], Grid]) -> pd.DataFrame:
    rows = []
    for p in frame.itertuples():
        g = _grid(grids, "futures", p.symbol)
        ticks, steps = places_of(g.tick), places_of(g.step)
        margin_type = _text(p.margin_type, "CROSSED")
        isolated = margin_type == "ISOLATED"
        liquidation = p.liquidation_price
        no_liquidation = liquidation is None or pd.isna(liquidation) or not liquidation
        rows.append({
            "Symbol": p.symbol,
            "Side": p.side,
            f"Size ({g.base or 'base'})": amount(abs(p.size), steps),
            "Entry (USDT)": amount(p.entry, ticks),
            "Mark (USDT)": amount(round(p.mark, ticks), ticks) if pd.notna(p.mark) else DASH,
            "Liquidation (USDT)": NO_LIQUIDATION if no_liquidation else amount(liquidation, ticks),
            "Unrealized P&L (USDT)": money(p.unrealized_pnl, signed=True),
            "Margin mode": MARGIN_WORDS.get(margin_type, DASH),
            "Margin (USDT)": money(p.isolated_margin) if isolated else f"{DASH} cross: the wallet",
            "Leverage": f"{int(p.leverage)}x" if pd.notna(p.leverage) else DASH,
            "Notional (USDT)": money(p.notional),
        })  # fmt: skip
    return pd.DataFrame(rows)


def balances_view(frame: pd.DataFrame, steps: Mapping[str, object]) -> pd.DataFrame:
    """Spot balances; `steps`: asset -> the step of its USDT pair (the decimals to pad to)."""
    rows = []
    for b in frame.itertuples():
        places = places_of(steps.get(b.asset))
        priced = b.price is not None and pd.notna(b.price)
        rows.append({
            "Asset": b.asset,
            "Free": amount(b.free, places),
            "Locked": amount(b.locked, places),
            "Total": amount(b.total, places),
            "Price (USDT)": amount(b.price) if priced else f"{DASH} no USDT price",
            "Value (USDT)": money(b.value_usdt) if priced else DASH,
        })  # fmt: skip
    return pd.DataFrame(rows)


def wallet_view(frame: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({
        "Asset": frame["asset"],
        "Available for margin": [amount(v) for v in frame["available"]],
        "Wallet balance": [amount(v) for v in frame["wallet"]],
    })  # fmt: skip


def right_aligned(frame: pd.DataFrame, *text: str) -> dict[str, object]:
    """Column configs that right-align the figure columns (every column but those in `text`)."""
    import streamlit as st

    return {
        name: st.column_config.TextColumn(name, alignment="right")
        for name in frame.columns
        if name not in text
    }
