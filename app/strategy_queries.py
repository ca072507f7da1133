"""Read-only queries of the Strategies page and the Trade chart's strategy markers.

Each call takes its own cursor. A strategy's orders are the `orders` rows whose actor is
`strategy:<name>`; its fills are joined to them by the exchange's order id; its P&L and round
trips come from those fills through the engine's own ledger, as a replay's do.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pandas as pd

from app.runtime import get_engine
from engine.models import MarketType, Side
from engine.store.config_versions import load_latest_config
from engine.strategies.actors import strategy_actor
from engine.strategies.api import StrategyFill
from engine.strategies.config import CONFIG_KIND, StrategiesConfig
from engine.strategies.ledger import Ledger, Trade
from engine.strategies.signals import LIVE_RUN

MAX_ROWS = 5000


def _df(sql: str, params: list[Any] | None = None) -> pd.DataFrame:
    with get_engine().store.reader() as cur:
        return cur.execute(sql, params or []).df()


def catalogue() -> pd.DataFrame:
    """Every strategy file found: name, description, parameter schema and defaults, error."""
    return _df("SELECT name, file, description, params_schema, defaults, markets, error "
               "FROM strategies ORDER BY name")  # fmt: skip


def schema_of(row: pd.Series) -> dict[str, Any]:
    return json.loads(row["params_schema"]) if row["params_schema"] else {}


def defaults_of(row: pd.Series) -> dict[str, Any]:
    return json.loads(row["defaults"]) if row["defaults"] else {}


def config() -> StrategiesConfig:
    with get_engine().store.reader() as cur:
        saved = load_latest_config(cur, CONFIG_KIND)
    return saved.parse(StrategiesConfig) if saved else StrategiesConfig()


def instances() -> pd.DataFrame:
    """Each configured instance with its run state (state, candles, mean and max call time)."""
    rows = [{"instance": i.key, "strategy": i.strategy, "market": i.market.value,
             "symbol": i.symbol, "interval": i.interval, "enabled": i.enabled,
             "params": json.dumps(i.params), "budget_ms": i.budget_ms}
            for i in config().instances]  # fmt: skip
    frame = pd.DataFrame(rows, columns=["instance", "strategy", "market", "symbol", "interval",
                                        "enabled", "params", "budget_ms"])  # fmt: skip
    status = _df("SELECT instance, state, reason, candles, calls, mean_ms, max_ms, "
                 "epoch_ms(last_candle) AS last_candle FROM strategy_status")  # fmt: skip
    return frame.merge(status, on="instance", how="left")


def signals(
    market: MarketType | None = None,
    symbol: str | None = None,
    since: pd.Timestamp | None = None,
    run_id: str = LIVE_RUN,
    strategy: str | None = None,
) -> pd.DataFrame:
    """Signals (time of their candle, side, outcome, reason), newest last."""
    where, params = ["run_id = ?"], [run_id]
    for column, value in (("market", market and market.value), ("symbol", symbol),
                          ("strategy", strategy)):  # fmt: skip
        if value:
            where.append(f"{column} = ?")
            params.append(value)
    if since is not None:
        where.append("candle_time >= ?")
        params.append(int(since.timestamp() * 1000))
    return _df(
        "SELECT epoch_ms(candle_time) AS time, strategy, symbol, side, order_type, "
        "quantity::DOUBLE AS quantity, quote_quantity::DOUBLE AS quote_quantity, reason, "
        f"outcome, code, message FROM strategy_signals WHERE {' AND '.join(where)} "
        f"ORDER BY candle_time, seq LIMIT {MAX_ROWS}",
        params,
    )


def live_fills(strategy: str) -> pd.DataFrame:
    return _df(
        "SELECT f.market, f.symbol, f.trade_id, o.client_order_id, f.side, f.price, f.qty, "
        "f.commission, f.commission_asset, f.time FROM fills f JOIN orders o "
        "ON o.market = f.market AND o.exchange_order_id = f.exchange_order_id "
        f"WHERE o.actor = ? ORDER BY f.time LIMIT {MAX_ROWS}",
        [strategy_actor(strategy)],
    )


def run_fills(run_id: str) -> pd.DataFrame:
    return _df("SELECT * FROM run_fills WHERE run_id = ? ORDER BY time", [run_id])


def runs(strategy: str | None = None) -> pd.DataFrame:
    """Replay runs, newest first, with their progress and figures."""
    where, params = ("WHERE strategy = ?", [strategy]) if strategy else ("", [])
    return _df(
        "SELECT run_id, strategy, symbol, interval, file, status, candles_done, candles_total, "
        "epoch_ms(started_ms) AS started, epoch_ms(finished_ms) AS finished, message, stats "
        f"FROM strategy_runs {where} ORDER BY started_ms DESC LIMIT 100",
        params,
    )


def run_equity(run_id: str) -> pd.DataFrame:
    return _df("SELECT epoch_ms(time) AS time, equity FROM run_equity WHERE run_id = ? "
               "ORDER BY time", [run_id])  # fmt: skip


def ledger_of(fills: pd.DataFrame, base: str, quote: str, step: Decimal) -> Ledger:
    books = Ledger(base, quote, step_size=step)
    for row in fills.itertuples():
        books.apply(StrategyFill(
            client_order_id=str(row.client_order_id or ""), side=Side(row.side),
            price=Decimal(str(row.price)), qty=Decimal(str(row.qty)),
            commission=Decimal(str(row.commission or 0)),
            commission_asset=row.commission_asset, time=int(row.time),
        ))  # fmt: skip
    return books


def trades_table(trades: list[Trade]) -> pd.DataFrame:
    rows = [{"opened": pd.to_datetime(t.opened, unit="ms", utc=True),
             "closed": pd.to_datetime(t.closed, unit="ms", utc=True) if t.closed else None,
             "side": "long" if t.side is Side.BUY else "short", "fills": t.fills,
             "entry": float(t.entry_price) if t.entry_price else None,
             "exit": float(t.exit_price) if t.exit_price else None,
             "quantity": float(t.bought), "pnl": float(t.pnl) if t.closed else None}
            for t in trades]  # fmt: skip
    columns = ["opened", "closed", "side", "fills", "entry", "exit", "quantity", "pnl"]
    return pd.DataFrame(rows, columns=columns)
