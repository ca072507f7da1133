"""Composition root: settings -> (simulator) -> engine, as one process-wide singleton.

Streamlit reruns page scripts in many threads; the engine must exist once per server process.
`st.cache_resource` builds it once (with a per-key lock, so simultaneous first visits build it
once) and stops it on release. A module-level registry stops an older runtime when a code change
makes Streamlit build a new one, and `Engine.start` registers an `atexit` stop for shutdown.

In sim mode the built-in simulator runs in its own thread on a free loopback port, with its
paper account in DATA_DIR/sim; the engine reaches it exactly as it reaches Binance.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import streamlit as st

from engine.assembly import build_engine
from engine.binance.urls import Endpoints, endpoints_for, sim_endpoints
from engine.credentials import Credentials, CredentialsSource, EnvironmentCredentials
from engine.engine import Engine
from engine.models import Environment
from engine.settings import Settings, SettingsError, load_settings
from simulator.server import SimConfig, SimulatorThread

_registry_lock = threading.Lock()
_current: Runtime | None = None


@dataclass
class Runtime:
    engine: Engine
    simulator: SimulatorThread | None = None

    def stop(self) -> None:
        self.engine.stop()
        if self.simulator is not None:
            self.simulator.stop()


def connection_for(
    settings: Settings, credentials: CredentialsSource
) -> tuple[Endpoints, Credentials | None, SimulatorThread | None]:
    """Where the engine connects, with which keys, and the simulator it needs started (if any)."""
    if settings.mode is not Environment.SIM:
        return endpoints_for(settings.mode), credentials.credentials_for(settings.mode), None
    if settings.sim_rest_url:
        return (
            sim_endpoints(settings.sim_rest_url, settings.sim_ws_url),
            credentials.credentials_for(Environment.SIM),
            None,
        )
    simulator = SimulatorThread(
        SimConfig(
            data_dir=settings.data_dir / "sim", feed=settings.sim_feed, seed=settings.sim_seed
        )
    ).start()
    base = simulator.urls.base_url
    keys = Credentials(simulator.api_key.key, simulator.api_key.secret)
    return sim_endpoints(base), keys, simulator


def start_runtime(settings: Settings, credentials: CredentialsSource | None = None) -> Runtime:
    """Start (simulator and) engine for `settings`, stopping any runtime started before."""
    global _current
    with _registry_lock:
        if _current is not None:
            _current.stop()
            _current = None
        endpoints, keys, simulator = connection_for(
            settings, credentials or EnvironmentCredentials()
        )
        engine = build_engine(settings, endpoints, keys)
        try:
            engine.start()
        except BaseException:
            if simulator is not None:
                simulator.stop()
            raise
        _current = Runtime(engine, simulator)
        return _current


def release_runtime(runtime: Runtime) -> None:
    """Stop `runtime` (called by Streamlit when the cached resource is released)."""
    global _current
    with _registry_lock:
        runtime.stop()
        if _current is runtime:
            _current = None


@st.cache_resource(show_spinner="Starting the engine…", on_release=release_runtime)
def get_runtime() -> Runtime:
    """The process-wide runtime, started on first use."""
    return start_runtime(load_settings())


def get_engine() -> Engine:
    """The process-wide engine."""
    return get_runtime().engine


def settings_problem() -> str | None:
    """Why the settings cannot start the desk (the variable and what is allowed), else None.

    Checked before anything starts, so a bad value gives a page with the message, not a
    traceback, and nothing half-started."""
    try:
        load_settings()
    except SettingsError as exc:
        return str(exc)
    return None
