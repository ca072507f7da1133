"""Helpers for the desk's AppTest tests: look at the simulator and the database directly."""

from __future__ import annotations

import json
import re
import urllib.request
from typing import Any

from streamlit.testing.v1 import AppTest

from app.runtime import get_runtime
from engine.access.roles import Role
from tests.ui.conftest import ensure_user


def sim_get(path: str) -> dict[str, Any]:
    simulator = get_runtime().simulator
    assert simulator is not None, "these tests run in sim mode"
    headers = {"X-SIM-TOKEN": simulator.control_token}
    request = urllib.request.Request(f"{simulator.urls.base_url}{path}", headers=headers)
    with urllib.request.urlopen(request, timeout=5) as response:
        return json.loads(response.read())


def spot_orders_placed() -> int:
    """Orders the simulator's spot venue accepted or rejected so far (what reached it)."""
    stats = sim_get("/_sim/stats").get("spot_orders", {})
    return int(stats.get("orders_placed", 0)) + int(stats.get("orders_rejected", 0))


def db(sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
    store = get_runtime().engine.store
    assert store is not None
    with store.reader() as cur:
        return cur.execute(sql, params or []).fetchall()


def button(at: AppTest, label: str):
    """The one button whose label is `label` (fails clearly when there is none or several)."""
    found = [b for b in at.button if b.label == label]
    assert len(found) == 1, (
        f"{len(found)} buttons labelled {label!r}: {[b.label for b in at.button]}"
    )
    return found[0]


def texts(at: AppTest, kind: str) -> list[str]:
    return [element.value for element in getattr(at, kind)]


def shown(markdown: str) -> str:
    """An element's markdown body as the browser shows it: backslash escapes (app.text) undone."""
    return re.sub(r"\\(.)", r"\1", markdown)


def sim_post(path: str, body: dict[str, Any]) -> dict[str, Any]:
    simulator = get_runtime().simulator
    assert simulator is not None, "these tests run in sim mode"
    request = urllib.request.Request(
        f"{simulator.urls.base_url}{path}", data=json.dumps(body).encode(), method="POST",
        headers={"Content-Type": "application/json", "X-SIM-TOKEN": simulator.control_token},
    )  # fmt: skip
    with urllib.request.urlopen(request, timeout=5) as response:
        return json.loads(response.read())


def act(command: Any) -> Any:
    """Send a command to the desk's engine as the test admin, and wait for the reply."""
    command = command.model_copy(update={"actor": ensure_user(Role.ADMIN)})
    reply = get_runtime().engine.submit(command).result(15)
    assert reply.ok, reply.message
    return reply
