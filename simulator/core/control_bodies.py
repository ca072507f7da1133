"""Reading the control plane's request bodies: one JSON object of bounded size and depth, and
numbers within bounds. Anything else is a 400 with a Binance-style `{"code", "msg"}` body."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

import orjson
from aiohttp import web

from simulator.core.errors import ApiError

MAX_BODY_BYTES = 256 * 1024
MAX_DEPTH = 8  # the deepest body the control plane takes is 3 levels
MAX_AMOUNT = Decimal(10) ** 15
MAX_PLACES = 8
BAD_BODY = -1130


class BadBody(ValueError):
    """A control body that does not say what it must; the message says what was expected."""


def bad_request(message: str) -> web.Response:
    return error_response(ApiError(BAD_BODY, message))


def error_response(error: ApiError) -> web.Response:
    return web.json_response(error.body(), status=error.status, headers=error.headers)


async def json_body(request: web.Request) -> dict[str, Any]:
    """The body as a JSON object ({} when there is none); raises an HTTP 400 otherwise."""
    if not request.body_exists:
        return {}
    raw = await request.content.read(MAX_BODY_BYTES + 1)
    try:
        if len(raw) > MAX_BODY_BYTES:
            raise BadBody(f"a control body is at most {MAX_BODY_BYTES} bytes")
        return checked_object(raw)
    except BadBody as e:
        body = orjson.dumps(ApiError(BAD_BODY, str(e)).body()).decode()
        raise web.HTTPBadRequest(text=body, content_type="application/json") from None


def checked_object(raw: bytes) -> dict[str, Any]:
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError:  # also orjson's own limit of 1024 levels
        raise BadBody("the body is not JSON (or nested too deeply)") from None
    if not isinstance(body, dict):
        raise BadBody("the body must be a JSON object")
    if _depth(body) > MAX_DEPTH:
        raise BadBody(f"the body is nested more than {MAX_DEPTH} levels deep")
    return body


def _depth(value: Any) -> int:
    """Nesting depth, without recursion (a hostile body must not overflow the stack)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            deepest = max(deepest, depth)
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children)
    return deepest


def decimal_field(
    value: Any,
    name: str,
    low: Decimal = Decimal(0),
    high: Decimal = MAX_AMOUNT,
    places: int = MAX_PLACES,
) -> Decimal:
    """A number (JSON number or string) in [low, high] with at most `places` decimals."""
    if isinstance(value, bool) or not isinstance(value, int | float | str) or len(str(value)) > 40:
        raise BadBody(f"'{name}' must be a number")
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise BadBody(f"'{name}' must be a number") from None
    if not number.is_finite() or not low <= number <= high:
        raise BadBody(f"'{name}' must be a finite number from {low} to {high}")
    exponent = number.as_tuple().exponent
    if (
        isinstance(exponent, int)
        and exponent < -places
        and number != number.quantize(Decimal(1).scaleb(-places))
    ):
        raise BadBody(f"'{name}' has more than {places} decimals")
    return number


def int_field(value: Any, name: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise BadBody(f"'{name}' must be an integer from {low} to {high}")
    return value
