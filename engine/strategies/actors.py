"""Who a strategy's commands act as: the role the engine grants `strategy:<name>` actors.

People's roles come from the user store; a user name never holds ':' (engine.access.passwords),
so no person can pass for a strategy. A strategy trades (its orders meet every pre-trade rule,
the kill switch and the risk limits, as a trader's do) and may do nothing a trader may not. In a
replay's own engine the replay driver switches the strategy on and picks the pair, as an admin
there: that engine has no users and no keys.
"""

from __future__ import annotations

from engine.access.roles import Role, RoleSource

STRATEGY_PREFIX = "strategy:"


def strategy_actor(strategy: str) -> str:
    """The actor a strategy's orders carry (orders table, events, signals)."""
    return f"{STRATEGY_PREFIX}{strategy}"


def is_strategy_actor(actor: str) -> bool:
    return actor.startswith(STRATEGY_PREFIX)


class WithStrategies:
    """`people`'s roles, and the trader role for every strategy actor."""

    def __init__(self, people: RoleSource) -> None:
        self.people = people

    def role_of(self, actor: str) -> Role | None:
        if is_strategy_actor(actor):
            return Role.TRADER
        return self.people.role_of(actor)


class ReplayActors:
    """The roles in a replay's engine: the driver (`driver`) an admin, the strategy a trader."""

    def __init__(self, driver: str) -> None:
        self.driver = driver

    def role_of(self, actor: str) -> Role | None:
        if is_strategy_actor(actor):
            return Role.TRADER
        return Role.ADMIN if actor == self.driver else None
