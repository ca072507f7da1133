"""The only way the UI acts: build a command, submit it to the engine, wait for the reply."""

from __future__ import annotations

from typing import Any

import streamlit as st

from app.runtime import get_engine
from engine.commands import (
    CancelAllOrders,
    CancelOrder,
    CancelReplay,
    ClosePosition,
    Command,
    CommandError,
    GetStatus,
    PlaceOrder,
    Reconcile,
    Reply,
    RescanStrategies,
    ResetKillSwitch,
    SaveRiskConfig,
    SaveTradingConfig,
    SelectPairs,
    SetMarginType,
    SetStrategy,
    StartReplay,
    TestConnection,
    TripKillSwitch,
)
from engine.models import MarginType, MarketType

LOCAL_ACTOR = "local"


def current_actor() -> str:
    """Who is acting in this browser session (the login issue fills this in)."""
    return str(st.session_state.get("username") or LOCAL_ACTOR)


def send(command: Command, timeout: float | None = None) -> Reply:
    """Submit `command` and wait for the engine's reply; delivery failures become a refusal."""
    engine = get_engine()
    wait = timeout if timeout is not None else engine.settings.command_timeout_s
    try:
        return engine.submit(command).result(timeout=wait)
    except CommandError as exc:
        return Reply(command_id=command.command_id, ok=False, code="delivery", message=str(exc))


def engine_status(timeout: float = 3.0) -> Reply:
    """Ask the engine for its health snapshot."""
    return send(GetStatus(actor=current_actor()), timeout=timeout)


# --- Thin wrappers the pages use: each builds one command with the acting user and sends it. ----

# Until the login issue lands there is one local user, who is the desk's owner and so its admin.
LOCAL_ROLES = ("admin", "trader")


def current_roles() -> tuple[str, ...]:
    """The acting user's roles (the login issue fills `roles` in; the local user has all)."""
    roles = st.session_state.get("roles")
    return tuple(roles) if roles else LOCAL_ROLES


def select_pairs(market: MarketType, symbols: tuple[str, ...]) -> Reply:
    return send(SelectPairs(actor=current_actor(), market=market, symbols=symbols))


def place_order(order: PlaceOrder) -> Reply:
    """Send `order` as the acting user (a futures order carries its leverage: one command)."""
    return send(order.model_copy(update={"actor": current_actor()}))


def cancel_order(market: MarketType, symbol: str, client_order_id: str) -> Reply:
    return send(
        CancelOrder(
            actor=current_actor(), market=market, symbol=symbol, client_order_id=client_order_id
        )
    )


def cancel_all(market: MarketType, symbol: str) -> Reply:
    return send(CancelAllOrders(actor=current_actor(), market=market, symbol=symbol))


def close_position(symbol: str, cancel_reduce_only: bool = False) -> Reply:
    return send(
        ClosePosition(actor=current_actor(), symbol=symbol, cancel_reduce_only=cancel_reduce_only)
    )


def set_margin_type(symbol: str, margin_type: MarginType) -> Reply:
    return send(SetMarginType(actor=current_actor(), symbol=symbol, margin_type=margin_type))


def save_trading_config(config: dict[str, Any]) -> Reply:
    return send(SaveTradingConfig(actor=current_actor(), config=config))


def save_risk_config(config: dict[str, Any]) -> Reply:
    return send(SaveRiskConfig(actor=current_actor(), config=config))


def trip_kill_switch(reason: str) -> Reply:
    return send(TripKillSwitch(actor=current_actor(), reason=reason, roles=current_roles()))


def reset_kill_switch() -> Reply:
    return send(ResetKillSwitch(actor=current_actor(), roles=current_roles()))


def test_connection() -> Reply:
    return send(TestConnection(actor=current_actor()), timeout=30)


def reconcile() -> Reply:
    return send(Reconcile(actor=current_actor()), timeout=30)


# --- strategies (admin) -------------------------------------------------------------------------


def set_strategy(**fields: Any) -> Reply:
    """Switch a strategy on or off for a pair (fields of `SetStrategy`)."""
    return _built(SetStrategy, fields)


def rescan_strategies() -> Reply:
    return send(RescanStrategies(actor=current_actor()), timeout=60)


def start_replay(**fields: Any) -> Reply:
    return _built(StartReplay, fields)


def cancel_replay(run_id: str) -> Reply:
    return _built(CancelReplay, {"run_id": run_id})


def _built(kind: type[Command], fields: dict[str, Any]) -> Reply:
    """Build a role-checked command from a form's fields; a bad field is a refusal."""
    try:
        command = kind(actor=current_actor(), roles=current_roles(), **fields)
    except ValueError as exc:
        return Reply(command_id=0, ok=False, code="invalid", message=str(exc))
    return send(command, timeout=60)
