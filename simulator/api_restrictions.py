"""GET /sapi/v1/account/apiRestrictions: what the simulator's API key may do, as Binance says it.

Signed, weight 1 (as on api.binance.com). The values are those of a key made for a trading
desk: reading, spot and futures trading on, withdrawals, margin, transfers and options off, and
restricted to trusted IPs (the simulator only listens on loopback). `createTime` is when this
simulator started.
"""

from __future__ import annotations

from typing import Any

from simulator.context import Call

PATH = "/sapi/v1/account/apiRestrictions"


class ApiRestrictions:
    def __init__(self, created_ms: int) -> None:
        self.created_ms = created_ms

    def __call__(self, call: Call) -> dict[str, Any]:
        return {
            "ipRestrict": True,
            "createTime": self.created_ms,
            "enableReading": True,
            "enableSpotAndMarginTrading": True,
            "enableWithdrawals": False,
            "enableInternalTransfer": False,
            "enableMargin": False,
            "enableFutures": True,
            "permitsUniversalTransfer": False,
            "enableVanillaOptions": False,
            "enableFixApiTrade": False,
            "enableFixReadOnly": False,
            "enablePortfolioMarginTrading": False,
        }
