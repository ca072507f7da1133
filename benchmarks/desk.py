"""An engine on a simulator for a benchmark, with the users its commands act as."""

from __future__ import annotations

import secrets

from engine.access.roles import Role
from engine.assembly import build_engine, desk_access
from engine.engine import Engine
from engine.settings import Settings
from engine.sim_process import SimulatorProcess


def desk_engine(settings: Settings, sim: SimulatorProcess, users: dict[str, Role]) -> Engine:
    """Not started; `users` are the desk's users and their roles (passwords nobody knows)."""
    store, access = desk_access(settings.data_dir, None, {})
    for name, role in users.items():
        store.add(name, name, role, secrets.token_urlsafe(24))
    return build_engine(settings, sim.endpoints, sim.credentials, access)
