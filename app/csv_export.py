"""CSV downloads that a spreadsheet opens as data: no formulas, exact decimals.

A text cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage return is a formula to Excel,
LibreOffice and Google Sheets (`=HYPERLINK(...)` planted in a kill-switch reason or an exchange
text would run on the desk user's machine): such cells get a leading `'`, the spreadsheets' own
"this is text" mark. Numbers are left alone, and exact decimals are written as they are, in
plain notation (88784.23, 0.00000001), never through a float.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pandas as pd

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def to_csv(frame: pd.DataFrame) -> str:
    """`frame` as CSV text, safe to open in a spreadsheet."""
    safe = frame.rename(columns=lambda name: _cell(str(name)))
    for column in safe.columns:
        if not _is_number(safe[column]):
            safe[column] = safe[column].map(_cell, na_action="ignore")
    # CRLF rows (RFC 4180): a field holding a CR or LF is then quoted, never a row break
    return safe.to_csv(index=False, lineterminator="\r\n")


def _is_number(column: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(column) or pd.api.types.is_datetime64_any_dtype(column)


def _cell(value: Any) -> Any:
    if isinstance(value, Decimal):
        return _plain_decimal(value)
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def _plain_decimal(value: Decimal) -> str:
    if not value.is_finite():
        return str(value)
    text = format(value.normalize(), "f")
    return "0" if text in ("-0", "0") else text
