"""What the Strategies page shows of a strategy: its live P&L per pair, its round trips, and its
replay runs' trades and equity, from app.strategy_queries and the engine's ledger."""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pandas as pd

from app import queries, strategy_queries
from app.runtime import get_engine
from engine.models import MarketType, TradingPair

REPLAY_SUFFIXES = (".csv", ".csv.gz", ".zip")


@dataclass(frozen=True)
class Results:
    pairs: pd.DataFrame  # pair, trades, realized, holding, unrealized, pnl
    trades: pd.DataFrame
    curve: pd.DataFrame  # time, equity (the P&L after each fill, marked at its price)


def _step(pair: TradingPair | None) -> Decimal:
    lot = pair.rules.lot_size if pair else None
    return lot.step_size if lot else Decimal(0)


def live_results(strategy: str) -> Results:
    fills = strategy_queries.live_fills(strategy)
    rows, trades, curves = [], [], []
    for (market, symbol), part in fills.groupby(["market", "symbol"], sort=True):
        pair = queries.trading_pair(MarketType(market), symbol)
        base, quote = (pair.base, pair.quote) if pair else (symbol[:-4], symbol[-4:])
        books = strategy_queries.ledger_of(part, base, quote, _step(pair))
        last = queries.last_price(MarketType(market), symbol) or float(part["price"].iloc[-1])
        equity = float(books.equity(Decimal(str(last))))
        rows.append({"pair": f"{market} {symbol}", "trades": len(books.trades),
                     "realized": float(books.realized), "holding": float(books.holding),
                     "pnl": equity})  # fmt: skip
        trades.append(strategy_queries.trades_table(books.trades).assign(pair=symbol))
        curves.append(_pnl_curve(part, base, quote, _step(pair)))
    columns = ["pair", "trades", "realized", "holding", "pnl"]
    return Results(pd.DataFrame(rows, columns=columns), _concat(trades), _concat(curves))


def _pnl_curve(fills: pd.DataFrame, base: str, quote: str, step: Decimal) -> pd.DataFrame:
    points = []
    for i in range(1, len(fills) + 1):
        books = strategy_queries.ledger_of(fills.iloc[:i], base, quote, step)
        price = Decimal(str(fills["price"].iloc[i - 1]))
        when = pd.to_datetime(int(fills["time"].iloc[i - 1]), unit="ms", utc=True)
        points.append({"time": when, "equity": float(books.equity(price))})
    return pd.DataFrame(points, columns=["time", "equity"])


def _concat(frames: list[pd.DataFrame]) -> pd.DataFrame:
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def run_trades(run_id: str, symbol: str) -> pd.DataFrame:
    pair = queries.trading_pair(MarketType.SPOT, symbol)
    base, quote = (pair.base, pair.quote) if pair else (symbol[:-4], symbol[-4:])
    books = strategy_queries.ledger_of(strategy_queries.run_fills(run_id), base, quote,
                                       _step(pair))  # fmt: skip
    return strategy_queries.trades_table(books.trades)


def run_figures(runs: pd.DataFrame) -> pd.DataFrame:
    """The runs table with its figures (trades, P&L, return, drawdown, speed) as columns."""
    stats = runs["stats"].map(lambda s: json.loads(s) if s else {})
    for key in ("trades", "pnl", "return_pct", "max_drawdown_pct", "candles_per_s"):
        runs[key] = stats.map(lambda s, k=key: s.get(k))
    return runs.drop(columns=["stats"])


def replay_files() -> list[str]:
    """Candle files offered for replays: the replay folder (settings.replay_dir)."""
    folder = Path(get_engine().settings.replay_dir)
    if not folder.is_dir():
        return []
    return sorted(str(p) for p in folder.iterdir() if p.name.endswith(REPLAY_SUFFIXES))
