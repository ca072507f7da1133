"""The pages' way into DuckDB: a cursor per call, floats for showing, exact decimals for
figures that must not be rounded (amounts, downloads)."""

from __future__ import annotations

from typing import Any

import pandas as pd

from app.runtime import get_engine
from engine.store.database import Store


def store() -> Store:
    """The running engine's database."""
    return get_engine().store


def read_df(sql: str, params: list[Any] | None = None) -> pd.DataFrame:
    with store().reader() as cur:
        return cur.execute(sql, params or []).df()


def read_exact(sql: str, params: list[Any]) -> pd.DataFrame:
    """Like `_df`, but DECIMAL columns come back as exact `Decimal`s (through Arrow), not floats."""
    with store().reader() as cur:
        return cur.sql(sql, params=params).to_arrow_table().to_pandas(date_as_object=False)


def columns(columns: str, exact: bool) -> str:
    """A select list as shown (decimals cast to DOUBLE) or as stored (`exact`, for downloads)."""
    return columns.replace("::DOUBLE", "") if exact else columns
