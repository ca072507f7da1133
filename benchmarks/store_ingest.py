"""Ingest 1,000,000 kline rows through the engine's BatchWriter and through DuckDB's own bulk
Arrow insert, into a file database with the real schema; print rows/s and the ratio as JSON.

Writer path, as in the engine: a producer on the event loop hands over rows as a stream parser
would (Python tuples, `--batch` at a time, yielding to the loop between batches) while the
writer's own task flushes every 250 ms, or straight away again while a backlog waits, on the
database thread. Baseline: the same rows, already one Arrow table, in a single INSERT OR REPLACE
into the same table. Both start from an empty database file.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
from pathlib import Path

import pyarrow as pa

from engine.store.database import Store
from engine.store.tables import KLINES
from engine.store.writer import BatchWriter, upsert_arrow

SYMBOLS = ("BTCUSDT", "ETHUSDT", "BNBUSDT", "SOLUSDT", "XRPUSDT",
           "ADAUSDT", "DOGEUSDT", "DOTUSDT", "LTCUSDT", "LINKUSDT")  # fmt: skip


def make_rows(n: int) -> list[tuple]:
    per_symbol = n // len(SYMBOLS)
    rows = []
    for s, symbol in enumerate(SYMBOLS):
        base = 100.0 * (s + 1)
        for i in range(per_symbol):
            t = 1_600_000_000_000 + i * 60_000
            p = base + (i % 500) * 0.01
            rows.append(("spot", symbol, "1m", t, p, p + 1, p - 1, p + 0.5, 10.0 + i % 7,
                         t + 59_999, p * 10, 100 + i % 50, True))  # fmt: skip
    return rows


async def stream_into(writer: BatchWriter, rows: list[tuple], batch: int, backlog: int) -> None:
    flusher = asyncio.create_task(writer.run(period_s=0.25, backlog_rows=backlog))
    for i in range(0, len(rows), batch):
        writer.add_many(KLINES, rows[i : i + batch])
        await asyncio.sleep(0)
    while writer.rows_written < len(rows):
        await asyncio.sleep(0.001)
    flusher.cancel()


def bench_writer(path: Path, rows: list[tuple], batch: int, backlog: int) -> tuple[float, int]:
    store = Store(path)
    writer = BatchWriter(store)
    try:
        start = time.perf_counter()
        asyncio.run(stream_into(writer, rows, batch, backlog))
        return time.perf_counter() - start, writer.flushes
    finally:
        store.close()


def bench_bulk_arrow(path: Path, rows: list[tuple]) -> float:
    columns = list(zip(*rows, strict=True))
    table = pa.Table.from_arrays(
        [pa.array(c, type=t) for c, t in zip(columns, KLINES.types, strict=True)],
        names=list(KLINES.columns),
    )
    store = Store(path)
    try:
        start = time.perf_counter()
        store.write_sync(lambda con: upsert_arrow(con, "klines", table))
        return time.perf_counter() - start
    finally:
        store.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--batch", type=int, default=1_000, help="rows handed over per call")
    parser.add_argument("--backlog", type=int, default=5_000, help="flush again at once above")
    args = parser.parse_args()
    rows = make_rows(args.rows)
    with tempfile.TemporaryDirectory() as tmp:
        writer_s, flushes = bench_writer(Path(tmp) / "w.duckdb", rows, args.batch, args.backlog)
        bulk_s = bench_bulk_arrow(Path(tmp) / "bulk.duckdb", rows)
    writer_rate, bulk_rate = len(rows) / writer_s, len(rows) / bulk_s
    print(json.dumps({
        "benchmark": "store_ingest",
        "rows": len(rows),
        "batch_rows": args.batch,
        "writer_flushes": flushes,
        "writer_rows_per_s": round(writer_rate),
        "bulk_arrow_rows_per_s": round(bulk_rate),
        "writer_over_bulk": round(writer_rate / bulk_rate, 3),
        "target_ratio": 0.5,
    }))  # fmt: skip


if __name__ == "__main__":
    main()
