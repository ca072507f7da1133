"""The trading and risk configuration forms: validated here first, then by the engine."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import streamlit as st

from app import commands, queries
from app.components.feedback import show_reply
from app.risk_view import ACTION_LABELS, ACTION_WORDS
from app.text import plain
from engine.commands import Reply
from engine.risk.config import (
    ConfigError,
    KillSwitchAction,
    RiskConfig,
    RiskPerTradeMode,
    TradingConfig,
    parse_risk_config,
    parse_trading_config,
)

OFF_HELP = "0 turns this limit off."
# Optional amount limits of RiskConfig: (field, label, widget key), laid out round the columns.
AMOUNT_LIMITS = (
    ("max_notional_per_symbol", "Position size limit per symbol (USDT)", "cfg_max_notional"),
    ("max_notional_total", "Total position limit (USDT)", "cfg_max_total"),
    ("max_daily_loss_usdt", "Max daily loss since 00:00 UTC (USDT)", "cfg_daily_loss_usdt"),
    ("max_daily_loss_pct", "Max daily loss since 00:00 UTC (% of equity)", "cfg_daily_loss_pct"),
    ("max_drawdown_pct", "Max drawdown from peak (%)", "cfg_drawdown_pct"),
)


def _off(value: float) -> float | None:
    return value if value > 0 else None


def trading_form(current: TradingConfig) -> None:
    catalogue = queries.symbol_catalogue()
    listed = {
        m: list(catalogue.loc[catalogue["market"] == m, "symbol"]) for m in ("spot", "futures")
    }
    with st.form("trading_form"):
        cols = st.columns(2)
        spot_on = cols[0].toggle("Spot trading on", value=current.spot_enabled, key="cfg_spot_on")
        futures_on = cols[1].toggle(
            "Futures trading on", value=current.futures_enabled, key="cfg_futures_on"
        )
        spot_pairs = cols[0].multiselect(
            "Spot pairs",
            listed["spot"],
            default=[p for p in current.spot_pairs if p in listed["spot"]],
            key="cfg_spot_pairs",
        )
        futures_pairs = cols[1].multiselect(
            "Futures pairs",
            listed["futures"],
            default=[p for p in current.futures_pairs if p in listed["futures"]],
            key="cfg_futures_pairs",
        )
        password = password_field("cfg_trading_password")
        submitted = st.form_submit_button("Save trading configuration", type="primary")
    if submitted:
        data = {
            "spot_enabled": spot_on,
            "futures_enabled": futures_on,
            "spot_pairs": spot_pairs,
            "futures_pairs": futures_pairs,
        }
        _save(data, parse_trading_config, commands.save_trading_config, password)


def risk_form(current: RiskConfig) -> None:
    with st.form("risk_form"):
        a, b, c = st.columns(3)
        data: dict[str, Any] = {
            "max_open_positions": int(
                a.number_input(
                    "Max open positions",
                    0,
                    1000,
                    current.max_open_positions or 0,
                    help=OFF_HELP,
                    key="cfg_max_positions",
                )
            )
            or None,
            "max_leverage": int(
                b.number_input(
                    "Max leverage (x)",
                    0,
                    200,
                    current.max_leverage or 0,
                    help=OFF_HELP,
                    key="cfg_max_leverage",
                )
            )
            or None,
        }
        cols = (a, b, c)
        for i, (field, label, key) in enumerate(AMOUNT_LIMITS, start=2):
            value = _f(getattr(current, field))
            widget = cols[i % 3].number_input(label, 0.0, value=value, help=OFF_HELP, key=key)
            data[field] = _off(widget)
        data["kill_switch_action"] = b.selectbox(
            "When the kill switch trips",
            [k.value for k in KillSwitchAction],
            index=list(KillSwitchAction).index(current.kill_switch_action),
            format_func=lambda v: ACTION_LABELS[KillSwitchAction(v)],
            help=" ".join(f"{ACTION_LABELS[a]}: {ACTION_WORDS[a]}" for a in KillSwitchAction),
            key="cfg_ks_action",
        )
        b.caption(" ".join(f"**{ACTION_LABELS[a]}**: {ACTION_WORDS[a]}" for a in KillSwitchAction))
        data["risk_per_trade"] = _risk_per_trade(c, current)
        data["correlation"] = _correlation(current)
        password = password_field("cfg_risk_password")
        submitted = st.form_submit_button("Save risk limits", type="primary")
    if submitted:
        _save(data, parse_risk_config, commands.save_risk_config, password)


def _f(value: Any) -> float:
    return float(value) if value is not None else 0.0


def _risk_per_trade(col: Any, current: RiskConfig) -> dict[str, Any] | None:
    rpt = current.risk_per_trade
    pct = col.number_input(
        "Risk per trade (% of equity)",
        0.0,
        100.0,
        _f(rpt.pct if rpt else None),
        help=OFF_HELP,
        key="cfg_rpt_pct",
    )
    modes = [m.value for m in RiskPerTradeMode]
    mode = col.selectbox(
        "Measured as", modes, index=modes.index(rpt.mode) if rpt else 0, key="cfg_rpt_mode"
    )
    return {"pct": pct, "mode": mode} if pct > 0 else None


def _correlation(current: RiskConfig) -> dict[str, Any] | None:
    corr = current.correlation
    a, b, c = st.columns(3)
    on = a.checkbox("Correlation limit on", value=corr is not None, key="cfg_corr_on")
    max_abs = b.number_input(
        "Max |correlation| with open positions",
        0.0,
        1.0,
        _f(corr.max_abs if corr else 0.8),
        key="cfg_corr_max",
    )
    bars = c.number_input(
        "Over the last … 1h candles",
        3,
        5000,
        corr.lookback_bars if corr else 100,
        key="cfg_corr_bars",
    )
    return {"max_abs": max_abs, "lookback_bars": int(bars)} if on else None


def password_field(key: str) -> str:
    """The admin's password again, for a change that needs it (checked on the server)."""
    return st.text_input("Your password, to confirm", type="password", max_chars=72, key=key)


def _save(
    data: dict[str, Any],
    parse: Callable[[dict[str, Any]], object],
    send: Callable[[dict[str, Any], str], Reply],
    password: str,
) -> None:
    """Validate with the engine's own models first; a valid config goes to the engine."""
    try:
        parse(data)
    except ConfigError as exc:
        for problem in exc.problems:
            st.error(f"{plain(problem.field)}: {plain(problem.reason)}", icon=":material/rule:")
        return
    clean = {k: (str(v) if isinstance(v, float) else v) for k, v in data.items()}
    show_reply(send(clean, password), success_toast=True)
    st.rerun()
