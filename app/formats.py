"""Figures and times as a trader reads them: exact amounts, local times with UTC beside them.

Amounts are never rounded up and never lose a decimal they have: a balance of 0.00999 BTC is
shown as 0.00999, not 0.01. A quantity is padded to its symbol's step (0.00100 on a 0.00001
grid) so a column reads evenly, but a decimal beyond the step is kept, not cut. Money figures
(values, P&L) are shown to the cent. Times are in the browser's timezone (st.context.timezone,
UTC when the browser did not say), with the UTC time for a tooltip.
"""

from __future__ import annotations

import datetime as dt
import math
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import streamlit as st

DASH = "—"
UTC = dt.UTC


def to_decimal(value: object) -> Decimal | None:
    """An exact Decimal of a stored amount (Decimal, int, text or float), None when absent."""
    if value is None:
        return None
    if isinstance(value, Decimal):
        return value if value.is_finite() else None
    if isinstance(value, float) and not math.isfinite(value):
        return None
    try:
        number = Decimal(str(value))  # a float's shortest repr: 0.00999, not 0.0099899...
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def places_of(step: object) -> int:
    """Decimals of a step or tick size (0.00001 -> 5, 1 -> 0)."""
    number = to_decimal(step)
    if number is None or number == 0:
        return 0
    return max(0, -int(number.normalize().as_tuple().exponent))


def amount(value: object, places: int = 0, missing: str = DASH) -> str:
    """`value` with thousands separators, at least `places` decimals, every decimal it has."""
    number = to_decimal(value)
    if number is None:
        return missing
    own = places_of(number) if number else 0
    shown = max(places, own)
    return f"{number:,.{shown}f}"


CENT = Decimal("0.01")


def money(value: object, unit: str = "", missing: str = DASH, signed: bool = False) -> str:
    """A value or P&L to the cent (rounded half-even, as it is an estimate), with its unit."""
    number = to_decimal(value)
    if number is None:
        return missing
    # Explicit rounding: a library may change the thread's decimal context (ccxt does).
    cents = number.quantize(CENT, rounding=ROUND_HALF_EVEN)
    text = f"{cents:+,.2f}" if signed else f"{cents:,.2f}"
    return f"{text} {unit}".rstrip()


def browser_timezone() -> ZoneInfo:
    """The user's timezone as the browser reports it; UTC when it is unknown or not valid."""
    try:
        name = st.context.timezone
    except Exception:  # outside a script run (tests, tools)
        name = None
    if not name:
        return ZoneInfo("UTC")
    try:
        return ZoneInfo(str(name))
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def to_time(ms: object) -> dt.datetime | None:
    """A UTC datetime of epoch milliseconds (or a pandas/python datetime), None when absent."""
    if ms is None:
        return None
    if isinstance(ms, dt.datetime):
        return ms if ms.tzinfo else ms.replace(tzinfo=UTC)
    to_pydatetime = getattr(ms, "to_pydatetime", None)
    if to_pydatetime is not None:  # a pandas Timestamp (NaT is caught below)
        try:
            value = to_pydatetime()
        except ValueError:
            return None
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    try:
        number = float(ms)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    if not math.isfinite(number):
        return None
    return dt.datetime.fromtimestamp(number / 1000, UTC)


def local_time(ms: object, zone: dt.tzinfo, with_date: bool = True) -> str:
    """`2026-12-01 11:32:05 CET` in `zone` (DASH when absent)."""
    moment = to_time(ms)
    if moment is None:
        return DASH
    local = moment.astimezone(zone)
    pattern = "%Y-%m-%d %H:%M:%S %Z" if with_date else "%H:%M:%S %Z"
    return local.strftime(pattern)


def utc_time(ms: object) -> str:
    moment = to_time(ms)
    return DASH if moment is None else moment.strftime("%Y-%m-%d %H:%M:%S UTC")


def zone_label(zone: dt.tzinfo, at: dt.datetime | None = None) -> str:
    """`Europe/Berlin (UTC+01:00)`: the zone and its offset now."""
    moment = (at or dt.datetime.now(UTC)).astimezone(zone)
    offset = moment.strftime("%z")
    sign_hours = f"{offset[:3]}:{offset[3:]}" if offset else "+00:00"
    return f"{getattr(zone, 'key', str(zone))} (UTC{sign_hours})"


def plural(count: int, one: str, many: str | None = None) -> str:
    """`1 order`, `3 orders`."""
    return f"{count} {one if count == 1 else (many or one + 's')}"
