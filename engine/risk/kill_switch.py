"""Limits that stop trading, and the kill switch they trip.

`evaluate_limits` says whether today's loss or the drawdown from the equity peak has reached its
limit (reaching it exactly trips). The kill switch is an immutable state; `trip_automatically`,
`trip_by_hand` and `reset` return the next state with the event record for the `events` table.
Any trader may pull the switch; only an admin may reset it. While it is on, the pre-trade checks
pass only reduce-only and closing orders, and the engine runs the configured action once per trip.

Today's loss always counts from 00:00 UTC, whatever the switch did: a reset never forgives
the day's loss. So a reset is refused while today's loss is still beyond its limit (the switch
would trip again at once); the drawdown re-arms from the reset (`peak_since_ms`).

Persist the state as a config version of kind "kill_switch" (`save_config_version`), so a trip
survives a restart and its history is the audit trail.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from engine.risk.config import KillSwitchAction, RiskConfig

AUTOMATIC_ACTOR = "risk-engine"
TRIP_ROLES = frozenset({"trader", "admin"})
RESET_ROLES = frozenset({"admin"})

LimitRule = Literal["max_daily_loss", "max_drawdown"]


class LimitTrip(BaseModel):
    model_config = ConfigDict(frozen=True)

    rule: LimitRule
    reason: str
    used: Decimal  # USDT lost (today, or from the peak)
    limit: Decimal  # USDT


def daily_loss_trip(
    config: RiskConfig, equity_now: Decimal, start_of_day_equity: Decimal | None
) -> LimitTrip | None:
    """The daily-loss limit reached (or passed) now, else None."""
    if start_of_day_equity is None:
        return None
    return _daily_loss_trip(config, equity_now, start_of_day_equity)


def evaluate_limits(
    config: RiskConfig,
    equity_now: Decimal,
    start_of_day_equity: Decimal | None,
    peak_equity: Decimal | None,
) -> LimitTrip | None:
    """Return the limit reached (daily loss first, then drawdown), or None."""
    if start_of_day_equity is not None:
        trip = _daily_loss_trip(config, equity_now, start_of_day_equity)
        if trip is not None:
            return trip
    if peak_equity is not None:
        return _drawdown_trip(config, equity_now, peak_equity)
    return None


def daily_loss_limit(config: RiskConfig, start_of_day_equity: Decimal) -> Decimal | None:
    """Return the stricter of the USDT and percent daily-loss limits, in USDT (None when off)."""
    limits = []
    if config.max_daily_loss_usdt is not None:
        limits.append(config.max_daily_loss_usdt)
    if config.max_daily_loss_pct is not None and start_of_day_equity > 0:
        limits.append(start_of_day_equity * config.max_daily_loss_pct / 100)
    return min(limits) if limits else None


def drawdown_limit(config: RiskConfig, peak_equity: Decimal) -> Decimal | None:
    """Return the drawdown limit in USDT below `peak_equity` (None when off)."""
    if config.max_drawdown_pct is None or peak_equity <= 0:
        return None
    return peak_equity * config.max_drawdown_pct / 100


def _daily_loss_trip(config: RiskConfig, equity: Decimal, start: Decimal) -> LimitTrip | None:
    limit = daily_loss_limit(config, start)
    loss = start - equity
    if limit is None or loss < limit:
        return None
    return LimitTrip(
        rule="max_daily_loss",
        reason=f"Daily loss {loss:,.2f} USDT reached the limit of {limit:,.2f} USDT "
        f"(equity {equity:,.2f} against {start:,.2f} at the start of the UTC day).",
        used=loss,
        limit=limit,
    )


def _drawdown_trip(config: RiskConfig, equity: Decimal, peak: Decimal) -> LimitTrip | None:
    limit = drawdown_limit(config, peak)
    drawdown = peak - equity
    if limit is None or drawdown < limit:
        return None
    return LimitTrip(
        rule="max_drawdown",
        reason=f"Drawdown {drawdown:,.2f} USDT from the peak of {peak:,.2f} reached the limit of "
        f"{config.max_drawdown_pct}% ({limit:,.2f} USDT).",
        used=drawdown,
        limit=limit,
    )


class KillSwitch(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    on: bool = False
    rule: str | None = None  # max_daily_loss | max_drawdown | manual
    reason: str = ""
    tripped_at: int | None = None
    tripped_by: str | None = None  # AUTOMATIC_ACTOR, or the trader who pulled it
    action: KillSwitchAction | None = None
    reset_at: int | None = None
    reset_by: str | None = None
    equity_at_reset: Decimal | None = None
    # What the exchange still held after the action (orders, positions), in words; empty when
    # the action is done or none was asked for.
    outstanding: tuple[str, ...] = ()
    checked_at: int | None = None  # when the exchange was last asked after the action


@dataclass(frozen=True)
class RiskEvent:
    """A row for the `events` table (engine: `record_event(level, kind, message, data)`)."""

    time_ms: int
    level: str
    kind: str
    message: str
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Transition:
    state: KillSwitch
    event: RiskEvent | None  # None when nothing changed (already on, already off)


class KillSwitchRefused(PermissionError):
    """The actor's roles do not allow this transition."""


