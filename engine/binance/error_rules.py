"""Which of our errors a Binance error is: the declarative table, and the classifier.

The mapping is `RULES` by code; codes whose meaning depends on the message text (-1003, -1013,
-2010, -2011) are refined by `MESSAGE_RULES`, and the few codes that mean different things on
spot and USD-M by `MARKET_RULES`. The HTTP status decides for 429/418, and for a 5xx or 403
whose body names no known code.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

from engine.binance.errors import (
    AuthError,
    ClockSkew,
    ConfigurationError,
    ExchangeError,
    IpBanned,
    NotFound,
    NothingToChange,
    OrderRejected,
    RateLimited,
    TemporaryError,
    Throttled,
    parse_retry_after,
)
from engine.models import MarketType


class Rule(NamedTuple):
    error: type[ExchangeError]
    reason: str


_RETRY_LATER = "Binance is busy or restarting; the request was not executed. Try again shortly."
_UNKNOWN_OUTCOME = (
    "Binance did not confirm the result. An order may or may not have been placed; "
    "check open orders before sending it again."
)
_BAD_REQUEST = "The request was malformed; this is a bug in tradedesk, please report it."

RULES: Mapping[int, Rule] = {
    # 10xx: general server or network issues
    -1000: Rule(TemporaryError, _UNKNOWN_OUTCOME),
    -1001: Rule(TemporaryError, _UNKNOWN_OUTCOME),
    -1002: Rule(AuthError, "This API key is not authorized for this request."),
    -1003: Rule(RateLimited, "Too many requests: waiting before sending more."),
    -1006: Rule(TemporaryError, _UNKNOWN_OUTCOME),
    -1007: Rule(TemporaryError, _UNKNOWN_OUTCOME),
    -1008: Rule(Throttled, _RETRY_LATER),
    -1013: Rule(OrderRejected, "The order breaks one of the pair's trading rules."),
    -1014: Rule(OrderRejected, "This combination of order options is not supported."),
    -1015: Rule(RateLimited, "Too many new orders in a short time: waiting before sending more."),
    -1016: Rule(Throttled, "Binance is shutting this service down; try again later."),
    -1020: Rule(ConfigurationError, "Binance does not support this operation."),
    -1021: Rule(ClockSkew, "The computer's clock is out of sync with Binance; resyncing."),
    -1022: Rule(AuthError, "The request signature is invalid: check the API secret."),
    -1023: Rule(ConfigurationError, "The start time is after the end time."),
    -1099: Rule(
        AuthError, "Binance found nothing, or this key may not access it: check the API key."
    ),
    # 11xx: request issues
    -1100: Rule(ConfigurationError, "A parameter contains characters Binance does not accept."),
    -1101: Rule(ConfigurationError, _BAD_REQUEST),
    -1102: Rule(ConfigurationError, "A required value was missing or malformed."),
    -1103: Rule(ConfigurationError, _BAD_REQUEST),
    -1104: Rule(ConfigurationError, "A value was sent that this order type does not use."),
    -1105: Rule(ConfigurationError, "A required value was empty."),
    -1106: Rule(ConfigurationError, "A value was sent that this order type does not use."),
    -1108: Rule(ConfigurationError, "A value is too large for Binance."),
    -1111: Rule(
        OrderRejected, "Price or quantity has more decimals than this pair allows; round it."
    ),
    -1112: Rule(OrderRejected, "There are no orders on the book to trade against."),
    -1114: Rule(ConfigurationError, "Time in force is not used with this order type."),
    -1115: Rule(OrderRejected, "This time in force is not supported for this order."),
    -1116: Rule(OrderRejected, "This order type is not supported."),
    -1117: Rule(ConfigurationError, "Invalid side: must be BUY or SELL."),
    -1118: Rule(ConfigurationError, "The client order id is empty."),
    -1119: Rule(ConfigurationError, "The original client order id is empty."),
    -1120: Rule(ConfigurationError, "Invalid candle interval."),
    -1121: Rule(ConfigurationError, "This pair does not exist on this exchange."),
    -1122: Rule(OrderRejected, "This pair is not trading right now."),
    -1125: Rule(NotFound, "The user-data stream key expired; a new one is needed."),
    -1127: Rule(ConfigurationError, "The requested time range is too long."),
    -1128: Rule(ConfigurationError, "This combination of optional values is not valid."),
    -1130: Rule(ConfigurationError, "A value sent to Binance is not valid."),
    -1136: Rule(ConfigurationError, "Invalid response type requested."),
    -1145: Rule(ConfigurationError, "Invalid cancel restriction."),
    -1220: Rule(OrderRejected, "The pair's status does not match the requested status."),
    # 20xx: processing issues
    -2010: Rule(OrderRejected, "The exchange rejected the order."),
    -2011: Rule(OrderRejected, "The exchange refused to cancel the order."),
    -2013: Rule(NotFound, "The exchange has no such order."),
    -2014: Rule(AuthError, "The API key format is invalid: check the key in settings."),
    -2015: Rule(
        AuthError,
        "Invalid API key, IP or permissions: check the key, its trading permission and the "
        "IP whitelist on Binance.",
    ),
    -2016: Rule(OrderRejected, "No trading window is open for this pair."),
    -2018: Rule(OrderRejected, "Not enough balance for this order."),
    -2019: Rule(OrderRejected, "Not enough margin: lower the size or leverage, or add funds."),
    -2020: Rule(OrderRejected, "The order could not be filled as requested (FOK/IOC)."),
    -2021: Rule(
        OrderRejected, "The stop or activation price is on the wrong side: it would trigger now."
    ),
    -2022: Rule(OrderRejected, "Reduce-only order rejected: it conflicts with open orders."),
    -2023: Rule(OrderRejected, "The account is being liquidated; only the exchange can act now."),
    -2024: Rule(OrderRejected, "The position is smaller than the reduce-only quantity."),
    -2025: Rule(OrderRejected, "Too many open orders on this pair: cancel some first."),
    -2026: Rule(NotFound, "The order is archived (canceled or expired unfilled long ago)."),
    -2027: Rule(OrderRejected, "The position would exceed the maximum allowed at this leverage."),
    -2028: Rule(OrderRejected, "Not enough margin balance for this leverage."),
    -2035: Rule(NothingToChange, "The user-data subscription is already active."),
    -2036: Rule(NotFound, "The user-data subscription is not active."),
    -2038: Rule(OrderRejected, "The order can no longer be amended."),
    # 4xxx: USD-M order and account checks
    -4000: Rule(OrderRejected, "The order is not in a state that allows this."),
    -4001: Rule(OrderRejected, "The price must be greater than zero."),
    -4002: Rule(OrderRejected, "The price is above this pair's maximum price."),
    -4003: Rule(OrderRejected, "The quantity must be greater than zero."),
    -4004: Rule(OrderRejected, "The quantity is below this pair's minimum."),
    -4005: Rule(OrderRejected, "The quantity is above this pair's maximum."),
    -4006: Rule(OrderRejected, "The stop price must be greater than zero."),
    -4007: Rule(OrderRejected, "The stop price is above this pair's maximum price."),
    -4013: Rule(OrderRejected, "The price is below this pair's minimum price."),
    -4014: Rule(OrderRejected, "The price is not a multiple of the tick size."),
    -4015: Rule(ConfigurationError, "The client order id is invalid (more than 36 characters)."),
    -4016: Rule(OrderRejected, "The price is too far above the mark price for this pair."),
    -4023: Rule(OrderRejected, "The quantity is not a multiple of the step size."),
    -4024: Rule(OrderRejected, "The price is too far below the mark price for this pair."),
    -4028: Rule(OrderRejected, "This leverage is not allowed for this pair."),
    -4031: Rule(ConfigurationError, "Invalid trigger price type (working type)."),
    -4045: Rule(OrderRejected, "Too many open stop orders on this pair: cancel some first."),
    -4046: Rule(NothingToChange, "The margin type is already set."),
    -4047: Rule(OrderRejected, "Cannot change the margin type while orders are open."),
    -4048: Rule(OrderRejected, "Cannot change the margin type while a position is open."),
    -4059: Rule(NothingToChange, "The position mode is already set."),
    -4060: Rule(ConfigurationError, "Invalid position side."),
    -4061: Rule(
        ConfigurationError,
        "The order's position side does not match the account's position mode (one-way or "
        "hedge), changed outside the desk maybe: the desk reads the mode again; check it on "
        "Portfolio and send the order again.",
    ),
    -4062: Rule(ConfigurationError, "Reduce-only cannot be used in this position mode."),
    -4067: Rule(OrderRejected, "Cannot change the position mode while orders are open."),
    -4068: Rule(OrderRejected, "Cannot change the position mode while a position is open."),
    -4082: Rule(ConfigurationError, "Invalid number of orders in the batch."),
    -4083: Rule(TemporaryError, "The batch could not be placed; check open orders."),
    -4116: Rule(OrderRejected, "An order with this client order id is already open."),
    -4118: Rule(OrderRejected, "Reduce-only order failed the margin check."),
    -4120: Rule(
        ConfigurationError, "Stop and take-profit orders must go through the algo order service."
    ),
    -4131: Rule(
        OrderRejected,
        "The best opposite price is too far from the mark price; a market order is not "
        "allowed now.",
    ),
    -4135: Rule(OrderRejected, "Invalid activation price."),
    -4137: Rule(ConfigurationError, "Quantity must be empty when closing the whole position."),
    -4138: Rule(
        ConfigurationError, "Reduce-only cannot be combined with closing the whole position."
    ),
    -4142: Rule(OrderRejected, "The take-profit or stop order would trigger immediately."),
    -4161: Rule(OrderRejected, "Leverage cannot be reduced while an isolated position is open."),
    -4164: Rule(
        OrderRejected,
        "The order value (price x quantity) is below the pair's minimum; "
        "raise the quantity or use reduce-only.",
    ),
    -4183: Rule(OrderRejected, "The limit price is too far above the stop price."),
    -4184: Rule(OrderRejected, "The limit price is too far below the stop price."),
    -4400: Rule(OrderRejected, "Binance risk control: only reduce-only orders are allowed."),
    -4401: Rule(OrderRejected, "Binance large-position control: only reduce-only orders."),
    # 5xxx: USD-M order execution
    -5021: Rule(OrderRejected, "Fill-or-kill order could not be filled completely; canceled."),
    -5022: Rule(OrderRejected, "Post-only order would trade immediately; canceled."),
    -5027: Rule(NothingToChange, "The order already has these values."),
    -5028: Rule(ClockSkew, "The request reached the matching engine too late; resyncing."),
    -5040: Rule(OrderRejected, "Good-till-date must be more than 10 minutes ahead."),
}

# Codes that mean something else on one market.
MARKET_RULES: Mapping[tuple[MarketType, int], Rule] = {
    (MarketType.FUTURES, -1108): Rule(ConfigurationError, "Invalid asset."),
    (MarketType.FUTURES, -2026): Rule(OrderRejected, "This order type cannot be reduce-only."),
}

_FILTER_REASONS: Mapping[str, str] = {
    "PRICE_FILTER": (
        "Price is outside the allowed range or not a multiple of the tick size for this pair."
    ),
    "PERCENT_PRICE": "Price is too far from the current average price for this pair.",
    "PERCENT_PRICE_BY_SIDE": "Price is too far from the current price on this side.",
    "LOT_SIZE": (
        "Quantity is not a multiple of the step size or is outside the allowed range for this pair."
    ),
    "MARKET_LOT_SIZE": "Quantity is outside the allowed range for market orders on this pair.",
    "MIN_NOTIONAL": "Order value (price x quantity) is below the pair's minimum.",
    "NOTIONAL": "Order value (price x quantity) is outside the pair's allowed range.",
    "ICEBERG_PARTS": "The iceberg would have too many parts.",
    "MAX_NUM_ORDERS": "Too many open orders on this pair: cancel some first.",
    "MAX_NUM_ALGO_ORDERS": "Too many open stop/take-profit orders on this pair.",
    "MAX_NUM_ICEBERG_ORDERS": "Too many open iceberg orders on this pair.",
    "MAX_POSITION": "This buy would take the position above the pair's maximum.",
    "TRAILING_DELTA": "The trailing delta is outside the allowed range.",
    "MAX_NUM_ORDER_LISTS": "Too many open order lists on this pair.",
    "EXCHANGE_MAX_NUM_ORDERS": "Too many open orders on the account.",
    "EXCHANGE_MAX_NUM_ALGO_ORDERS": "Too many open stop/take-profit orders on the account.",
    "EXCHANGE_MAX_NUM_ICEBERG_ORDERS": "Too many open iceberg orders on the account.",
    "EXCHANGE_MAX_NUM_ORDER_LISTS": "Too many open order lists on the account.",
}

# (code, lowercase text found in Binance's msg) -> rule, checked in order before RULES.
MESSAGE_RULES: tuple[tuple[int, str, Rule], ...] = (
    (-1003, "ip banned", Rule(IpBanned, "Binance banned this IP for too many requests.")),
    *(
        (code, f"filter failure: {name.lower()}", Rule(OrderRejected, reason))
        for name, reason in sorted(_FILTER_REASONS.items(), key=lambda item: -len(item[0]))
        for code in (-1013, -2010)
    ),
    (-2010, "insufficient balance", Rule(OrderRejected, "Not enough free balance for this order.")),
    (
        -2010,
        "duplicate order",
        Rule(OrderRejected, "An order with this client id is already open."),
    ),
    (
        -2010,
        "would trigger immediately",
        Rule(
            OrderRejected,
            "The stop price is on the wrong side of the market: it would trigger now.",
        ),
    ),
    (
        -2010,
        "would immediately match",
        Rule(OrderRejected, "Post-only (maker) order would trade immediately; not placed."),
    ),
    (-2010, "market is closed", Rule(OrderRejected, "This market is closed right now.")),
    (
        -2010,
        "unsupported order combination",
        Rule(OrderRejected, "This combination of order options is not supported."),
    ),
    (-2010, "zero or less", Rule(OrderRejected, "Price x quantity must be greater than zero.")),
    (-2010, "icebergqty exceeds", Rule(OrderRejected, "The iceberg part exceeds the quantity.")),
    (
        -2010,
        "not supported",
        Rule(OrderRejected, "This order type is not supported for this pair."),
    ),
    (
        -2010,
        "not permitted for this account",
        Rule(AuthError, "This account is not permitted to trade this pair."),
    ),
    (
        -2010,
        "order book liquidity is less",
        Rule(OrderRejected, "Not enough liquidity on the book to fill the minimum quantity."),
    ),
    (-2011, "unknown order", Rule(NotFound, "The order is not open any more (filled or gone).")),
    (
        -2011,
        "cancel restrictions",
        Rule(OrderRejected, "The order was not canceled because of its cancel restriction."),
    ),
)


def _rule_for(code: int, message: str, market: MarketType | None) -> Rule | None:
    lowered = message.lower()
    for rule_code, text, rule in MESSAGE_RULES:
        if rule_code == code and text in lowered:
            return rule
    if market is not None and (market, code) in MARKET_RULES:
        return MARKET_RULES[(market, code)]
    return RULES.get(code)


def _rule_for_status(http_status: int | None, message: str) -> Rule | None:
    """HTTP statuses that decide the class on their own, whatever the body says."""
    if http_status == 418:
        return Rule(IpBanned, "Binance banned this IP for too many requests.")
    if http_status == 429:
        return Rule(RateLimited, "Too many requests: waiting before sending more.")
    if http_status == 503 and "service unavailable" in message.lower():
        return Rule(Throttled, _RETRY_LATER)
    if http_status == 403:
        return Rule(AuthError, "Binance's firewall refused the request (HTTP 403).")
    if http_status is not None and (http_status >= 500 or http_status == 408):
        return Rule(TemporaryError, _UNKNOWN_OUTCOME)
    return None


def _fallback(code: int, message: str, http_status: int | None) -> Rule:
    if code == 0 and http_status is None:
        return Rule(TemporaryError, _UNKNOWN_OUTCOME)
    if code == 0:
        # No Binance body (a proxy's or server's page): its text is for the log, not the trader.
        if http_status == 404:
            return Rule(ConfigurationError, "This exchange does not offer that request.")
        return Rule(OrderRejected, f"HTTP {http_status} came back without a Binance reason.")
    return Rule(OrderRejected, f"Binance refused the request: {message or 'no reason given'}")


def _classify(code: int, message: str, http_status: int | None, market: MarketType | None) -> Rule:
    by_status = _rule_for_status(http_status, message)
    by_code = _rule_for(code, message, market)
    if by_code is not None and by_code.error is IpBanned:
        return by_code
    # 429/418 always decide; a 5xx or 403 decides unless the body names a known code.
    if by_status is not None and (by_code is None or issubclass(by_status.error, RateLimited)):
        return by_status
    return by_code or _fallback(code, message, http_status)


def from_binance(
    exc_or_code: Any,
    msg: str = "",
    http_status: int | None = None,
    retry_after: float | None = None,
    *,
    market: MarketType | None = None,
) -> ExchangeError:
    """Our error for a Binance error code and message, or for a `BinanceAPIException`.

    python-binance's exception gives code 0 when the body is not JSON (a 429/418/5xx from a
    proxy, an HTML error page); the HTTP status then decides. `market` picks the meaning of
    the few codes that differ between spot and USD-M.
    """
    if isinstance(exc_or_code, int):
        code = exc_or_code
    else:
        code = int(getattr(exc_or_code, "code", 0) or 0)
        msg = msg or str(getattr(exc_or_code, "message", "") or "")
        http_status = http_status or getattr(exc_or_code, "status_code", None)
        retry_after = retry_after if retry_after is not None else _retry_after_of(exc_or_code)
    rule = _classify(code, msg, http_status, market)
    return rule.error(
        rule.reason,
        code=code,
        binance_message=msg,
        http_status=http_status,
        retry_after=retry_after,
    )


def from_transport_failure(exc: BaseException) -> TemporaryError:
    """A timeout, dropped connection or unreadable 2xx body: the outcome is unknown."""
    return TemporaryError(
        _UNKNOWN_OUTCOME,
        binance_message=f"{type(exc).__name__}: {exc}",
    )


def _retry_after_of(exc: Any) -> float | None:
    headers = getattr(getattr(exc, "response", None), "headers", None)
    if headers is None:
        return None
    return parse_retry_after(headers.get("Retry-After"))
