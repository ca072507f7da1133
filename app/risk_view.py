"""What the Risk page shows: the live configuration, the kill switch and the use of each limit.

The use of each limit is what the engine's risk component published with its latest valuation
(the `risk_usage` table): the same figures its pre-trade checks use. Configuration and the kill
switch come from their stored versions.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from app import account_queries, queries
from app.formats import local_time, utc_time
from app.runtime import get_engine
from engine.models import MarketType
from engine.risk.config import KillSwitchAction, RiskConfig, TradingConfig
from engine.risk.kill_switch import KillSwitch
from engine.store.config_versions import load_latest_config

ACTION_LABELS = {
    KillSwitchAction.CANCEL_ORDERS: "Cancel every open order",
    KillSwitchAction.FLATTEN: "Flatten: cancel every order, close every position, sell every "
    "spot holding",
    KillSwitchAction.BLOCK_ONLY: "Only refuse new orders",
}
ACTION_WORDS = {
    KillSwitchAction.BLOCK_ONLY: "New orders are refused; open orders and positions are left "
    "as they are at the exchange.",
    KillSwitchAction.CANCEL_ORDERS: "New orders are refused, and every open order (spot and "
    "futures, stop and take-profit orders included) is cancelled at the exchange.",
    KillSwitchAction.FLATTEN: "New orders are refused, every open order is cancelled, every "
    "futures position is closed at market and every spot holding is sold at market for USDT.",
}
ALWAYS = " Reducing orders (reduce-only, closing, selling what you hold) still pass."
# The limit names the engine publishes, as the Risk page shows them.
LIMIT_NAMES = {
    "daily loss": "Daily loss (since 00:00 UTC)",
    "drawdown from peak": "Drawdown from the peak (since the last reset)",
}


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
    usage = account_queries.risk_usage()
    usage["name"] = usage["name"].map(lambda n: LIMIT_NAMES.get(n, n[:1].upper() + n[1:]))
    return usage


KIND_NAMES = {
    "trading": "Trading",
    "risk": "Risk limits",
    "kill_switch": "Kill switch",
    "pairs:spot": "Spot pairs",
    "pairs:futures": "Futures pairs",
}
TIME_FIELDS = ("tripped_at", "reset_at", "checked_at")


def _shown(field: str, value: str) -> str:
    if not value or value == "None":
        return "—"
    if field in TIME_FIELDS and value.isdigit():
        return utc_time(int(value))
    if field in ("kill_switch_action", "action"):
        try:
            return ACTION_LABELS[KillSwitchAction(value)]
        except ValueError:
            return value
    return value


def history_table(zone: Any) -> pd.DataFrame:
    """Every configuration change, newest first, as a person reads it: local time, what, who,
    the setting, before and after (times in UTC, actions in words)."""
    frame = queries.config_changes(tuple(KIND_NAMES))
    if frame.empty:
        return frame
    return pd.DataFrame({
        "When": [local_time(t, zone) for t in frame["changed"]],
        "What": frame["kind"].map(lambda k: KIND_NAMES.get(k, k)),
        "Version": frame["version"],
        "By": frame["actor"],
        "Setting": frame["field"],
        "Before": [_shown(f, v) for f, v in zip(frame["field"], frame["before"], strict=True)],
        "After": [_shown(f, v) for f, v in zip(frame["field"], frame["after"], strict=True)],
    })  # fmt: skip
