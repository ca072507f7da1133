"""Switching the exchange environment (sim, testnet, live) of this server process.

The engine is one per process, so the switch is too. It takes an admin (the role, from the user
store), the admin's password again (checked here), and the engine's yes: for live that is the
gate (engine/access/live_gate.py: a live key whose connection test passed, and the typed
confirmation). Then it stops the running engine (and the simulator) once and starts one for the
new mode, and every open session is told (app.runtime.post_notice). If the new mode does not
start, the previous one starts again. Two switches never overlap: the second waits and finds the
desk already switched.
"""

from __future__ import annotations

import os
import threading
import time

from app import acting
from app.runtime import get_engine, get_runtime, get_users, post_notice
from engine.access.live_gate import LIVE_CONFIRMATION
from engine.commands import SwitchEnvironment
from engine.models import Environment
from engine.settings import ENV_PREFIX

MODE_VARIABLE = f"{ENV_PREFIX}MODE"
__all__ = ["LIVE_CONFIRMATION", "current_mode", "switch"]
_switching = threading.Lock()


def current_mode() -> Environment:
    return Environment(get_engine().settings.mode)


def switch(
    principal: acting.Principal,
    mode: Environment,
    password: str,
    confirmation: str = "",
    address: str | None = None,
) -> str | None:
    """Restart the engine in `mode`; return why it did not, or None when it runs in `mode`."""
    with _switching:
        previous = current_mode()
        if mode is previous:
            return None
        command = SwitchEnvironment(actor=principal.username, target=mode,
                                    confirmation=confirmation)  # fmt: skip
        reply = acting.act(get_engine(), get_users(), principal, command, password=password,
                           address=address)  # fmt: skip
        if not reply.ok:
            return reply.message
        return _restart(principal.username, previous, mode)


def _restart(actor: str, previous: Environment, mode: Environment) -> str | None:
    os.environ[MODE_VARIABLE] = mode.value
    get_runtime.clear()  # on_release stops the running engine and simulator
    try:
        get_runtime()
    except Exception as exc:  # report it and bring the previous mode back
        os.environ[MODE_VARIABLE] = previous.value
        get_runtime.clear()
        get_runtime()
        post_notice(f"{actor} tried to switch the desk to {mode}, which did not start; it runs "
                    f"in {previous} again (the engine restarted).")  # fmt: skip
        return f"{mode} did not start ({exc}); back in {previous}."
    at = time.strftime("%H:%M:%S UTC", time.gmtime())
    post_notice(f"{actor} switched the desk from {previous} to {mode.value.upper()} at {at}; "
                "the engine restarted.")  # fmt: skip
    return None
