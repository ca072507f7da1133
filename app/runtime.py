"""Composition root: settings -> (simulator) -> engine, as one process-wide singleton.

Streamlit reruns page scripts in many threads; the engine must exist once per server process.
`st.cache_resource` builds it once (with a per-key lock, so simultaneous first visits build it
once) and stops it on release. A module-level registry stops an older engine when a code change
makes Streamlit build a new one, and `Engine.start` registers an `atexit` stop for shutdown.
"""

from __future__ import annotations

import threading

import streamlit as st

from engine.engine import Engine
from engine.settings import Settings, load_settings

_registry_lock = threading.Lock()
_current: Engine | None = None


def build_engine(settings: Settings) -> Engine:
    """Start an engine for `settings`, stopping any engine this process started before."""
    global _current
    with _registry_lock:
        if _current is not None:
            _current.stop()
        engine = Engine(settings)
        engine.start()
        _current = engine
        return engine


def release_engine(engine: Engine) -> None:
    """Stop `engine` (called by Streamlit when the cached resource is released)."""
    global _current
    with _registry_lock:
        engine.stop()
        if _current is engine:
            _current = None


@st.cache_resource(show_spinner="Starting the engine…", on_release=release_engine)
def get_engine() -> Engine:
    """The process-wide engine, started on first use."""
    return build_engine(load_settings())
