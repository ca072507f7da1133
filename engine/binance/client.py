"""python-binance bound to one environment's URLs, with our gate, clock sync and metrics.

`bind_client(endpoints)` subclasses `AsyncClient` with the environment's class attributes (no
global patching; live uses the same code with production URLs). Every request goes through
`_request`, which we extend: the gate admits it (weight budget, Retry-After, breaker), the
response's used-weight header corrects the budget, Binance errors become our error classes, a
-1021 resyncs the clock and retries once, and latency and errors are counted per endpoint.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter, deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import urlsplit

import aiohttp
from binance import AsyncClient
from binance.exceptions import BinanceAPIException, BinanceRequestException
from tenacity import (
    AsyncRetrying,
    retry_if_exception_type,
    stop_after_attempt,
    wait_exponential_jitter,
)

from engine.binance.errors import (
    ClockSkew,
    ExchangeError,
    RateLimited,
    TemporaryError,
    from_binance,
    from_transport_failure,
)
from engine.binance.limits import GateClosed, RequestGate, request_weight
from engine.binance.urls import Endpoints
from engine.credentials import Credentials
from engine.models import MarketType

T = TypeVar("T")
REQUEST_TIMEOUT_S = 10.0
LATENCY_SAMPLES = 500


@dataclass
class EndpointStats:
    latencies_ms: deque[float] = field(default_factory=lambda: deque(maxlen=LATENCY_SAMPLES))
    calls: int = 0
    errors: int = 0


@dataclass
class RequestMetrics:
    """What the Status page shows about REST traffic."""

    endpoints: dict[str, EndpointStats] = field(default_factory=dict)
    errors_by_code: Counter[str] = field(default_factory=Counter)
    used_weight_1m: int = 0
    time_offset_ms: int = 0
    last_time_sync: float = 0.0

    def record(self, endpoint: str, latency_ms: float, error_code: str | None) -> None:
        stats = self.endpoints.setdefault(endpoint, EndpointStats())
        stats.calls += 1
        stats.latencies_ms.append(latency_ms)
        if error_code is not None:
            stats.errors += 1
            self.errors_by_code[error_code] += 1


def bind_client(endpoints: Endpoints) -> type[AsyncClient]:
    """An AsyncClient subclass whose URLs are this environment's."""
    return type("BoundAsyncClient", (GatedAsyncClient,), endpoints.client_attributes())


class GatedAsyncClient(AsyncClient):
    """AsyncClient whose every REST request passes our gate and is measured."""

    gate: RequestGate
    metrics: RequestMetrics
    on_clock_skew: Callable[[], Awaitable[None]] | None = None

    async def _request(
        self, method: str, uri: str, signed: bool, force_params: bool = False, **kwargs: Any
    ) -> Any:
        parts = urlsplit(uri)
        market = "futures" if parts.path.startswith("/fapi") else "spot"
        is_order = method.upper() in ("POST", "DELETE") and parts.path.endswith(
            ("/order", "/algoOrder", "/openOrders")
        )
        weight = request_weight(method, parts.path, _query_of(kwargs))
        try:
            await self.gate.admit(market, weight, fail_fast=is_order)
        except GateClosed as exc:
            raise RateLimited(exc.reason, retry_after=exc.retry_in_s) from None
        started = time.perf_counter()
        error_code: str | None = None
        try:
            return await super()._request(method, uri, signed, force_params, **kwargs)
        except BinanceAPIException as exc:
            error = from_binance(exc, market=MarketType(market))
            error_code = str(error.code or error.http_status)
            self._after_error(market, error)
            raise error from exc
        except (TimeoutError, aiohttp.ClientError, BinanceRequestException) as exc:
            error_code = type(exc).__name__
            self.gate.breaker(market).failure(time.time())
            raise from_transport_failure(exc) from exc
        finally:
            self._observe(f"{method.upper()} {parts.path}", started, error_code)

    def _after_error(self, market: str, error: ExchangeError) -> None:
        if isinstance(error, RateLimited):
            self.gate.close_for(error.retry_after or 60.0, error.reason)
        if isinstance(error, TemporaryError):
            self.gate.breaker(market).failure(time.time())
        else:
            self.gate.breaker(market).success()  # the exchange answered: it is up

    def _observe(self, endpoint: str, started: float, error_code: str | None) -> None:
        self.metrics.record(endpoint, (time.perf_counter() - started) * 1000, error_code)
        response = getattr(self, "response", None)
        if response is None:
            return
        used = response.headers.get("X-MBX-USED-WEIGHT-1M")
        if used is not None and used.isdigit():
            self.gate.budget.observe(int(used))
            self.metrics.used_weight_1m = int(used)
        if error_code is None:
            market = "futures" if "/fapi" in endpoint else "spot"
            self.gate.breaker(market).success()


