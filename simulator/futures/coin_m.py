"""COIN-M (`/dapi`): the simulator runs no coin-margined futures, and answers as Binance does
for an account without them, so clients that load every market at start (ccxt's default
`fetchMarkets` types include "inverse") get on: ping, time, an exchangeInfo that lists no
symbols, and empty balances and positions."""

from __future__ import annotations

from typing import Any

from simulator.core.context import Call, Route
from simulator.core.ratelimit import RateLimiter

SIGNED = "SIGNED"


class CoinMRest:
    def __init__(self, limiter: RateLimiter) -> None:
        self.limiter = limiter

    def routes(self) -> list[Route]:
        v1 = "/dapi/v1"
        return [
            Route("GET", f"{v1}/ping", lambda call: {}),
            Route("GET", f"{v1}/time", lambda call: {"serverTime": call.now_ms}),
            Route("GET", f"{v1}/exchangeInfo", self.exchange_info),
            Route("GET", f"{v1}/balance", lambda call: [], 1, SIGNED),
            Route("GET", f"{v1}/positionRisk", lambda call: [], 1, SIGNED),
            Route("GET", f"{v1}/openOrders", lambda call: [], 1, SIGNED),
        ]

    def exchange_info(self, call: Call) -> dict[str, Any]:
        return {
            "timezone": "UTC",
            "serverTime": call.now_ms,
            "rateLimits": [
                {"rateLimitType": "REQUEST_WEIGHT", "interval": "MINUTE", "intervalNum": 1,
                 "limit": self.limiter.weight_limit},
                {"rateLimitType": "ORDERS", "interval": "MINUTE", "intervalNum": 1, "limit": 1200},
            ],
            "exchangeFilters": [],
            "symbols": [],
        }  # fmt: skip
