"""The kill switch in the running engine: trips at a limit or by hand, acts, and proves it.

On every stored valuation the daily loss (from 00:00 UTC) and the drawdown (from the peak since
the last reset) are checked against their limits. A trip refuses new orders at once (the
pre-trade checks read the shared state), then carries out the configured action at the
exchange (engine/orders/sweep.py) and asks the exchange what is still there: open orders and
conditional orders on both markets, and for `flatten` positions and spot holdings. What is left
is retried, every 5 s for a minute and then every minute while the switch is on, and what stays
is stored with the switch (`outstanding`), so every page names it until nothing is left. Orders
the desk lets through after the trip (only reducing ones pass) are left to work.
"""

from __future__ import annotations

import asyncio
from typing import Any

from engine.access.roles import RoleSource
from engine.account.state import AccountReader
from engine.clock import now_ms
from engine.commands import Reply, ResetKillSwitch, TripKillSwitch
from engine.context import EngineContext
from engine.events import EventKind, Level
from engine.orders.component import Orders
from engine.orders.sweep import Sweep
from engine.portfolio.component import Portfolio
from engine.portfolio.valuation import Valuation
from engine.risk.component import Risk
from engine.risk.config import KillSwitchAction
from engine.risk.kill_switch import (
    AUTOMATIC_ACTOR,
    KillSwitch,
    KillSwitchRefused,
    Transition,
    daily_loss_trip,
    evaluate_limits,
    reset,
    trip_automatically,
    trip_by_hand,
)
from engine.risk.switch_state import KillSwitchState
from engine.store import trading
from engine.store.config_versions import load_latest_config, save_config_version

FOLLOW_UP_S = 5.0  # while something is left open: ask the exchange again this often
FOLLOW_UP_ROUNDS = 12
SLOW_FOLLOW_UP_S = 60.0  # after that, while something is still left


def _reply(command: Any, ok: bool, message: str, code: str | None = None, **data: Any) -> Reply:
    return Reply(command_id=command.command_id, ok=ok, message=message, code=code, data=data)


