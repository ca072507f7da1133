"""The kill switch's current state in the running engine, shared by the checks and the guard.

The pre-trade checks read it; only the guard (engine/risk/guard.py) changes it, and every change
is stored as a `kill_switch` configuration version, so a trip survives a restart.
"""

from __future__ import annotations

from engine.risk.kill_switch import KillSwitch


class KillSwitchState:
    def __init__(self) -> None:
        self.current = KillSwitch()

    @property
    def on(self) -> bool:
        return self.current.on
