"""What a replay leaves: the strategy's fills and signals, its equity bar by bar, and figures.

Read from the replay engine's own database after the run (the orders and fills tables by the
strategy's actor, the signals table, the stored candles), so they are what the engine recorded.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import duckdb

from engine.models import Side
from engine.strategies.actors import strategy_actor
from engine.strategies.api import StrategyFill
from engine.strategies.ledger import Ledger


def strategy_fills(
    cur: duckdb.DuckDBPyConnection, strategy: str, market: str, symbol: str
) -> list[dict[str, Any]]:
    rows = cur.execute(
        # By the exchange's order id: a fill that reconciliation wrote before its order's row
        # had that id can lack our client id.
        "SELECT f.trade_id, o.client_order_id, f.side, f.price, f.qty, f.commission, "
        "f.commission_asset, f.time FROM fills f JOIN orders o "
        "ON o.market = f.market AND o.exchange_order_id = f.exchange_order_id "
        "WHERE o.actor = ? AND f.market = ? AND f.symbol = ? ORDER BY f.time, f.trade_id",
        [strategy_actor(strategy), market, symbol],
    ).fetchall()
    keys = ("trade_id", "client_order_id", "side", "price", "qty", "commission",
            "commission_asset", "time")  # fmt: skip
    return [dict(zip(keys, row, strict=True)) for row in rows]


def signals(cur: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    frame = cur.execute("SELECT * EXCLUDE (run_id) FROM strategy_signals ORDER BY seq").df()
    return frame.astype(object).where(frame.notna(), None).to_dict("records")


def closes(
    cur: duckdb.DuckDBPyConnection, market: str, symbol: str, interval: str, since: int, n: int
) -> list[tuple[int, int, float]]:
    """(open_time, close_time, close) of the `n` bars from `since`."""
    return cur.execute(
        "SELECT open_time, close_time, close FROM klines WHERE market = ? AND symbol = ? AND "
        "interval = ? AND open_time >= ? ORDER BY open_time LIMIT ?",
        [market, symbol, interval, since, n],
    ).fetchall()


def as_fill(row: dict[str, Any]) -> StrategyFill:
    return StrategyFill(
        client_order_id=row["client_order_id"] or "", side=Side(row["side"]),
        price=Decimal(str(row["price"])), qty=Decimal(str(row["qty"])),
        commission=Decimal(str(row["commission"] or 0)),
        commission_asset=row["commission_asset"], time=int(row["time"]),
    )  # fmt: skip


def equity_curve(
    ledger: Ledger, fills: list[StrategyFill], bars: list[tuple[int, int, float]]
) -> list[tuple[int, float]]:
    """The strategy's equity at each bar's close: cash + holding at the close."""
    pending = sorted(fills, key=lambda f: f.time)
    curve, i = [], 0
    for open_time, close_time, close in bars:
        while i < len(pending) and pending[i].time <= close_time:
            ledger.apply(pending[i])
            i += 1
        curve.append((int(open_time), float(ledger.equity(Decimal(str(close))))))
    for fill in pending[i:]:
        ledger.apply(fill)
    return curve


def figures(ledger: Ledger, curve: list[tuple[int, float]], start: Decimal) -> dict[str, Any]:
    closed = [t for t in ledger.trades if t.closed is not None]
    wins = [t for t in closed if t.pnl > 0]
    final = curve[-1][1] if curve else float(start)
    peak, drawdown = float(start), 0.0
    for _, value in curve:
        peak = max(peak, value)
        drawdown = max(drawdown, (peak - value) / peak if peak else 0.0)
    return {
        "trades": len(closed), "open_trade": len(ledger.trades) - len(closed),
        "wins": len(wins), "pnl": round(final - float(start), 8),
        "return_pct": round((final / float(start) - 1) * 100, 4) if start else None,
        "max_drawdown_pct": round(drawdown * 100, 4), "final_equity": final,
    }  # fmt: skip
