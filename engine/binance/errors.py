"""Binance errors, sorted by what the caller does next.

Every Binance error body is `{"code": <int>, "msg": "<text>"}`; `engine.binance.error_rules`
turns one (or a bare HTTP status) into one of the classes below, with a reason a trader
understands.
"""

from __future__ import annotations

import math
from typing import Any


class ExchangeError(Exception):
    """Binance answered with an error. `reason` is for the trader; the rest is for logs."""

    def __init__(
        self,
        reason: str,
        *,
        code: int = 0,
        binance_message: str = "",
        http_status: int | None = None,
        retry_after: float | None = None,
    ) -> None:
        self.reason = reason
        self.code = code
        self.binance_message = binance_message
        self.http_status = http_status
        self.retry_after = retry_after
        super().__init__(self._describe())

    def _describe(self) -> str:
        if not self.binance_message:
            return self.reason
        return f"{self.reason} (Binance {self.code}: {self.binance_message})"


class OrderRejected(ExchangeError):
    """The exchange said no. Nothing happened; show the reason, do not retry as is."""


class NotFound(ExchangeError):
    """The order (or listen key) does not exist there. On cancel: it is already gone."""


class NothingToChange(ExchangeError):
    """The requested setting is already in effect (margin type, position mode). Treat as done."""


class RateLimited(ExchangeError):
    """Too many requests. Send nothing until `retry_after` seconds have passed."""


class IpBanned(RateLimited):
    """HTTP 418: this IP is banned until `retry_after` seconds from now. Stop all requests."""


class ClockSkew(ExchangeError):
    """-1021: our timestamp is outside the receive window. Resync the clock, retry once."""


class AuthError(ExchangeError):
    """Keys, permissions, IP whitelist or signature. Stop and tell the user; do not retry."""


class TemporaryError(ExchangeError):
    """The exchange or the network failed. Reads: retry with backoff.

    Orders: if `outcome_unknown`, the order may or may not exist: query it by client order id
    before doing anything else, never re-send blindly. Otherwise it was refused and may be
    sent again later.
    """

    def __init__(self, reason: str, *, outcome_unknown: bool = True, **details: Any) -> None:
        self.outcome_unknown = outcome_unknown
        super().__init__(reason, **details)


class Throttled(TemporaryError):
    """Binance refused the request under load (-1008, -1016); it was not executed."""

    def __init__(self, reason: str, **details: Any) -> None:
        super().__init__(reason, outcome_unknown=False, **details)


class ConfigurationError(ExchangeError):
    """The request itself is wrong for this account or symbol (a setting or a bug). Stop."""


def parse_retry_after(value: str | None) -> float | None:
    """Binance sends whole seconds; anything unreadable counts as absent."""
    if value is None:
        return None
    try:
        seconds = float(value)
    except ValueError:
        return None
    return seconds if math.isfinite(seconds) and seconds >= 0 else None
