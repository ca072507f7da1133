"""What the Risk page shows: the live configuration, the kill switch and the use of each limit.

The use of each limit is `engine.risk.limit_usage` over a snapshot built from the database: the
latest equity snapshot (written every minute), stored balances, positions, open orders, ticker
and mark prices. The engine's own pre-trade snapshot uses fresh REST prices, so figures here can
trail it by up to a minute. Configuration and the kill switch come from their stored versions.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pandas as pd

from app import queries
from app.runtime import get_engine
from engine.config_versions import load_latest_config
from engine.kill_switch import KillSwitch, daily_loss_baseline, peak_since_ms
from engine.models import Balance, MarketType, Position, Side
from engine.portfolio import (
    futures_positions,
    peak_equity,
    read_equity,
    spot_positions,
    start_of_day_equity,
    utc_day_start,
)
from engine.risk import OpenOrder, RiskSnapshot, limit_usage
from engine.risk_config import RiskConfig, TradingConfig

DAY_MS = 86_400_000


def _latest(kind: str, model: type[Any]) -> Any:
    store = get_engine().store
    assert store is not None
    with store.reader() as cur:
        saved = load_latest_config(cur, kind)
    return saved.parse(model) if saved is not None else model()


def risk_config() -> RiskConfig:
    """The risk configuration in force: the engine's latest stored version."""
    return _latest("risk", RiskConfig)


def trading_config() -> TradingConfig:
    """The trading switches in force, with the pairs the engine streams."""
    stored = _latest("trading", TradingConfig)
    return stored.model_copy(update={
        "spot_pairs": queries.selected_pairs(MarketType.SPOT),
        "futures_pairs": queries.selected_pairs(MarketType.FUTURES),
    })  # fmt: skip


def kill_switch() -> KillSwitch:
    """The kill switch as the engine last stored it (every transition is a version)."""
    return _latest("kill_switch", KillSwitch)


def usage_table(now_ms: int) -> pd.DataFrame:
    """name, used, limit, pct, unit for every limit that is set."""
    rows = [u.__dict__ for u in limit_usage(risk_config(), snapshot(now_ms))]
    frame = pd.DataFrame(rows, columns=["name", "used", "limit", "pct", "unit"])
    for column in ("used", "limit", "pct"):
        frame[column] = frame[column].astype(float)
    return frame


def snapshot(now_ms: int) -> RiskSnapshot:
    store = get_engine().store
    assert store is not None
    switch = kill_switch()
    with store.reader() as cur:
        history = read_equity(cur, since_ms=utc_day_start(now_ms) - DAY_MS)
        spot = [
            Balance(asset=a, free=Decimal(f), locked=Decimal(lk))
            for a, f, lk in cur.execute(
                "SELECT asset, free, locked FROM balances WHERE market = 'spot'"
            ).fetchall()
        ]
        held = [
            Position(
                symbol=s,
                amount=Decimal(a),
                entry_price=Decimal(e or 0),
                unrealized_pnl=Decimal(0),
                leverage=lev,
            )
            for s, a, e, lev in cur.execute(
                "SELECT symbol, amount, entry_price, leverage FROM positions"
            ).fetchall()
        ]
        spot_prices = {
            s: Decimal(str(p))
            for s, p in cur.execute(
                "SELECT symbol, last_price FROM tickers WHERE market = 'spot' "
                "AND last_price IS NOT NULL"
            ).fetchall()
        }
        marks = {
            s: Decimal(str(p))
            for s, p in cur.execute("SELECT symbol, mark_price FROM mark_prices").fetchall()
        }
        orders = [
            OpenOrder(
                MarketType(m),
                s,
                Side(sd),
                Decimal(q or 0) - Decimal(x or 0),
                Decimal(p) if p is not None else None,
                bool(r),
            )
            for m, s, sd, q, x, p, r in cur.execute(
                "SELECT market, symbol, side, quantity, executed_qty, price, reduce_only "
                "FROM orders WHERE status IN ('PENDING_NEW', 'NEW', 'PARTIALLY_FILLED', "
                "'UNKNOWN')"
            ).fetchall()
        ]
    return RiskSnapshot(
        equity=history[-1].equity if history else Decimal(0),
        positions=spot_positions(spot, spot_prices) + futures_positions(held),
        open_orders=orders,
        prices={
            **{(MarketType.SPOT, s): p for s, p in spot_prices.items()},
            **{(MarketType.FUTURES, s): p for s, p in marks.items()},
        },
        leverage={p.symbol: p.leverage for p in held if p.leverage},
        kill_switch=switch,
        start_of_day_equity=daily_loss_baseline(
            switch, start_of_day_equity(history, now_ms), now_ms
        ),
        peak_equity=peak_equity(history, peak_since_ms(switch)),
    )
