"""The pages' way into the engine's database: a reader cursor per call, never the writer."""

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


def read_exact_df(sql: str, params: list[Any]) -> pd.DataFrame:
    """Like `read_df`, but DECIMAL columns come back as exact `Decimal`s (through Arrow)."""
    with store().reader() as cur:
        return cur.sql(sql, params=params).to_arrow_table().to_pandas(date_as_object=False)
