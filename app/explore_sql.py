"""Run Explore's SQL on a reader cursor: checked twice, read-only, bounded in time, rows and bytes.

1. `app.sql_guard.check_select` on the parse tree (tables by CTE scope, refused functions);
2. `app.sql_plan` on DuckDB's bound plan: every scan a scan of a desk table;
3. the query runs in `BEGIN TRANSACTION READ ONLY`, so sequences and tables cannot change even if
   both checks missed something (DuckDB's sequences are not transactional: a rollback alone
   would not undo `setval`);
4. the result streams as Arrow record batches, at most `max_rows` + 1 rows and `max_bytes`, and
   only then becomes a DataFrame; one timer interrupts DuckDB from the first check to the last
   batch, and the deadline is checked again after the conversion.
The database under it refuses files, URLs, extensions and SET (engine.store.DUCKDB_CONFIG).
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from decimal import Decimal

import duckdb
import pandas as pd
import pyarrow as pa

from app.sql_guard import RefusedQuery, check_select
from app.sql_plan import PlanError, bound_plan, plan_problems
from engine.store.database import Store

MAX_RESULT_BYTES = 50 * 2**20
BATCH_ROWS = 1024
_CONTEXT = re.compile(r"\n+LINE \d+:.*", re.DOTALL)  # DuckDB's echo of the text it was given


class QueryFailed(RuntimeError):
    """DuckDB could not run the query, it was stopped, or its result was too large; says why."""


@dataclass(frozen=True)
class Limits:
    max_rows: int = 10_000
    timeout_s: float = 10.0
    max_bytes: int = MAX_RESULT_BYTES


def run_select(store: Store, sql: str, limits: Limits | None = None) -> tuple[pd.DataFrame, bool]:
    """The first `max_rows` rows of `sql` (decimals exact) and whether there were more.

    Raises RefusedQuery when a check refuses it, QueryFailed when DuckDB fails or it is stopped.
    """
    limits = limits or Limits()
    checked = check_select(sql)
    with store.reader() as cur, _deadline(cur, limits.timeout_s) as expired:
        try:
            table = _read_only(cur, checked.sql, limits)
        except duckdb.InterruptException:
            raise QueryFailed(_stopped(limits)) from None
        except (duckdb.Error, OSError, pa.ArrowException) as exc:  # OSError: a failed stream
            raise QueryFailed(_stopped(limits) if expired() else user_message(exc)) from None
        frame = table.to_pandas(date_as_object=False)
        if expired():
            raise QueryFailed(_stopped(limits))
    return frame.head(limits.max_rows), len(frame) > limits.max_rows


def display_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """`frame` with exact decimal columns as floats, for the table and the chart."""
    shown = frame.copy()
    for column in shown.columns:
        values = shown[column].dropna()
        if len(values) and all(isinstance(v, Decimal) for v in values):
            shown[column] = shown[column].astype(float)
    return shown


def user_message(exc: BaseException) -> str:
    """DuckDB's message without its echo of the query (which would show the runner's text)."""
    return _CONTEXT.sub("", str(exc)).strip()


def _read_only(cur: duckdb.DuckDBPyConnection, sql: str, limits: Limits) -> pa.Table:
    cur.execute("BEGIN TRANSACTION READ ONLY")
    try:
        _check_plan(cur, sql)
        return _fetch(cur, sql, limits)
    finally:
        _rollback(cur)


def _check_plan(cur: duckdb.DuckDBPyConnection, sql: str) -> None:
    catalog = str(cur.execute("SELECT current_database()").fetchall()[0][0])
    try:
        problems = list(plan_problems(bound_plan(cur, sql), catalog))
    except PlanError as exc:
        raise QueryFailed(user_message(exc)) from None
    except RecursionError:
        raise RefusedQuery("The query's plan is nested too deeply to check.") from None
    if problems:
        raise RefusedQuery(problems[0])


def _fetch(cur: duckdb.DuckDBPyConnection, sql: str, limits: Limits) -> pa.Table:
    reader = cur.sql(sql).limit(limits.max_rows + 1).to_arrow_reader(BATCH_ROWS)
    batches, size = [], 0
    try:
        for batch in reader:
            size += batch.nbytes
            if size > limits.max_bytes:
                raise QueryFailed(
                    f"The result is larger than {limits.max_bytes / 2**20:g} MB: select fewer "
                    "columns or rows, or aggregate."
                )
            batches.append(batch)
        return pa.Table.from_batches(batches, schema=reader.schema)
    finally:
        reader.close()


def _rollback(cur: duckdb.DuckDBPyConnection) -> None:
    # interrupted or already aborted: closing the cursor ends the transaction anyway
    with suppress(duckdb.Error):
        cur.execute("ROLLBACK")


@contextmanager
def _deadline(cur: duckdb.DuckDBPyConnection, timeout_s: float) -> Iterator[_Expired]:
    """Interrupt `cur` after `timeout_s`; yields a test of whether that time has passed."""
    end = time.monotonic() + timeout_s
    timer = threading.Timer(timeout_s, cur.interrupt)
    timer.daemon = True
    timer.start()
    try:
        yield _Expired(end)
    finally:
        timer.cancel()


@dataclass(frozen=True)
class _Expired:
    end: float

    def __call__(self) -> bool:
        return time.monotonic() >= self.end


def _stopped(limits: Limits) -> str:
    return f"Stopped after {limits.timeout_s:g} s; narrow the query."
