"""The `symbols` table: the exchange's catalogue as exchangeInfo lists it now."""

from __future__ import annotations

import duckdb
import pyarrow as pa

from engine.clock import now_ms
from engine.models import TradingPair
from engine.store.writer import upsert_arrow

_COLUMNS = ("market", "symbol", "base", "quote", "status", "pair", "updated_ms")


def replace_symbols(con: duckdb.DuckDBPyConnection, pairs: list[TradingPair]) -> None:
    """Replace the catalogue in one transaction (delisted symbols disappear)."""
    stamp = now_ms()
    rows = [(p.market.value, p.symbol, p.base, p.quote, p.status, p.model_dump_json(), stamp)
            for p in pairs]  # fmt: skip
    con.execute("BEGIN")
    try:
        con.execute("DELETE FROM symbols")
        if rows:
            columns = list(zip(*rows, strict=True))
            upsert_arrow(con, "symbols", pa.table(dict(zip(_COLUMNS, columns, strict=True))))
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
