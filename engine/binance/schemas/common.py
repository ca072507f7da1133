"""Shared helpers of the payload parsers: typed field reads that fail loudly.

Payloads arrive as dicts (python-binance parses REST, our websocket readers use orjson). A
missing field raises `SchemaError` naming the payload type and the field: a changed Binance
schema must fail loudly, not produce zeros. Stream events may come wrapped
(`{"stream", "data"}` or `{"subscriptionId", "event"}`): `unwrap` removes the wrapper.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

Payload = Mapping[str, Any]
ZERO = Decimal(0)


class SchemaError(ValueError):
    """A Binance payload lacks a field we rely on, or holds a value we do not know."""


def _get(payload: Payload, key: str, what: str) -> Any:
    try:
        return payload[key]
    except KeyError:
        raise SchemaError(f"{what}: missing field {key!r}") from None


def _dec(payload: Payload, key: str, what: str) -> Decimal:
    raw = _get(payload, key, what)
    try:
        return Decimal(str(raw))
    except ArithmeticError:
        raise SchemaError(f"{what}: field {key!r} is not a number: {raw!r}") from None


def _dec_or_none(payload: Payload, key: str, what: str) -> Decimal | None:
    """A price where Binance sends "0" or null for "not set" (market price, no stop, no fills)."""
    if _get(payload, key, what) is None:
        return None
    value = _dec(payload, key, what)
    return value if value else None


def _first(payload: Payload, keys: tuple[str, ...], what: str) -> Any:
    for key in keys:
        if key in payload:
            return payload[key]
    raise SchemaError(f"{what}: missing all of {keys}")


def unwrap(message: Payload) -> Payload:
    """The event inside a combined-stream or WS-API user-data wrapper (or the message itself)."""
    if "data" in message and "stream" in message:
        return message["data"]
    if "event" in message and "subscriptionId" in message:
        return message["event"]
    return message
