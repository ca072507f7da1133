"""Binance's IP request-weight and account order-count limits, with 429 and 418 escalation.

Windows are calendar-aligned (a minute starts at :00, ten seconds at a multiple of 10 s, a day
at 00:00 UTC) and measured on the server clock, so a virtual clock makes them deterministic.

The strike rule (when a 429 turns into a 418 ban). A 429 tells an IP to wait `Retry-After`
seconds. A request that arrives inside that window is refused with another 429, but it counts
as a strike toward a ban only if it could have known of the 429: a signed request whose
`timestamp` is after the moment the 429 was issued, or (no usable timestamp) a request that
arrived after that moment. Requests that were already on their way when the 429 was sent (a
client that fired four orders at once) are refused without a strike, so one 429 never becomes
a ban by itself; a client that keeps sending after it heard the 429 is banned at the third
strike (2 minutes, doubling for each ban after that).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from simulator.core.errors import ApiError

MINUTE_MS = 60_000
TEN_SECONDS_MS = 10_000
DAY_MS = 86_400_000


@dataclass(slots=True)
class Window:
    length_ms: int
    start_ms: int = 0
    used: int = 0

    def roll(self, now_ms: int) -> None:
        start = now_ms - now_ms % self.length_ms
        if start != self.start_ms:
            self.start_ms, self.used = start, 0

    def retry_after_s(self, now_ms: int) -> int:
        return max(1, -(-(self.start_ms + self.length_ms - now_ms) // 1000))


@dataclass(slots=True)
class IpState:
    weight: Window = field(default_factory=lambda: Window(MINUTE_MS))
    strikes: int = 0
    backoff_issued_ms: int = 0  # when the 429 that set backoff_until_ms was sent
    backoff_until_ms: int = 0
    banned_until_ms: int = 0
    bans: int = 0
    early: int = 0  # requests that arrived inside a Retry-After window or a ban


def _seconds(ms: int) -> str:
    return str(max(1, -(-ms // 1000)))


class RateLimiter:
    def __init__(
        self,
        weight_limit: int = 6000,
        orders_per_10s: int = 50,
        orders_per_day: int = 160_000,
        strikes_before_ban: int = 3,
        ban_ms: int = 120_000,
    ) -> None:
        self.weight_limit = weight_limit
        self.orders_per_10s = orders_per_10s
        self.orders_per_day = orders_per_day
        self.strikes_before_ban = strikes_before_ban
        self.ban_ms = ban_ms
        self.ips: dict[str, IpState] = {}
        self.orders_10s = Window(TEN_SECONDS_MS)
        self.orders_day = Window(DAY_MS)

    def exchange_info_limits(self) -> list[dict[str, object]]:
        return [
            {
                "rateLimitType": "REQUEST_WEIGHT",
                "interval": "MINUTE",
                "intervalNum": 1,
                "limit": self.weight_limit,
            },
            {
                "rateLimitType": "ORDERS",
                "interval": "SECOND",
                "intervalNum": 10,
                "limit": self.orders_per_10s,
            },
            {
                "rateLimitType": "ORDERS",
                "interval": "DAY",
                "intervalNum": 1,
                "limit": self.orders_per_day,
            },
            {
                "rateLimitType": "RAW_REQUESTS",
                "interval": "MINUTE",
                "intervalNum": 5,
                "limit": 300000,
            },
        ]

    def _ip(self, ip: str, now_ms: int) -> IpState:
        state = self.ips.setdefault(ip, IpState())
        state.weight.roll(now_ms)
        return state

    def used_weight(self, ip: str, now_ms: int) -> int:
        return self._ip(ip, now_ms).weight.used

    def check(self, ip: str, weight: int, now_ms: int, sent_ms: int | None = None) -> None:
        """Refuses (429, or 418 during a ban) a request that would go over the weight limit.

        `sent_ms` is when the client built the request (a signed request's `timestamp`); None
        means it is known only to have arrived at `now_ms`. See the strike rule above.
        """
        state = self._ip(ip, now_ms)
        if now_ms < state.banned_until_ms:
            raise self._banned(state, now_ms)
        if now_ms < state.backoff_until_ms:  # told to wait
            if self._could_have_known(state, now_ms, sent_ms):
                state.strikes += 1
            if state.strikes >= self.strikes_before_ban:
                state.bans += 1
                state.banned_until_ms = now_ms + self.ban_ms * 2 ** (state.bans - 1)
                state.strikes = 0
                raise self._banned(state, now_ms)
            raise too_many_requests(self.weight_limit, _seconds(state.backoff_until_ms - now_ms))
        state.strikes = 0
        if state.weight.used + weight > self.weight_limit:
            retry = state.weight.retry_after_s(now_ms)
            state.backoff_issued_ms = now_ms
            state.backoff_until_ms = now_ms + retry * 1000
            raise too_many_requests(self.weight_limit, str(retry))

    @staticmethod
    def _could_have_known(state: IpState, now_ms: int, sent_ms: int | None) -> bool:
        """Whether a request inside a Retry-After window was sent after the 429 was."""
        moment = now_ms if sent_ms is None else sent_ms
        return moment > state.backoff_issued_ms

    def note_arrival(self, ip: str, now_ms: int) -> None:
        """Count a request that arrives while its IP was told to wait (a client ignoring 429s)."""
        state = self._ip(ip, now_ms)
        if now_ms < max(state.backoff_until_ms, state.banned_until_ms):
            state.early += 1

    def back_off(self, ip: str, now_ms: int, retry_after_s: int) -> None:
        """Tell `ip` to wait `retry_after_s`; requests before then are strikes toward a ban."""
        state = self._ip(ip, now_ms)
        state.backoff_issued_ms = now_ms
        state.backoff_until_ms = max(state.backoff_until_ms, now_ms + retry_after_s * 1000)

    def _banned(self, state: IpState, now_ms: int) -> ApiError:
        return ApiError(
            -1003,
            f"Way too much request weight used; IP banned until {state.banned_until_ms}. "
            "Please use WebSocket Streams for live updates to avoid bans.",
            status=418,
            headers={"Retry-After": _seconds(state.banned_until_ms - now_ms)},
        )

    def add(self, ip: str, weight: int, now_ms: int) -> None:
        self._ip(ip, now_ms).weight.used += weight

    def check_order(self, now_ms: int) -> None:
        for window, limit, label in (
            (self.orders_10s, self.orders_per_10s, "10 SECOND"),
            (self.orders_day, self.orders_per_day, "1 DAY"),
        ):
            window.roll(now_ms)
            if window.used + 1 > limit:
                raise ApiError(
                    -1015,
                    f"Too many new orders; current limit is {limit} orders per {label}.",
                    status=429,
                    headers={"Retry-After": str(window.retry_after_s(now_ms))},
                )

    def count_order(self, now_ms: int) -> None:
        for window in (self.orders_10s, self.orders_day):
            window.roll(now_ms)
            window.used += 1

    def order_headers(self, now_ms: int) -> dict[str, str]:
        self.orders_10s.roll(now_ms)
        self.orders_day.roll(now_ms)
        return {
            "X-MBX-ORDER-COUNT-10S": str(self.orders_10s.used),
            "X-MBX-ORDER-COUNT-1D": str(self.orders_day.used),
        }

    def reset(self) -> None:
        self.ips.clear()
        self.orders_10s = Window(TEN_SECONDS_MS)
        self.orders_day = Window(DAY_MS)


def too_many_requests(limit: int, retry_after_s: str) -> ApiError:
    return ApiError(
        -1003,
        f"Too much request weight used; current limit is {limit} request weight per 1 MINUTE. "
        "Please use WebSocket Streams for live updates to avoid polling the API.",
        status=429,
        headers={"Retry-After": retry_after_s},
    )
