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
from engine.account_state import read_account, risk_snapshot
from engine.config_versions import load_latest_config
from engine.kill_switch import KillSwitch
from engine.models import MarketType
from engine.portfolio import (
    read_equity,
)
from engine.risk import RiskSnapshot, limit_usage
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
    """The engine's own view (engine.account_state), with equity from the latest snapshot."""
    store = get_engine().store
    assert store is not None
    with store.reader() as cur:
        state = read_account(cur)
        latest = read_equity(cur, since_ms=now_ms - DAY_MS)
        equity = latest[-1].equity if latest else Decimal(0)
        return risk_snapshot(cur, state, equity, state.spot_prices, kill_switch(), now_ms)
