"""What the Risk page shows: the live configuration, the kill switch and the use of each limit.

The use of each limit is what the engine's risk component published with its latest valuation
(the `risk_usage` table): the same figures its pre-trade checks use. Configuration and the kill
switch come from their stored versions.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from app import portfolio_queries, queries
from app.runtime import get_engine
from engine.models import MarketType
from engine.risk.config import RiskConfig, TradingConfig
from engine.risk.kill_switch import KillSwitch
from engine.store.config_versions import load_latest_config


def _latest(kind: str, model: type[Any]) -> Any:
    with get_engine().store.reader() as cur:
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


def usage_table() -> pd.DataFrame:
    """name, used, limit, pct, unit for every limit that is set, as the engine's checks see it."""
    return portfolio_queries.risk_usage()
