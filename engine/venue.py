"""The connection to one exchange environment, as a component: REST, catalogue and limits.

It opens the REST adapter (clock sync included) when the engine starts, loads exchangeInfo for
both markets into memory and into the `symbols` table, takes each market's request-weight limit
from it, and closes the adapter at stop. A market the exchange does not serve here is left out
and reported; the other still works.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from typing import Any

from engine.binance.errors import ExchangeError
from engine.binance.rest import BinanceRest, ExchangeInfo
from engine.context import EngineContext
from engine.events import EventKind, Level
from engine.models import MarketType, TradingPair
from engine.store.catalogue import replace_symbols


class Venue:
    """Owns the REST adapter and the symbol catalogue of both markets."""

    name = "venue"

    def __init__(self, rest: BinanceRest) -> None:
        self.rest = rest
        self.pairs: dict[tuple[MarketType, str], TradingPair] = {}
        self.unavailable: dict[MarketType, str] = {}
        self._ctx: EngineContext | None = None

    async def start(self, ctx: EngineContext) -> None:
        self._ctx = ctx
        await self.rest.open()
        await self.refresh_symbols()
        ctx.record(
            Level.INFO,
            EventKind.EXCHANGE_CONNECTED,
            f"Connected to {self.rest.endpoints.environment} ({len(self.pairs)} symbols); "
            f"clock offset {self.rest.time_offset_ms} ms.",
        )

    async def stop(self) -> None:
        await self.rest.close()
        self._ctx = None

    @property
    def has_keys(self) -> bool:
        return self.rest.credentials is not None

    def serves(self, market: MarketType) -> bool:
        return market not in self.unavailable

    def pair(self, market: MarketType, symbol: str) -> TradingPair | None:
        return self.pairs.get((market, symbol))

    def symbols(self, market: MarketType) -> set[str]:
        return {symbol for (m, symbol) in self.pairs if m is market}

    async def refresh_symbols(self) -> None:
        """Load each market's exchangeInfo: symbols, filters and the weight limit."""
        pairs: dict[tuple[MarketType, str], TradingPair] = {}
        for market in MarketType:
            info = await self._load(market)
            if info is None:
                continue
            if info.weight_limit_1m is not None:
                self.rest.gate.budget(market.value).set_limit(info.weight_limit_1m)
            pairs.update(((market, pair.symbol), pair) for pair in info.pairs)
        self.pairs = pairs
        if self._ctx is not None:
            rows = list(pairs.values())
            await self._ctx.store.write(lambda con: replace_symbols(con, rows))

    async def _load(self, market: MarketType) -> ExchangeInfo | None:
        try:
            info = await self.rest.exchange_info(market)
        except ExchangeError as exc:
            self.unavailable[market] = exc.reason
            if self._ctx is not None:
                self._ctx.record(
                    Level.WARNING,
                    EventKind.MARKET_UNAVAILABLE,
                    f"{market} market unavailable: {exc}",
                )
            return None
        self.unavailable.pop(market, None)
        return info

    def status(self) -> Mapping[str, Any]:
        """REST health for the Status page: latency, errors, weight, breakers, clock."""
        metrics, gate = self.rest.metrics, self.rest.gate
        return {
            "rest": [
                {"endpoint": name, "calls": stats.calls, "errors": stats.errors,
                 **_percentiles(stats.latencies_ms)}
                for name, stats in sorted(metrics.endpoints.items())
            ],
            "errors_by_code": dict(metrics.errors_by_code),
            "weight": {
                market.value: {"used_1m": gate.budget(market.value).used_now(),
                               "limit_1m": gate.budget(market.value).limit}
                for market in MarketType
            } | {"retry_after_s": max(0.0, gate.closed_until - time.time()),
                 "rate_limit_hits": gate.rate_limit_hits},
            "breakers": gate.breaker_states(),
            "time_offset_ms": metrics.time_offset_ms,
            "unavailable_markets": {str(m): reason for m, reason in self.unavailable.items()},
        }  # fmt: skip


def _percentiles(samples: Iterable[float]) -> dict[str, float | None]:
    ordered = sorted(samples)
    if not ordered:
        return {"p50_ms": None, "p99_ms": None}

    def at(q: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 2)

    return {"p50_ms": at(0.50), "p99_ms": at(0.99)}
