"""The database file: one write connection on its own thread, and reader cursors.

DuckDB connections are not thread-safe, so every write, from any engine task, runs on the
single "db-writer" thread through `Store.write`. Readers (pages, queries) take their own
`cursor()` per call. Migrations run when the store opens.
"""

from __future__ import annotations

import asyncio
import os
import queue
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import duckdb

from engine.store.schema import migrate

T = TypeVar("T")

# DuckDB as the desk needs it: no files, URLs or extensions beyond its own database (Explore
# runs user SQL on this instance), memory and threads that leave the engine room; then locked,
# so no query can change it. Bigger operators spill to `<db>.tmp`, which still works.
DUCKDB_MEMORY_LIMIT = "1GB"
CORES = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
DUCKDB_THREADS = max(1, CORES - 1)
DUCKDB_CONFIG: dict[str, str | int | bool] = {
    "enable_external_access": False,
    "autoinstall_known_extensions": False,
    "autoload_known_extensions": False,
    "allow_community_extensions": False,
    "python_enable_replacements": False,  # no scans of Python variables by name
    "memory_limit": DUCKDB_MEMORY_LIMIT,
    "threads": DUCKDB_THREADS,
    "lock_configuration": True,
}

_WorkItem = tuple[Future[Any], Callable[..., Any], tuple[Any, ...]]


class WriterThread:
    """One daemon thread that runs submitted work in order.

    Not a ThreadPoolExecutor: the interpreter shuts those down before `atexit` handlers run, and
    the engine's final flush at exit must still reach the database.
    """

    def __init__(self, name: str) -> None:
        self._work: queue.SimpleQueue[_WorkItem | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._serve, name=name, daemon=True)
        self._thread.start()

    def submit(self, fn: Callable[..., T], *args: Any) -> Future[T]:
        future: Future[T] = Future()
        self._work.put((future, fn, args))
        return future

    def _serve(self) -> None:
        while (item := self._work.get()) is not None:
            future, fn, args = item
            if not future.set_running_or_notify_cancel():
                continue
            try:
                future.set_result(fn(*args))
            except BaseException as exc:
                future.set_exception(exc)

    def shutdown(self) -> None:
        """Finish the queued work, then end the thread."""
        self._work.put(None)
        self._thread.join()


class Store:
    """Owns the database file: migrations at open, a confined write connection, reader cursors."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        if str(path) != ":memory:":
            self.path.parent.mkdir(parents=True, exist_ok=True)
        self._executor = WriterThread("db-writer")
        try:
            self._con: duckdb.DuckDBPyConnection = self._executor.submit(self._open).result()
        except BaseException:
            self._executor.shutdown()
            raise
        self._cursor_lock = threading.Lock()
        self._closed = False

    def _open(self) -> duckdb.DuckDBPyConnection:
        con = duckdb.connect(str(self.path), config=DUCKDB_CONFIG)
        try:
            migrate(con)
        except BaseException:
            con.close()
            raise
        return con

    def write_sync(self, work: Callable[[duckdb.DuckDBPyConnection], T]) -> T:
        """Run `work(con)` on the writer thread and wait for it (for non-async callers)."""
        return self._executor.submit(self._settled, work).result()

    async def write(self, work: Callable[[duckdb.DuckDBPyConnection], T]) -> T:
        """Run `work(con)` on the writer thread without blocking the event loop."""
        return await asyncio.wrap_future(self._executor.submit(self._settled, work))

    def submit(self, work: Callable[[duckdb.DuckDBPyConnection], T]) -> Future[T]:
        """Queue `work(con)` without waiting; writes run in the order they were submitted."""
        return self._executor.submit(self._settled, work)

    def _settled(self, work: Callable[[duckdb.DuckDBPyConnection], T]) -> T:
        # DuckDB 2.0 refuses further work on a connection whose last result was not read to
        # its end (a fetchone(), or a failed step): finish it, whatever `work` did.
        try:
            return work(self._con)
        finally:
            self._con.complete()

    def cursor(self) -> duckdb.DuckDBPyConnection:
        """Return a new reader cursor; the caller owns it and closes it."""
        with self._cursor_lock:
            if self._closed:
                raise RuntimeError("The store is closed.")
            return self._con.cursor()

    @contextmanager
    def reader(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A cursor for one read, closed afterwards."""
        cur = self.cursor()
        try:
            yield cur
        finally:
            cur.close()

    def size_bytes(self) -> int:
        """Database file size on disk, WAL included."""
        if str(self.path) == ":memory:":
            return 0
        wal = self.path.with_name(self.path.name + ".wal")
        return sum(p.stat().st_size for p in (self.path, wal) if p.exists())

    def close(self) -> None:
        """Checkpoint and close the write connection; idempotent."""
        with self._cursor_lock:
            if self._closed:
                return
            self._closed = True
        self._executor.submit(self._checkpoint_and_close).result()
        self._executor.shutdown()

    def _checkpoint_and_close(self) -> None:
        try:
            self._con.execute("CHECKPOINT")
        finally:
            self._con.close()
