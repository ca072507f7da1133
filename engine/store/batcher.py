"""Writes that share one transaction: order events land a few milliseconds apart, in order.

A DuckDB commit costs milliseconds, so writing every order event in its own transaction made
replies wait behind the database under load. `WriteBatcher.submit` queues a write and returns
a future at once; the writes queued meanwhile run together, in submission order, in one
transaction on the database thread. If that transaction fails, each write is tried again on
its own, so one bad write cannot take the others with it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

import duckdb

from engine.store.database import Store

log = logging.getLogger(__name__)

Work = Callable[[duckdb.DuckDBPyConnection], Any]


class WriteBatcher:
    def __init__(self, store: Store, delay_s: float = 0.002) -> None:
        self._store = store
        self._delay_s = delay_s
        self._queued: list[tuple[Work, asyncio.Future[None]]] = []
        self._flushing: asyncio.Task[None] | None = None
        self.batches = 0
        self.writes = 0

    def submit(self, work: Work) -> asyncio.Future[None]:
        """Queue `work(con)`; the future resolves once it is committed (or fails)."""
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._queued.append((work, future))
        if self._flushing is None or self._flushing.done():
            self._flushing = asyncio.ensure_future(self._flush_soon())
        return future

    def pending(self) -> int:
        return len(self._queued)

    async def flush(self) -> None:
        """Write everything queued now (and wait for it)."""
        while self._queued:
            batch, self._queued = self._queued, []
            works = [work for work, _ in batch]
            errors = await self._store.write(lambda con, works=works: _run_batch(con, works))
            self.batches += 1
            self.writes += len(batch)
            for (_, future), error in zip(batch, errors, strict=True):
                if future.done():
                    continue
                if error is None:
                    future.set_result(None)
                else:
                    future.set_exception(error)

    async def _flush_soon(self) -> None:
        await asyncio.sleep(self._delay_s)
        await self.flush()


def _run_batch(con: duckdb.DuckDBPyConnection, works: list[Work]) -> list[Exception | None]:
    con.execute("BEGIN")
    try:
        for work in works:
            work(con)
        con.execute("COMMIT")
        return [None] * len(works)
    except Exception as exc:
        con.execute("ROLLBACK")
        log.error("A batch of %d writes failed (%s); writing them one by one.", len(works), exc)
    return [_run_one(con, work) for work in works]


def _run_one(con: duckdb.DuckDBPyConnection, work: Work) -> Exception | None:
    try:
        con.execute("BEGIN")
        work(con)
        con.execute("COMMIT")
        return None
    except Exception as exc:
        con.execute("ROLLBACK")
        log.error("Writing an order event failed: %s", exc)
        return exc