def trip_automatically(
    state: KillSwitch, trip: LimitTrip, action: KillSwitchAction, now_ms: int
) -> Transition:
    """Turn the switch on because a limit was reached."""
    if state.on:
        return Transition(state, None)
    tripped = _tripped(state, trip.rule, trip.reason, AUTOMATIC_ACTOR, action, now_ms)
    data = {**_trip_data(tripped), "used": str(trip.used), "limit": str(trip.limit)}
    return Transition(tripped, RiskEvent(now_ms, "error", "kill_switch.tripped", trip.reason, data))


def trip_by_hand(
    state: KillSwitch,
    actor: str,
    roles: frozenset[str] | set[str],
    reason: str,
    action: KillSwitchAction,
    now_ms: int,
) -> Transition:
    """Turn the switch on by hand; any trader (or admin) may."""
    if not TRIP_ROLES & set(roles):
        raise KillSwitchRefused(f"{actor} may not pull the kill switch: it takes a trader role.")
    if state.on:
        return Transition(state, None)
    text = reason.strip() or "pulled by hand"
    tripped = _tripped(state, "manual", text, actor, action, now_ms)
    message = f"Kill switch pulled by {actor}: {text}"
    return Transition(
        tripped, RiskEvent(now_ms, "warning", "kill_switch.tripped", message, _trip_data(tripped))
    )


def reset(
    state: KillSwitch,
    actor: str,
    roles: frozenset[str] | set[str],
    now_ms: int,
    equity_now: Decimal,
    daily_loss_trip: LimitTrip | None = None,
) -> Transition:
    """Turn the switch off; only an admin may, and not while today's loss is over its limit.

    `daily_loss_trip` is `evaluate_limits`'s answer for the daily loss now (None when within).
    """
    if not RESET_ROLES & set(roles):
        raise KillSwitchRefused(f"{actor} may not reset the kill switch: it takes the admin role.")
    if not state.on:
        return Transition(state, None)
    if daily_loss_trip is not None:
        raise KillSwitchRefused(
            f"Today's loss of {daily_loss_trip.used:,.2f} USDT is beyond the daily limit of "
            f"{daily_loss_trip.limit:,.2f} USDT, so the kill switch would trip again at once. "
            "Raise the limit, or reset after 00:00 UTC."
        )
    cleared = KillSwitch(reset_at=now_ms, reset_by=actor, equity_at_reset=equity_now)
    message = f"Kill switch reset by {actor} (it was on since {state.tripped_at}: {state.reason})"
    data = {"actor": actor, "was_rule": state.rule, "equity_at_reset": str(equity_now)}
    return Transition(cleared, RiskEvent(now_ms, "info", "kill_switch.reset", message, data))


def peak_since_ms(state: KillSwitch) -> int:
    """Return the time the equity peak is measured from (the last reset, else the beginning)."""
    return state.reset_at or 0


def _tripped(
    state: KillSwitch,
    rule: str,
    reason: str,
    actor: str,
    action: KillSwitchAction,
    now_ms: int,
) -> KillSwitch:
    update = {"on": True, "rule": rule, "reason": reason, "tripped_at": now_ms,
              "outstanding": (), "checked_at": None}  # fmt: skip
    return state.model_copy(update={**update, "tripped_by": actor, "action": action})


def _trip_data(state: KillSwitch) -> dict[str, Any]:
    return {
        "rule": state.rule,
        "reason": state.reason,
        "actor": state.tripped_by,
        "action": str(state.action),
    }
