"""Typed reads of USD-M request parameters; every malformed value is Binance's refusal."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from simulator.futures_errors import FuturesError, invalid_param, mandatory_param

_DECIMAL = re.compile(r"^-?[0-9]{1,20}(\.[0-9]{1,20})?$")
_INTEGER = re.compile(r"^-?[0-9]{1,20}$")


class FuturesParams:
    def __init__(self, values: dict[str, str]) -> None:
        self.values = values

    def has(self, name: str) -> bool:
        return self.values.get(name, "") != ""

    def text(self, name: str, required: bool = False, default: str | None = None) -> str | None:
        value = self.values.get(name, "")
        if value == "":
            if required:
                raise mandatory_param(name)
            return default
        return value

    def required_text(self, name: str) -> str:
        value = self.text(name, required=True)
        assert value is not None
        return value

    def decimal(self, name: str, required: bool = False) -> Decimal | None:
        raw = self.text(name, required)
        if raw is None:
            return None
        if not _DECIMAL.match(raw):
            raise FuturesError(
                -1100,
                f"Illegal characters found in parameter '{name}'; legal "
                "range is '^([0-9]{1,20})(\\.[0-9]{1,20})?$'.",
            )
        try:
            return Decimal(raw)
        except InvalidOperation as e:  # pragma: no cover - the pattern admits only numbers
            raise invalid_param(name) from e

    def required_decimal(self, name: str) -> Decimal:
        value = self.decimal(name, required=True)
        assert value is not None
        return value

    def integer(self, name: str, required: bool = False) -> int | None:
        raw = self.text(name, required)
        if raw is None:
            return None
        if not _INTEGER.match(raw):
            raise invalid_param(name)
        return int(raw)

    def boolean(self, name: str) -> bool:
        raw = self.text(name)
        if raw is None:
            return False
        lowered = raw.lower()
        if lowered not in ("true", "false"):
            raise invalid_param(name)
        return lowered == "true"

    def symbol(self, known: set[str] | dict, required: bool = True) -> str | None:
        raw = self.text("symbol", required)
        if raw is None:
            return None
        symbol = raw.upper()
        if symbol not in known:
            raise FuturesError(-1121, "Invalid symbol.")
        return symbol
