"""The built-in simulator's control plane (/_sim/...), for the Settings page in sim mode.

After a change the engine is asked to reconcile, so its balances follow the simulator's at once.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from decimal import Decimal
from typing import Any

import pandas as pd

from app import auth
from app.runtime import get_runtime
from engine.access.roles import Role

TIMEOUT_S = 5.0


class SimControlError(RuntimeError):
    """The simulator refused or did not answer; the message says which."""


def available() -> bool:
    """True when this process runs the built-in simulator (sim mode, not attached)."""
    return get_runtime().simulator is not None


def _call(method: str, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
    if not auth.may(Role.ADMIN):
        raise SimControlError("Only an admin changes or reads the simulator's account here.")
    simulator = get_runtime().simulator
    if simulator is None:
        raise SimControlError("No built-in simulator runs in this mode.")
    data = json.dumps(body).encode() if body is not None else None
    headers = {"Content-Type": "application/json", "X-SIM-TOKEN": simulator.control_token}
    request = urllib.request.Request(
        f"{simulator.urls.base_url}{path}", data=data, method=method, headers=headers
    )
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_S) as response:
            return json.loads(response.read())
    except urllib.error.HTTPError as exc:
        raise SimControlError(f"The simulator refused: {_reason(exc)}") from None
    except OSError as exc:
        raise SimControlError(f"The simulator did not answer: {exc}") from None


def _reason(exc: urllib.error.HTTPError) -> str:
    """The `msg` of the simulator's {"code", "msg"} refusal, else the body as it came."""
    detail = exc.read().decode(errors="replace")
    try:
        return str(json.loads(detail)["msg"])
    except (ValueError, KeyError, TypeError):
        return detail


def balances() -> pd.DataFrame:
    """The simulator's spot balances (asset, free, locked)."""
    rows = _call("GET", "/_sim/balances").get("balances", [])
    frame = pd.DataFrame(rows)
    return frame if not frame.empty else pd.DataFrame(columns=["asset", "free", "locked"])


def set_balance(asset: str, amount: Decimal) -> None:
    """Set one asset's free spot balance."""
    _call("POST", "/_sim/balances", {"balances": {asset.upper(): str(amount)}})


def reset() -> None:
    """Balances back to the initial ones, every order and fault cleared."""
    _call("POST", "/_sim/reset", {})
