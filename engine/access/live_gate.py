"""The gate in front of live trading, and the record of a key's connection test it reads.

The desk goes live only when an admin asks (the command's role), the live key it would use has
passed a connection test (the test of that very key: a record names the key by its fingerprint),
and the confirmation was typed; the app also asks for the admin's password again first.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from engine.access.key_permissions import KeyPermissions
from engine.credentials import Credentials
from engine.models import Environment

LIVE_CONFIRMATION = "TRADE LIVE"


class KeyCheck(BaseModel):
    """One connection test of one key (kept as config kind `key_check:<environment>`)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    environment: Environment
    fingerprint: str
    masked_key: str
    ok: bool
    tested_ms: int
    reason: str = ""
    permissions: KeyPermissions | None = None


def key_check_kind(environment: Environment) -> str:
    return f"key_check:{environment.value}"


def live_gate_problem(
    key: Credentials | None, check: KeyCheck | None, confirmation: str
) -> str | None:
    """Why the desk may not go live now; None when it may."""
    if confirmation.strip() != LIVE_CONFIRMATION:
        return f'Live trading uses real money: type "{LIVE_CONFIRMATION}" to confirm.'
    if key is None:
        return "No live API key is set: store one on Settings (or set it in the environment)."
    if check is None or check.fingerprint != key.fingerprint:
        return f"The live key {key.masked_key} has not been tested: run its connection test first."
    if not check.ok:
        return (
            f"The last connection test of the live key {key.masked_key} failed ({check.reason}): "
            "fix the key and test it again."
        )
    return None