def _query_of(kwargs: dict[str, Any]) -> str:
    params = kwargs.get("params") or kwargs.get("data") or {}
    if isinstance(params, dict):
        return "&".join(f"{k}={v}" for k, v in params.items())
    return str(params)


class ExchangeClient:
    """The engine's handle on one exchange environment (spot and USD-M futures)."""

    def __init__(
        self,
        endpoints: Endpoints,
        credentials: Credentials | None,
        gate: RequestGate | None = None,
        request_timeout_s: float = REQUEST_TIMEOUT_S,
    ) -> None:
        self.endpoints = endpoints
        self.credentials = credentials
        self.gate = gate or RequestGate()
        self.request_timeout_s = request_timeout_s
        self.metrics = RequestMetrics()
        self._client: GatedAsyncClient | None = None
        self._sync_lock = asyncio.Lock()

    @property
    def raw(self) -> GatedAsyncClient:
        """The bound python-binance client (for the adapter modules only)."""
        if self._client is None:
            raise RuntimeError("The exchange client is not open.")
        return self._client

    async def open(self) -> None:
        """Create the client (no network yet) and sync the clock with the exchange."""
        cls = bind_client(self.endpoints)
        key, secret = (
            (self.credentials.api_key, self.credentials.api_secret)
            if self.credentials
            else (None, None)
        )
        client = cls(key, secret, requests_params={"timeout": REQUEST_TIMEOUT_S})
        client.gate, client.metrics = self.gate, self.metrics
        client.REQUEST_RECVWINDOW = 5000
        self._client = client
        await self.sync_time()

    async def close(self) -> None:
        if self._client is not None:
            await self._client.close_connection()
            self._client = None

    async def sync_time(self) -> int:
        """Measure the exchange clock against ours (mid-point of the round trip); return ms."""
        async with self._sync_lock:
            before = time.time()
            server = await self.raw.get_server_time()
            after = time.time()
            offset = int(server["serverTime"] - (before + after) / 2 * 1000)
            self.raw.timestamp_offset = offset
            self.metrics.time_offset_ms = offset
            self.metrics.last_time_sync = after
            return offset

    async def signed(self, call: Callable[[GatedAsyncClient], Awaitable[T]]) -> T:
        """Run a signed call; on -1021 resync the clock and try once more."""
        try:
            return await call(self.raw)
        except ClockSkew:
            await self.sync_time()
            return await call(self.raw)

    async def read(self, call: Callable[[GatedAsyncClient], Awaitable[T]], attempts: int = 4) -> T:
        """Run an idempotent read, retrying temporary failures with jittered back-off."""
        retrying = AsyncRetrying(
            # A RateLimited read is retried after the gate's wait: the gate holds every request
            # until Retry-After has passed, so the retry cannot escalate a 429 into a ban.
            retry=retry_if_exception_type((TemporaryError, RateLimited)),
            stop=stop_after_attempt(attempts),
            wait=wait_exponential_jitter(multiplier=0.2, max=5.0),
            reraise=True,
        )
        async for attempt in retrying:
            with attempt:
                return await self.signed(call)
        raise AssertionError("unreachable")
