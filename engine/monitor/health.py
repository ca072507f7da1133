"""The desk's health at one moment, typed: what the alert rules and the metric series read.

`HealthSources` are the components it is read from (handed over at assembly); `read_health`
reads them without a request or a query, so the monitor's tick costs the loop next to nothing.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from engine.account.state import AccountReader
from engine.account.sync import AccountSync
from engine.binance.client import Request
from engine.clock import now_ms
from engine.context import CoreHealth
from engine.market.component import MarketData
from engine.market.prices import LivePrices
from engine.models import MarketType
from engine.risk.component import Risk
from engine.risk.usage import LimitUsage
from engine.venue import Venue

WINDOW_S = 60.0  # REST latency, errors and order rate are over the last minute
_NEW_ORDER_ENDPOINTS = (
    "POST /api/v3/order",
    "POST /fapi/v1/order",
    "POST /fapi/v1/algoOrder",
    "POST /api/v3/orderList/oco",
    "POST /api/v3/orderList/oto",
    "POST /api/v3/orderList/otoco",
    "POST /fapi/v1/batchOrders",
)


@dataclass(frozen=True)
class StreamHealth:
    market: str
    stream: str  # "btcusdt@kline_1m", or "user data"
    connected: bool
    age_s: float | None  # since its last message; None before the first
    stale: bool
    reconnects: int
    down_s: float | None = None  # user-data streams: how long it has not been connected
    silent_s: float | None = None  # market streams: since the last message, or since wanted

    @property
    def silence_s(self) -> float | None:
        """How long it has said nothing: a stream not heard yet counts from when it was wanted."""
        return self.age_s if self.age_s is not None else self.silent_s


@dataclass(frozen=True)
class EndpointHealth:
    endpoint: str
    calls: int
    errors: int
    p50_ms: float | None
    p99_ms: float | None


@dataclass(frozen=True)
class WeightHealth:
    market: str
    used: int
    limit: int

    @property
    def share_pct(self) -> float:
        return 100.0 * self.used / self.limit if self.limit else 0.0


@dataclass(frozen=True)
class RateLimitHealth:
    hits: int  # 429/418 answers since the engine started
    closed_for_s: float  # how long nothing more is sent
    last_status: int  # 429 or 418; 0 before any
    last_age_s: float | None
    reason: str


@dataclass(frozen=True)
class PositionHealth:
    symbol: str
    side: str
    amount: Decimal
    mark: Decimal | None
    liquidation: Decimal | None


@dataclass(frozen=True)
class KillSwitchHealth:
    on: bool
    reason: str
    tripped_by: str | None
    tripped_at: int | None


@dataclass(frozen=True)
class Health:
    time_ms: int
    core: CoreHealth
    streams: tuple[StreamHealth, ...]
    endpoints: tuple[EndpointHealth, ...]
    errors_by_code: Mapping[str, int]  # in the last minute
    new_orders_1m: int
    weights: tuple[WeightHealth, ...]
    breakers: Mapping[str, str]  # "spot orders" -> closed | open | half-open
    rate_limit: RateLimitHealth
    clock_offset_ms: int
    kill_switch: KillSwitchHealth
    limits: tuple[LimitUsage, ...]
    positions: tuple[PositionHealth, ...]


@dataclass(frozen=True)
class HealthSources:
    venue: Venue
    market: MarketData
    sync: AccountSync
    account: AccountReader
    prices: LivePrices
    risk: Risk


def read_health(core: CoreHealth, sources: HealthSources) -> Health:
    venue = sources.venue
    requests = venue.rest.metrics.since(WINDOW_S)
    return Health(
        time_ms=now_ms(),
        core=core,
        streams=_streams(sources),
        endpoints=_endpoints(requests),
        errors_by_code=_errors(requests),
        new_orders_1m=sum(1 for r in requests if r.endpoint in _NEW_ORDER_ENDPOINTS),
        weights=_weights(venue),
        breakers=venue.rest.gate.breaker_states(),
        rate_limit=_rate_limit(venue),
        clock_offset_ms=venue.rest.metrics.time_offset_ms,
        kill_switch=_kill_switch(sources.risk),
        limits=sources.risk.usage,
        positions=_positions(sources),
    )


def _streams(sources: HealthSources) -> tuple[StreamHealth, ...]:
    market_streams = [
        StreamHealth(
            row["market"],
            row["stream"],
            row["state"] == "connected",
            row["last_message_age_s"],
            bool(row["stale"]),
            int(row["reconnects"]),
            silent_s=row.get("silent_s"),
        )
        for row in sources.market.stream_status()
    ]
    now = now_ms()
    sync = sources.sync
    user_streams = [
        StreamHealth(market, "user data", state == "connected",
                     _age(sync.last_event_ms.get(market), now), False, 0,
                     _age(sync.down_since_ms.get(market), now))
        for market, state in sorted(sync.stream_state.items())
    ]  # fmt: skip
    return tuple(market_streams + user_streams)


def _age(then_ms: int | None, now: int) -> float | None:
    return None if then_ms is None else (now - then_ms) / 1000


def _endpoints(requests: Sequence[Request]) -> tuple[EndpointHealth, ...]:
    by_endpoint: dict[str, list[Request]] = {}
    for request in requests:
        by_endpoint.setdefault(request.endpoint, []).append(request)
    rows = []
    for endpoint, calls in sorted(by_endpoint.items()):
        latencies = sorted(r.latency_ms for r in calls)
        errors = sum(1 for r in calls if r.error_code is not None)
        rows.append(
            EndpointHealth(
                endpoint, len(calls), errors, _quantile(latencies, 0.50), _quantile(latencies, 0.99)
            )
        )
    return tuple(rows)


def _quantile(ordered: Sequence[float], q: float) -> float | None:
    if not ordered:
        return None
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 2)


def _errors(requests: Sequence[Request]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for request in requests:
        if request.error_code is not None:
            counts[request.error_code] = counts.get(request.error_code, 0) + 1
    return counts


def _weights(venue: Venue) -> tuple[WeightHealth, ...]:
    gate = venue.rest.gate
    return tuple(
        WeightHealth(m.value, gate.budget(m.value).used_now(), gate.budget(m.value).limit)
        for m in MarketType
        if venue.serves(m)
    )


def _rate_limit(venue: Venue) -> RateLimitHealth:
    gate = venue.rest.gate
    now = time.time()
    age = now - gate.last_limit_at if gate.last_limit_status else None
    return RateLimitHealth(
        gate.rate_limit_hits,
        max(0.0, gate.closed_until - now),
        gate.last_limit_status,
        age,
        gate.closed_reason,
    )


def _kill_switch(risk: Risk) -> KillSwitchHealth:
    switch = risk.switch.current
    return KillSwitchHealth(switch.on, switch.reason, switch.tripped_by, switch.tripped_at)


def _positions(sources: HealthSources) -> tuple[PositionHealth, ...]:
    rows = []
    for position in sources.account.state().positions:
        if not position.amount:
            continue
        mark = sources.prices.get(MarketType.FUTURES, position.symbol) or position.mark_price
        rows.append(
            PositionHealth(
                position.symbol,
                position.position_side,
                position.amount,
                mark,
                position.liquidation_price,
            )
        )
    return tuple(rows)