class KillSwitchGuard:
    """Owns the kill switch: its limits, its commands, its action at the exchange."""

    name = "kill-switch"

    def __init__(
        self,
        switch: KillSwitchState,
        risk: Risk,
        orders: Orders,
        portfolio: Portfolio,
        account: AccountReader,
        roles: RoleSource,
    ) -> None:
        self.switch = switch
        self.roles = roles
        self.risk = risk
        self.orders = orders
        self.portfolio = portfolio
        self.account = account
        self.sweep = Sweep(orders)
        self._ctx: EngineContext | None = None
        self._acting: asyncio.Task[None] | None = None

    async def start(self, ctx: EngineContext) -> None:
        self._ctx = ctx
        with ctx.store.reader() as cur:
            saved = load_latest_config(cur, "kill_switch")
        if saved is not None:
            self.switch.current = saved.parse(KillSwitch)
        await self.risk.rearm_peak()
        ctx.register_handler(TripKillSwitch, self._on_trip)
        ctx.register_handler(ResetKillSwitch, self._on_reset)
        self.portfolio.subscribe(self.on_valuation)
        current = self.switch.current
        if current.on and (current.outstanding or current.checked_at is None):
            self._act(current.action, current.tripped_by or "")  # unfinished before a restart

    async def stop(self) -> None:
        self._ctx = None

    @property
    def _context(self) -> EngineContext:
        if self._ctx is None:
            raise RuntimeError("The kill switch is not running.")
        return self._ctx

    def status(self) -> dict[str, Any]:
        return {"kill_switch": self.switch.current.model_dump(mode="json")}

    # --- limits ---------------------------------------------------------------------------------

    async def on_valuation(self, valuation: Valuation) -> None:
        if self.switch.on or not valuation.priced:
            return
        peak = self.risk.snapshot(valuation).peak_equity
        trip = evaluate_limits(self.risk.config, valuation.equity, valuation.day_start_equity, peak)
        if trip is not None:
            action = self.risk.config.kill_switch_action
            await self._transition(trip_automatically(self.switch.current, trip, action, now_ms()))

    # --- commands -------------------------------------------------------------------------------

    def _roles_of(self, actor: str) -> frozenset[str]:
        """The actor's roles as the user store has them now (never as a command says)."""
        role = self.roles.role_of(actor)
        return role.names() if role is not None else frozenset()

    async def _on_trip(self, command: TripKillSwitch) -> Reply:
        try:
            transition = trip_by_hand(
                self.switch.current, command.actor, self._roles_of(command.actor), command.reason,
                self.risk.config.kill_switch_action, now_ms(),
            )  # fmt: skip
        except KillSwitchRefused as exc:
            return _reply(command, False, str(exc), "desk.forbidden")
        if not await self._transition(transition):
            return _reply(command, True, "The kill switch was already on.")
        action = self.switch.current.action
        return _reply(command, True, f"Kill switch on: {_action_words(action)}")

    async def _on_reset(self, command: ResetKillSwitch) -> Reply:
        valuation = self.portfolio.value()
        over = daily_loss_trip(self.risk.config, valuation.equity, valuation.day_start_equity)
        try:
            transition = reset(
                self.switch.current, command.actor, self._roles_of(command.actor), now_ms(),
                valuation.equity, over,
            )  # fmt: skip
        except KillSwitchRefused as exc:
            return _reply(command, False, str(exc), "desk.forbidden")
        changed = await self._transition(transition)
        if changed:
            await self.risk.rearm_peak()
        return _reply(command, True, "Kill switch reset." if changed else "It was not on.")

    # --- transitions and the action -------------------------------------------------------------

    async def _transition(self, transition: Transition) -> bool:
        if transition.event is None:
            return False
        state = transition.state
        actor = (state.tripped_by if state.on else state.reset_by) or AUTOMATIC_ACTOR
        await self._save(state, actor)
        event = transition.event
        self._context.record(Level(event.level), EventKind(event.kind), event.message, event.data)
        if state.on:
            self._act(state.action, actor)
        return True

    async def _save(self, state: KillSwitch, actor: str) -> None:
        self.switch.current = state
        await self._context.store.write(
            lambda con: save_config_version(con, "kill_switch", state, actor, now_ms())
        )

    def _act(self, action: KillSwitchAction | None, actor: str) -> None:
        if action in (None, KillSwitchAction.BLOCK_ONLY):
            return
        if self._acting is None or self._acting.done():
            self._acting = self._context.spawn(self._carry_out(action, actor), "kill-switch-action")

    async def _carry_out(self, action: KillSwitchAction, actor: str) -> None:
        """Do the action, then ask again until the exchange holds nothing it should not: every
        `FOLLOW_UP_S` for `FOLLOW_UP_ROUNDS` rounds, then every `SLOW_FOLLOW_UP_S` while the
        switch is on and something is left."""
        rounds = 0
        while True:
            outstanding = await self.sweep.run(action, actor, self._allowed())
            await self._report(outstanding)
            if not outstanding or not self.switch.on:
                return
            rounds += 1
            await asyncio.sleep(FOLLOW_UP_S if rounds < FOLLOW_UP_ROUNDS else SLOW_FOLLOW_UP_S)
            if not self.switch.on:
                return

    def _allowed(self) -> set[str]:
        """Orders the desk let through since the trip (only reducing ones pass): left to work."""
        since = self.switch.current.tripped_at
        if since is None:
            return set(self.orders.in_flight)
        with self._context.store.reader() as cur:
            placed = trading.created_since(cur, since)
        return placed | self.orders.in_flight

    async def _report(self, outstanding: list[str]) -> None:
        state = self.switch.current
        if not state.on:
            return  # reset meanwhile: what this round saw belongs to no switch any more
        before = state.outstanding
        if tuple(outstanding) != before or state.checked_at is None:
            update = {"outstanding": tuple(outstanding), "checked_at": now_ms()}
            await self._save(state.model_copy(update=update), state.tripped_by or AUTOMATIC_ACTOR)
        if outstanding and tuple(outstanding) != before:
            self._context.record(
                Level.ERROR, EventKind.KILL_SWITCH_LEFTOVER,
                "Kill switch: still open at the exchange: " + "; ".join(outstanding),
                {"outstanding": outstanding},
            )  # fmt: skip
        elif not outstanding:
            flat = state.action is KillSwitchAction.FLATTEN
            self._context.record(
                Level.INFO, EventKind.KILL_SWITCH_ACTION,
                "Kill switch: the exchange shows no open orders"
                + (", no positions and no spot holdings left to sell." if flat else "."),
            )  # fmt: skip


def _action_words(action: KillSwitchAction | None) -> str:
    if action is KillSwitchAction.FLATTEN:
        return "new orders are refused; open orders are being cancelled and every position closed."
    if action is KillSwitchAction.CANCEL_ORDERS:
        return "new orders are refused; open orders are being cancelled."
    return "new orders are refused; open orders and positions are left as they are."
