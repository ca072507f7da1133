"""The engine's connection to one exchange environment, as a component.

It opens the REST client (clock sync included) when the engine starts, loads exchangeInfo for
both markets, keeps the request-weight limit from it, and closes the client at stop. Other
components reach the exchange through `engine.exchange`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from engine.binance.client import ExchangeClient
from engine.binance.errors import ExchangeError
from engine.binance.schemas import trading_pair_from_symbol
from engine.binance.urls import Endpoints
from engine.credentials import Credentials
from engine.models import MarketType, TradingPair
from engine.store import upsert_arrow

if TYPE_CHECKING:
    from engine.engine import Engine

log = logging.getLogger(__name__)


class ExchangeComponent:
    """Owns the ExchangeClient and the symbol catalogue of both markets."""

    name = "exchange"

    def __init__(
        self, endpoints: Endpoints, credentials: Credentials | None, request_timeout_s: float = 10.0
    ) -> None:
        self.client = ExchangeClient(endpoints, credentials, request_timeout_s=request_timeout_s)
        self.endpoints = endpoints
        self.pairs: dict[tuple[MarketType, str], TradingPair] = {}
        self.unavailable: dict[MarketType, str] = {}

    async def start(self, engine: Engine) -> None:
        engine.exchange = self
        await self.client.open()
        await self.refresh_symbols(engine)
        engine.record_event(
            "info",
            "exchange_connected",
            f"Connected to {self.endpoints.environment} ({len(self.pairs)} symbols); "
            f"clock offset {self.client.metrics.time_offset_ms} ms.",
        )

    async def stop(self) -> None:
        await self.client.close()

    async def refresh_symbols(self, engine: Engine | None = None) -> None:
        """Load each market's exchangeInfo: symbols, filters and the weight limit.

        A market that cannot be loaded (no futures on this endpoint, say) is left out and
        reported; the other still works.
        """
        loaders = {
            MarketType.SPOT: lambda c: c.get_exchange_info(),
            MarketType.FUTURES: lambda c: c.futures_exchange_info(),
        }
        pairs = {}
        for market, load in loaders.items():
            try:
                info = await self.client.read(load)
            except ExchangeError as exc:
                self.unavailable[market] = exc.reason
                if engine is not None:
                    engine.record_event(
                        "warning", "market_unavailable", f"{market} market unavailable: {exc}"
                    )
                continue
            self.unavailable.pop(market, None)
            if market is MarketType.SPOT:
                self._set_weight_limit(info)
            for entry in info.get("symbols", []):
                pair = trading_pair_from_symbol(market, entry)
                pairs[(market, pair.symbol)] = pair
        self.pairs = pairs
        if engine is not None and engine.store is not None:
            rows = [_symbol_row(pair) for pair in pairs.values()]
            await engine.store.write(lambda con: _replace_symbols(con, rows))

    def _set_weight_limit(self, info: dict[str, Any]) -> None:
        for limit in info.get("rateLimits", []):
            if limit.get("rateLimitType") == "REQUEST_WEIGHT" and limit.get("interval") == "MINUTE":
                self.client.gate.budget.set_limit(int(limit["limit"]) // int(limit["intervalNum"]))

    def pair(self, market: MarketType, symbol: str) -> TradingPair | None:
        return self.pairs.get((market, symbol))

    def status(self) -> dict[str, Any]:
        """REST health for the Status page: latency, errors, weight, breakers, clock."""
        metrics, gate = self.client.metrics, self.client.gate
        return {
            "rest": [
                {"endpoint": name, "calls": stats.calls, "errors": stats.errors,
                 **_percentiles(stats.latencies_ms)}
                for name, stats in sorted(metrics.endpoints.items())
            ],
            "errors_by_code": dict(metrics.errors_by_code),
            "weight": {"used_1m": max(gate.budget.used, metrics.used_weight_1m),
                       "limit_1m": gate.budget.limit,
                       "retry_after_s": max(0.0, gate.closed_until - time.time()),
                       "rate_limit_hits": gate.rate_limit_hits},
            "breakers": {market: str(b.state) for market, b in gate.breakers.items()},
            "time_offset_ms": metrics.time_offset_ms,
            "unavailable_markets": {str(m): reason for m, reason in self.unavailable.items()},
        }  # fmt: skip


def _symbol_row(pair: TradingPair) -> tuple[Any, ...]:
    return (pair.market.value, pair.symbol, pair.base, pair.quote, pair.status,
            pair.model_dump_json(), time.time_ns() // 1_000_000)  # fmt: skip


def _replace_symbols(con: Any, rows: list[tuple[Any, ...]]) -> None:
    """The catalogue as exchangeInfo lists it now (delisted symbols disappear)."""
    con.execute("BEGIN")
    try:
        con.execute("DELETE FROM symbols")
        if rows:
            columns = list(zip(*rows, strict=True))
            names = ["market", "symbol", "base", "quote", "status", "pair", "updated_ms"]
            table = pa.table(dict(zip(names, columns, strict=True)))
            upsert_arrow(con, "symbols", table)
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise


def _percentiles(samples: Iterable[float]) -> dict[str, float | None]:
    ordered = sorted(samples)
    if not ordered:
        return {"p50_ms": None, "p99_ms": None}

    def at(q: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 2)

    return {"p50_ms": at(0.50), "p99_ms": at(0.99)}
