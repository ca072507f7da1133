"""The only way the UI acts: build a command, submit it to the engine, wait for the reply."""

from __future__ import annotations

import streamlit as st

from app.runtime import get_engine
from engine.commands import Command, CommandError, GetStatus, Reply

LOCAL_ACTOR = "local"


def current_actor() -> str:
    """Who is acting in this browser session (the login issue fills this in)."""
    return str(st.session_state.get("username") or LOCAL_ACTOR)


def send(command: Command, timeout: float | None = None) -> Reply:
    """Submit `command` and wait for the engine's reply; delivery failures become a refusal."""
    engine = get_engine()
    wait = timeout if timeout is not None else engine.settings.command_timeout_s
    try:
        return engine.submit(command).result(timeout=wait)
    except CommandError as exc:
        return Reply(command_id=command.command_id, ok=False, code="delivery", message=str(exc))


def engine_status(timeout: float = 3.0) -> Reply:
    """Ask the engine for its health snapshot."""
    return send(GetStatus(actor=current_actor()), timeout=timeout)
