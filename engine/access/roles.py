"""Roles, what each allows, and the one question the engine asks about an actor.

A user has one role; each role includes the ones below it: `viewer` reads, `trader` also places
and cancels orders, closes positions, picks pairs and pulls the kill switch, `admin` also
changes risk limits, keys, the environment and users, and resets the kill switch.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Protocol


class Role(StrEnum):
    VIEWER = "viewer"
    TRADER = "trader"
    ADMIN = "admin"

    @property
    def rank(self) -> int:
        return _RANKS[self]

    def includes(self, needed: Role) -> bool:
        """True when this role may do what `needed` may."""
        return self.rank >= needed.rank

    def names(self) -> frozenset[str]:
        """This role and every role it includes, as names (the kill switch's rules take these)."""
        return frozenset(role.value for role in Role if self.includes(role))


_RANKS = {Role.VIEWER: 0, Role.TRADER: 1, Role.ADMIN: 2}


class RoleSource(Protocol):
    """Where the engine (and the app's command path) learn an actor's role."""

    def role_of(self, actor: str) -> Role | None:
        """The actor's role now; None for an unknown or disabled actor."""
        ...


def refusal(actor: str, needed: Role | None, role: Role | None) -> str | None:
    """Why `actor` (holding `role`) may not do what takes `needed`; None when it may.

    `needed` None means no user is required (a record of a failed login, whose name may be
    unknown); every other action needs a known, enabled user with a role that includes `needed`.
    """
    if needed is None:
        return None
    if role is None:
        return f"{actor!r} is not a user of this desk (or is disabled): nothing was done."
    if not role.includes(needed):
        return f"{actor} is a {role}; this takes the {needed} role. Nothing was done."
    return None
