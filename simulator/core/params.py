"""Request parameters as Binance reads them: query string plus form body, strict parsing.

Every malformed value becomes the ApiError Binance would send; nothing here raises anything else.
"""

from __future__ import annotations

import re
from collections.abc import Container
from decimal import Decimal, InvalidOperation
from urllib.parse import parse_qsl

from simulator.core import errors
from simulator.core.errors import ApiError

_DECIMAL = re.compile(errors.DECIMAL_RANGE)
_INTEGER = re.compile(errors.INTEGER_RANGE)
_SIGNED_INTEGER = re.compile(r"^-?[0-9]{1,20}$")
SYMBOL_RANGE = "^[A-Z0-9-_.]{1,20}$"
_SYMBOL = re.compile(SYMBOL_RANGE)
MAX_DECIMALS = 8


def parse_pairs(raw: str) -> list[tuple[str, str]]:
    try:
        return parse_qsl(raw, keep_blank_values=True, strict_parsing=False, max_num_fields=200)
    except ValueError as e:  # too many fields
        raise ApiError(-1101, "Too many parameters sent for this endpoint.") from e


def merge_params(query: str, body: str) -> dict[str, str]:
    """Query and body together; a name repeated within one is -1101, the query wins across."""
    merged: dict[str, str] = {}
    for source in (parse_pairs(body), parse_pairs(query)):
        seen: set[str] = set()
        for name, value in source:
            if name in seen:
                raise errors.duplicate_param()
            seen.add(name)
            merged[name] = value
    return merged


class Params:
    """Typed accessors over the raw string parameters of one request."""

    def __init__(self, values: dict[str, str]) -> None:
        self.values = values

    def has(self, name: str) -> bool:
        return self.values.get(name, "") != ""

    def text(
        self, name: str, required: bool = False, max_len: int = 100, default: str | None = None
    ) -> str | None:
        value = self.values.get(name)
        if value is None or value == "":
            if required:
                raise errors.mandatory(name)
            return default
        if len(value) > max_len or not value.isprintable():
            raise errors.invalid_value(name)
        return value

    def required_text(self, name: str) -> str:
        value = self.text(name, required=True)
        assert value is not None
        return value

    def symbol(
        self, known: Container[str], required: bool = True, name: str = "symbol"
    ) -> str | None:
        """A listed symbol's name: -1100 when it cannot be one, -1121 when it is not listed."""
        value = self.text(name, required)
        if value is None:
            return None
        if not _SYMBOL.match(value):
            raise errors.illegal_chars(name, SYMBOL_RANGE)
        if value not in known:
            raise errors.invalid_symbol()
        return value

    def decimal(self, name: str, required: bool = False) -> Decimal | None:
        value = self.text(name, required)
        if value is None:
            return None
        if not _DECIMAL.match(value):
            raise errors.illegal_chars(name, errors.DECIMAL_RANGE)
        try:
            number = Decimal(value)
        except InvalidOperation as e:
            raise errors.illegal_chars(name, errors.DECIMAL_RANGE) from e
        exponent = number.normalize().as_tuple().exponent
        if isinstance(exponent, int) and -exponent > MAX_DECIMALS:
            raise errors.too_much_precision(name)
        return number

    def required_decimal(self, name: str) -> Decimal:
        value = self.decimal(name, required=True)
        assert value is not None
        return value

    def integer(self, name: str, required: bool = False, signed: bool = False) -> int | None:
        value = self.text(name, required)
        if value is None:
            return None
        pattern = _SIGNED_INTEGER if signed else _INTEGER
        if not pattern.match(value):
            raise errors.illegal_chars(name, errors.INTEGER_RANGE)
        return int(value)

    def enum(
        self, name: str, allowed: tuple[str, ...], error: ApiError, required: bool = False
    ) -> str | None:
        value = self.text(name, required)
        if value is None:
            return None
        if value not in allowed:
            raise error
        return value

    def limit(self, default: int, maximum: int, name: str = "limit") -> int:
        value = self.integer(name)
        if value is None:
            return default
        if value < 1:
            raise errors.invalid_value(name)
        return min(value, maximum)

    def boolean(self, name: str) -> bool | None:
        value = self.text(name)
        if value is None:
            return None
        if value.lower() not in ("true", "false"):
            raise errors.invalid_value(name)
        return value.lower() == "true"

    def flag(self, name: str) -> bool:
        """A boolean that is false when absent."""
        return bool(self.boolean(name))
