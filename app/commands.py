"""The only way the UI acts: build a command, check it as the session's user, submit, wait.

Every command goes through `send`: nobody logged in, or a role that does not include the
command's `required_role`, is refused here before anything is queued; a command that needs the
password again is sent only with the right one (app.acting), and the engine checks the role once
more. Pages never pass a user: the session's own is used, whatever a command's `actor` says.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from app import acting, auth
from app.client import client_address
from app.runtime import get_engine, get_users
from engine.commands import (
    CancelAllOrders,
    CancelOrder,
    CancelReplay,
    ClosePosition,
    Command,
    DeleteApiKey,
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
    StoreApiKey,
    TestKeys,
    TripKillSwitch,
)
from engine.models import Environment, MarginType, MarketType, PositionSide
from engine.orders.commands import PlaceOco, SetPositionMode

NOBODY = "(not logged in)"


def current_actor() -> str:
    """Who is acting in this browser session (commands are stamped again when sent)."""
    principal = auth.principal()
    return principal.username if principal is not None else NOBODY


def send(command: Command, timeout: float | None = None, password: str | None = None) -> Reply:
    """Send `command` as this session's user and wait for the reply (refusals included)."""
    principal = auth.principal()
    if principal is None:
        return Reply(command_id=command.command_id, ok=False, code="desk.login",
                     message="Log in first: nothing was sent.")  # fmt: skip
    reply = acting.act(get_engine(), get_users(), principal, command, password=password,
                       address=client_address().remote, timeout=timeout)  # fmt: skip
    if reply.code == acting.LOCKED:
        auth.end_session()
    return reply


def engine_status(timeout: float = 3.0) -> Reply:
    """Ask the engine for its health snapshot."""
    return send(GetStatus(actor=current_actor()), timeout=timeout)


# --- Thin wrappers the pages use: each builds one command and sends it. ------------------------


def select_pairs(market: MarketType, symbols: tuple[str, ...]) -> Reply:
    return send(SelectPairs(actor=current_actor(), market=market, symbols=symbols))


def place_order(order: PlaceOrder) -> Reply:
    """Send `order` (a futures order carries its leverage: one command)."""
    return send(order)


def place_oco(order: PlaceOco) -> Reply:
    """Send a spot OCO (take-profit and stop-loss as one list), as the ticket previewed it."""
    return send(order)


def set_position_mode(hedge: bool) -> Reply:
    """Switch the futures account to hedge mode (True) or one-way mode (False)."""
    return send(SetPositionMode(actor=current_actor(), hedge=hedge))


def cancel_order(market: MarketType, symbol: str, client_order_id: str) -> Reply:
    return send(
        CancelOrder(
            actor=current_actor(), market=market, symbol=symbol, client_order_id=client_order_id
        )
    )


def cancel_all(market: MarketType, symbol: str) -> Reply:
    return send(CancelAllOrders(actor=current_actor(), market=market, symbol=symbol))


def close_position(
    symbol: str, cancel_reduce_only: bool = False, position_side: PositionSide | None = None
) -> Reply:
    """Close a futures position at market; in hedge mode `position_side` names the side."""
    return send(
        ClosePosition(
            actor=current_actor(), symbol=symbol, cancel_reduce_only=cancel_reduce_only,
            position_side=position_side,
        )
    )  # fmt: skip


def set_margin_type(symbol: str, margin_type: MarginType) -> Reply:
    return send(SetMarginType(actor=current_actor(), symbol=symbol, margin_type=margin_type))


def save_trading_config(config: dict[str, Any], password: str) -> Reply:
    return send(SaveTradingConfig(actor=current_actor(), config=config), password=password)


def save_risk_config(config: dict[str, Any], password: str) -> Reply:
    return send(SaveRiskConfig(actor=current_actor(), config=config), password=password)


def trip_kill_switch(reason: str) -> Reply:
    return send(TripKillSwitch(actor=current_actor(), reason=reason))


def reset_kill_switch(password: str) -> Reply:
    return send(ResetKillSwitch(actor=current_actor()), password=password)


def test_keys(environment: Environment) -> Reply:
    return send(TestKeys(actor=current_actor(), environment=environment), timeout=30)


def store_api_key(environment: Environment, api_key: str, api_secret: str, password: str) -> Reply:
    """Seal a key in the vault (its text never leaves this call but to the engine)."""
    try:
        command = StoreApiKey(actor=current_actor(), environment=environment,
                              api_key=api_key.strip(), api_secret=api_secret.strip())  # fmt: skip
    except ValidationError:
        return Reply(command_id=0, ok=False, code="invalid",
                     message="A key and a secret are each 16 to 512 characters.")  # fmt: skip
    return send(command, password=password)


def delete_api_key(environment: Environment, password: str) -> Reply:
    return send(DeleteApiKey(actor=current_actor(), environment=environment), password=password)


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
    """Build a command from a form's fields; a bad field is a refusal."""
    try:
        command = kind(actor=current_actor(), **fields)
    except ValueError as exc:
        return Reply(command_id=0, ok=False, code="invalid", message=str(exc))
    return send(command, timeout=60)
