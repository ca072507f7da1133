"""What we may send, and when: request weights, weight budgets, Retry-After, breakers.

Each market has its own IP budget (api.binance.com and fapi.binance.com count separately),
starting from exchangeInfo's REQUEST_WEIGHT limit and corrected by Binance's own count in every
response's `X-MBX-USED-WEIGHT-1M` header. A 429 or 418 closes the gate for every request until
its `Retry-After` has passed, so we never escalate a 429 into a ban. A -1015 (too many new
orders) holds back new orders only: cancels always go through. A circuit breaker per market and
endpoint group (orders, account reads, market data) opens after repeated failures and lets one
probe through before closing, so a read outage does not stop trading.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import parse_qs

MINUTE_S = 60.0

# (method, path) -> weight, or a function of the query parameters (binance-api.md section 3).
Weight = int | Callable[[dict[str, list[str]]], int]


def _by_limit(bands: tuple[tuple[int, int], ...], default_limit: int) -> Weight:
    def weight(params: dict[str, list[str]]) -> int:
        limit = int(params.get("limit", [default_limit])[0])
        return next(w for upper, w in bands if limit <= upper)

    return weight


def _with_symbol(one: int, all_: int) -> Weight:
    return lambda params: one if ("symbol" in params or "symbols" in params) else all_


WEIGHTS: dict[tuple[str, str], Weight] = {
    ("GET", "/api/v3/ping"): 1,
    ("GET", "/api/v3/time"): 1,
    ("GET", "/api/v3/exchangeInfo"): 20,
    ("GET", "/api/v3/depth"): _by_limit(((100, 5), (500, 25), (1000, 50), (10**9, 250)), 100),
    ("GET", "/api/v3/trades"): 25,
    ("GET", "/api/v3/klines"): 2,
    ("GET", "/api/v3/avgPrice"): 2,
    ("GET", "/api/v3/ticker/24hr"): _with_symbol(2, 80),
    ("GET", "/api/v3/ticker/price"): _with_symbol(2, 4),
    ("GET", "/api/v3/ticker/bookTicker"): _with_symbol(2, 4),
    ("POST", "/api/v3/order"): 1,
    ("POST", "/api/v3/order/test"): 1,
    ("GET", "/api/v3/order"): 4,
    ("DELETE", "/api/v3/order"): 1,
    ("GET", "/api/v3/openOrders"): _with_symbol(6, 80),
    ("DELETE", "/api/v3/openOrders"): 1,
    ("GET", "/api/v3/allOrders"): 20,
    ("GET", "/api/v3/myTrades"): 20,
    ("GET", "/api/v3/account"): 20,
    ("POST", "/api/v3/orderList/oco"): 1,
    ("GET", "/api/v3/orderList"): 4,
    ("DELETE", "/api/v3/orderList"): 1,
    ("GET", "/api/v3/openOrderList"): 6,
    ("GET", "/sapi/v1/account/apiRestrictions"): 1,
    ("GET", "/fapi/v1/ping"): 1,
    ("GET", "/fapi/v1/time"): 1,
    ("GET", "/fapi/v1/exchangeInfo"): 1,
    ("GET", "/fapi/v1/klines"): _by_limit(((99, 1), (499, 2), (1000, 5), (10**9, 10)), 500),
    ("GET", "/fapi/v1/ticker/24hr"): _with_symbol(1, 40),
    ("GET", "/fapi/v1/premiumIndex"): _with_symbol(1, 10),
    ("GET", "/fapi/v1/openOrders"): _with_symbol(1, 40),
    ("GET", "/fapi/v1/openAlgoOrders"): _with_symbol(1, 40),
    ("GET", "/fapi/v2/account"): 5,
    ("GET", "/fapi/v3/balance"): 5,
    ("GET", "/fapi/v3/positionRisk"): 5,
    ("GET", "/fapi/v1/positionSide/dual"): 30,
    ("POST", "/fapi/v1/positionSide/dual"): 1,
    ("POST", "/fapi/v1/order"): 0,
    ("POST", "/fapi/v1/algoOrder"): 0,
}
DEFAULT_WEIGHT = 1


def request_weight(method: str, path: str, query: str = "") -> int:
    """The IP weight Binance charges for one request."""
    weight = WEIGHTS.get((method.upper(), path), DEFAULT_WEIGHT)
    if callable(weight):
        return weight(parse_qs(query))
    return weight


class GateClosed(Exception):
    """A request was not sent because the gate is closed (ban or open breaker)."""

    def __init__(self, reason: str, retry_in_s: float) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_in_s = retry_in_s


class WeightBudget:
    """Request weight used in the current minute, as we count it and as Binance reports it."""

    def __init__(self, limit: int, safety: float = 0.9, clock: Callable[[], float] = time.time):
        self.limit = limit
        self.safety = safety
        self._clock = clock
        self._minute = self._current_minute()
        self.used = 0

    def _current_minute(self) -> int:
        return int(self._clock() // MINUTE_S)

    def _roll(self) -> None:
        minute = self._current_minute()
        if minute != self._minute:
            self._minute, self.used = minute, 0

    def wait_s(self, weight: int) -> float:
        """How long to wait before `weight` fits in the budget (0 if it fits now)."""
        self._roll()
        if self.used + weight <= self.limit * self.safety:
            return 0.0
        return (self._minute + 1) * MINUTE_S - self._clock() + 0.05

    def spend(self, weight: int) -> None:
        self._roll()
        self.used += weight

    def observe(self, used_by_exchange: int) -> None:
        """Binance's own count wins: other programs on this IP spend from the same budget."""
        self._roll()
        self.used = max(self.used, used_by_exchange)

    def set_limit(self, limit: int) -> None:
        self.limit = limit

    def used_now(self) -> int:
        self._roll()
        return self.used


