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
import orjson
from binance import AsyncClient
from binance.exceptions import BinanceRequestException
from tenacity import (
    AsyncRetrying,
    retry_if_exception_type,
    stop_after_attempt,
    wait_exponential_jitter,
)

from engine.binance.error_rules import from_binance, from_transport_failure
from engine.binance.errors import (
    ClockSkew,
    ExchangeError,
    RateLimited,
    TemporaryError,
    parse_retry_after,
)
from engine.binance.limits import (
    EndpointGroup,
    GateClosed,
    RequestGate,
    endpoint_group,
    is_new_order,
    request_weight,
)
from engine.binance.urls import Endpoints
from engine.credentials import Credentials
from engine.models import MarketType

T = TypeVar("T")
REQUEST_TIMEOUT_S = 10.0
LATENCY_SAMPLES = 500
RECENT_REQUESTS = 20_000  # the rolling window's memory: minutes of traffic at the weight limit


@dataclass
class EndpointStats:
    latencies_ms: deque[float] = field(default_factory=lambda: deque(maxlen=LATENCY_SAMPLES))
    calls: int = 0
    errors: int = 0


@dataclass(frozen=True)
class Request:
    """One REST request as the rolling window keeps it."""

    at: float  # monotonic seconds
    endpoint: str  # "POST /api/v3/order"
    latency_ms: float
    error_code: str | None


@dataclass
class RequestMetrics:
    """What the Status page and the monitor know about REST traffic."""

    endpoints: dict[str, EndpointStats] = field(default_factory=dict)
    errors_by_code: Counter[str] = field(default_factory=Counter)
    recent: deque[Request] = field(default_factory=lambda: deque(maxlen=RECENT_REQUESTS))
    used_weight_1m: int = 0
    time_offset_ms: int = 0
    last_time_sync: float = 0.0

    def record(self, endpoint: str, latency_ms: float, error_code: str | None) -> None:
        stats = self.endpoints.setdefault(endpoint, EndpointStats())
        stats.calls += 1
        stats.latencies_ms.append(latency_ms)
        self.recent.append(Request(time.monotonic(), endpoint, latency_ms, error_code))
        if error_code is not None:
            stats.errors += 1
            self.errors_by_code[error_code] += 1

    def since(self, seconds: float) -> list[Request]:
        """The requests of the last `seconds` (as far as the window remembers), oldest first."""
        cutoff = time.monotonic() - seconds
        newest_first = []
        for request in reversed(self.recent):
            if request.at < cutoff:
                break
            newest_first.append(request)
        return newest_first[::-1]


def bind_client(endpoints: Endpoints) -> type[AsyncClient]:
    """An AsyncClient subclass whose URLs are this environment's."""
    return type("BoundAsyncClient", (GatedAsyncClient,), endpoints.client_attributes())


class GatedAsyncClient(AsyncClient):
    """AsyncClient whose every REST request passes our gate and is measured."""

    gate: RequestGate
    metrics: RequestMetrics

    async def _request(
        self, method: str, uri: str, signed: bool, force_params: bool = False, **kwargs: Any
    ) -> Any:
        path = urlsplit(uri).path
        market = _market_of(path)
        group = endpoint_group(method, path)
        weight = request_weight(method, path, _query_of(kwargs))
        try:
            await self.gate.admit(
                market, weight, group,
                new_order=is_new_order(method, path), fail_fast=group is EndpointGroup.ORDERS,
            )  # fmt: skip
        except GateClosed as exc:
            raise RateLimited(exc.reason, retry_after=exc.retry_in_s) from None
        started = time.perf_counter()
        error_code: str | None = None
        try:
            result = await super()._request(method, uri, signed, force_params, **kwargs)
        except ExchangeError as error:
            error_code = str(error.code or error.http_status)
            self._after_error(market, group, error)
            raise
        except (TimeoutError, aiohttp.ClientError, BinanceRequestException) as exc:
            error_code = type(exc).__name__
            self.gate.breaker(market, group).failure(time.time())
            raise from_transport_failure(exc) from exc
        finally:
            self.metrics.record(
                f"{method.upper()} {path}", (time.perf_counter() - started) * 1000, error_code
            )
        self.gate.breaker(market, group).success()
        return result

    async def _handle_response(self, response: aiohttp.ClientResponse) -> Any:
        """Read this response's weight header, and turn an error body into our error."""
        market = _market_of(response.url.path)
        used = response.headers.get("X-MBX-USED-WEIGHT-1M")
        if used is not None and used.isdigit():
            self.gate.budget(market).observe(int(used))
        if 200 <= response.status < 300:
            return await super()._handle_response(response)
        text = await response.text()
        code, message = _error_body(text, response.status)
        raise from_binance(
            code, message, response.status,
            parse_retry_after(response.headers.get("Retry-After")), market=MarketType(market),
        )  # fmt: skip

    def _after_error(self, market: str, group: EndpointGroup, error: ExchangeError) -> None:
        if isinstance(error, RateLimited) and error.code == -1015:
            self.gate.hold_new_orders(market, error.retry_after or 10.0)
        elif isinstance(error, RateLimited):
            self.gate.close_for(error.retry_after or 60.0, error.reason, error.http_status or 429)
        if isinstance(error, TemporaryError):
            self.gate.breaker(market, group).failure(time.time())
        else:
            self.gate.breaker(market, group).success()  # the exchange answered: it is up


def _market_of(path: str) -> str:
    return "futures" if path.startswith("/fapi") else "spot"


def _error_body(text: str, status: int) -> tuple[int, str]:
    """Binance's `{"code", "msg"}`, or a short description of a body that is not one."""
    try:
        body = orjson.loads(text)
    except orjson.JSONDecodeError:
        body = None
    if isinstance(body, dict) and "code" in body:
        return int(body.get("code") or 0), str(body.get("msg") or "")
    snippet = " ".join(text.split())[:120]
    return 0, f"HTTP {status}" + (f": {snippet}" if snippet else " with an empty body")


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
        client = cls(key, secret, requests_params={"timeout": self.request_timeout_s})
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

    def shift_clock(self, ms: int) -> None:
        """The exchange's clock jumped by `ms` (a simulator's virtual clock was advanced):
        move our offset with it instead of meeting -1021 on the next signed request."""
        self.metrics.time_offset_ms += ms
        if self._client is not None:
            self._client.timestamp_offset = self.metrics.time_offset_ms

    def exchange_now_ms(self) -> int:
        """Our clock in ms, corrected by the measured offset to the exchange's."""
        return int(time.time() * 1000) + self.metrics.time_offset_ms

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
