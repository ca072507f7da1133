"""What the Settings page says about keys: where each environment's comes from (masked), its
last connection test, what the exchange says it may do, and plain warnings about the dangerous.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from app import db
from app.runtime import get_runtime
from engine.access.live_gate import KeyCheck, key_check_kind
from engine.models import Environment
from engine.store.config_versions import load_latest_config

WITHDRAWALS = (
    "This key can withdraw funds. A trading desk never needs that, and anyone who gets the key "
    "could empty the account: on Binance (API Management, Edit restrictions) turn off "
    '"Enable Withdrawals", or make a new key without it, and use that one here.'
)
NO_IP_RESTRICTION = (
    "This key is not restricted to trusted IP addresses: whoever gets it can trade from "
    'anywhere. On Binance (API Management, Edit restrictions) choose "Restrict access to '
    "trusted IPs only\" and enter this server's public address."
)
UNKNOWN_RESTRICTIONS = (
    "The exchange did not say whether this key is IP-restricted or can withdraw ({note}). "
    "Check it on the exchange's API management page."
)


def last_check(environment: Environment) -> KeyCheck | None:
    with db.store().reader() as cur:
        saved = load_latest_config(cur, key_check_kind(environment))
    return saved.parse(KeyCheck) if saved is not None else None


def key_table() -> pd.DataFrame:
    """One row per environment: where its key comes from, the key masked, its last test."""
    runtime = get_runtime()
    rows = []
    for environment in Environment:
        located = runtime.access.keys.locate(environment)
        key = located.credentials
        check = last_check(environment)
        tested = "never"
        if check is not None and key is not None and check.fingerprint == key.fingerprint:
            when = pd.to_datetime(check.tested_ms, unit="ms", utc=True)
            tested = f"{'passed' if check.ok else 'failed'} {when:%Y-%m-%d %H:%M} UTC"
        rows.append({
            "environment": str(environment), "source": located.source,
            "key": key.masked_key if key else "", "last test": tested,
            "problem": located.problem or "",
        })  # fmt: skip
    return pd.DataFrame(rows)


def permission_rows(permissions: dict[str, Any]) -> pd.DataFrame:
    """A key's permissions as rows a person reads: what, and whether it may."""
    restrictions = permissions.get("restrictions") or {}

    def word(value: Any) -> str:
        return "-" if value is None else ("yes" if value else "no")

    def key_may(name: str) -> str:
        return word(restrictions.get(name)) if restrictions else "-"

    rows = [
        ("Spot trading", word(permissions.get("spot_trade"))),
        ("USD-M futures trading", word(permissions.get("futures_trade"))),
        ("Key: reading", key_may("reading")),
        ("Key: spot and margin trading", key_may("spot_and_margin_trading")),
        ("Key: futures", key_may("futures")),
        ("Key: withdrawals", key_may("withdrawals")),
        ("Key: transfers", key_may("universal_transfer")),
        ("Key: restricted to trusted IPs", key_may("ip_restricted")),
        ("Account: withdrawals", word(permissions.get("withdraw"))),
        ("Account: deposits", word(permissions.get("deposit"))),
        ("Account type", permissions.get("account_type") or "-"),
    ]
    return pd.DataFrame(rows, columns=["permission", "allowed"])


def key_warnings(permissions: dict[str, Any]) -> list[str]:
    """Plain warnings about what this key may do that a desk never should."""
    restrictions = permissions.get("restrictions")
    if not restrictions:
        note = permissions.get("restrictions_note") or "not asked"
        return [UNKNOWN_RESTRICTIONS.format(note=note)]
    warnings = []
    if restrictions.get("withdrawals") or restrictions.get("universal_transfer"):
        warnings.append(WITHDRAWALS)
    if not restrictions.get("ip_restricted"):
        warnings.append(NO_IP_RESTRICTION)
    return warnings
