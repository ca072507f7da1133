"""Our client order ids: unique, ours at a glance, within Binance's 36 characters."""

from __future__ import annotations

import secrets
import time

CLIENT_ID_PREFIX = "td-"


def new_client_order_id() -> str:
    """`td-<ms hex>-<16 hex>`: of Binance's allowed [.A-Z:/a-z0-9_-], at most 36 long."""
    return f"{CLIENT_ID_PREFIX}{int(time.time() * 1000):x}-{secrets.token_hex(8)}"