class BreakerState(StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half-open"


@dataclass
class CircuitBreaker:
    """Opens after `threshold` failures in a row; after `cooldown_s` lets one probe through."""

    threshold: int = 5
    cooldown_s: float = 30.0
    state: BreakerState = BreakerState.CLOSED
    failures: int = 0
    opened_at: float = 0.0
    probing: bool = False

    def allow(self, now: float) -> float:
        """0 when a request may go; otherwise seconds until the next probe."""
        if self.state is BreakerState.CLOSED:
            return 0.0
        if self.state is BreakerState.OPEN and now - self.opened_at >= self.cooldown_s:
            self.state = BreakerState.HALF_OPEN
        if self.state is BreakerState.HALF_OPEN and not self.probing:
            self.probing = True
            return 0.0
        return max(0.1, self.cooldown_s - (now - self.opened_at))

    def success(self) -> None:
        self.state, self.failures, self.probing = BreakerState.CLOSED, 0, False

    def failure(self, now: float) -> None:
        self.failures += 1
        self.probing = False
        if self.state is BreakerState.HALF_OPEN or self.failures >= self.threshold:
            self.state, self.opened_at = BreakerState.OPEN, now


class EndpointGroup(StrEnum):
    ORDERS = "orders"  # placing, cancelling, changing leverage or margin
    ACCOUNT = "account"  # signed reads: balances, positions, open orders, trades
    MARKET = "market"  # public market data and exchange information


_ACTION_METHODS = ("POST", "PUT", "DELETE")
_NEW_ORDER_SUFFIXES = ("/order", "/algoOrder", "/batchOrders", "/order/oco", "/orderList/oco",
                       "/orderList/oto", "/orderList/otoco", "/order/cancelReplace")  # fmt: skip
_PUBLIC_PREFIXES = ("/api/v3/ping", "/api/v3/time", "/api/v3/exchangeInfo", "/api/v3/depth",
                    "/api/v3/trades", "/api/v3/klines", "/api/v3/avgPrice", "/api/v3/ticker",
                    "/fapi/v1/ping", "/fapi/v1/time", "/fapi/v1/exchangeInfo", "/fapi/v1/depth",
                    "/fapi/v1/klines", "/fapi/v1/ticker", "/fapi/v1/premiumIndex",
                    "/fapi/v1/fundingRate")  # fmt: skip
DEFAULT_LIMITS = {"spot": 6000, "futures": 2400}


def endpoint_group(method: str, path: str) -> EndpointGroup:
    if path.startswith(_PUBLIC_PREFIXES):
        return EndpointGroup.MARKET
    if method.upper() in _ACTION_METHODS and not path.endswith(("/listenKey", "/userDataStream")):
        return EndpointGroup.ORDERS
    return EndpointGroup.ACCOUNT


def is_new_order(method: str, path: str) -> bool:
    return method.upper() == "POST" and path.endswith(_NEW_ORDER_SUFFIXES)


class RequestGate:
    """Every request passes here before it is sent: one per IP, with a budget per market."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._budgets = {m: WeightBudget(limit, clock=clock) for m, limit in DEFAULT_LIMITS.items()}
        self.breakers: dict[tuple[str, EndpointGroup], CircuitBreaker] = {}
        self.closed_until = 0.0
        self.closed_reason = ""
        self.new_orders_closed_until: dict[str, float] = {}
        self.rate_limit_hits = 0
        self.last_limit_status = 0  # 429 (slow down) or 418 (banned): the latest one
        self.last_limit_at = 0.0

    def budget(self, market: str) -> WeightBudget:
        return self._budgets.setdefault(
            market, WeightBudget(DEFAULT_LIMITS["spot"], clock=self._clock)
        )

    def breaker(self, market: str, group: EndpointGroup) -> CircuitBreaker:
        return self.breakers.setdefault((market, group), CircuitBreaker())

    def breaker_states(self) -> dict[str, str]:
        return {f"{market} {group}": str(b.state) for (market, group), b in self.breakers.items()}

    async def admit(
        self,
        market: str,
        weight: int,
        group: EndpointGroup = EndpointGroup.ACCOUNT,
        *,
        new_order: bool = False,
        fail_fast: bool = False,
    ) -> None:
        """Wait until the request may be sent; spend its weight.

        With `fail_fast` (orders), a closed gate raises `GateClosed` instead of waiting: an order
        must not go out minutes after the trader pressed the button.
        """
        while True:
            wait, reason = self._wait_for(market, group, weight, new_order)
            if wait <= 0:
                self.budget(market).spend(weight)
                return
            if fail_fast:
                raise GateClosed(reason, wait)
            await asyncio.sleep(min(wait, 5.0))

    def _wait_for(
        self, market: str, group: EndpointGroup, weight: int, new_order: bool
    ) -> tuple[float, str]:
        now = self._clock()
        if now < self.closed_until:
            return self.closed_until - now, self.closed_reason
        orders_until = self.new_orders_closed_until.get(market, 0.0)
        if new_order and now < orders_until:
            return orders_until - now, "Too many new orders in a short time; waiting to send more."
        breaker_wait = self.breaker(market, group).allow(now)
        if breaker_wait > 0:
            return breaker_wait, f"The {market} {group} requests are failing; retrying shortly."
        budget_wait = self.budget(market).wait_s(weight)
        return budget_wait, "The request-weight budget for this minute is spent."

    def hold_new_orders(self, market: str, seconds: float) -> None:
        """After a -1015: no new order on `market` until `seconds` have passed; cancels go."""
        until = self._clock() + seconds
        self.new_orders_closed_until[market] = max(
            self.new_orders_closed_until.get(market, 0.0), until
        )

    def close_for(self, seconds: float, reason: str, status: int = 429) -> None:
        """After a 429/418: send nothing at all until `seconds` have passed."""
        self.rate_limit_hits += 1
        self.last_limit_status, self.last_limit_at = status, self._clock()
        self.closed_until = max(self.closed_until, self._clock() + seconds)
        self.closed_reason = reason
