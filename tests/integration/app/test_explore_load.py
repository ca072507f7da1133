"""A heavy Explore query is refused or stopped within its limits, and an order sent while it runs
is acknowledged as fast as one sent without it (security review, finding 4: one query took the
process to 14 GB and slowed another session's orders from 1.2 s to 6.8 s).
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass, field
from decimal import Decimal

import pytest

from app import db, queries
from app.queries import QueryFailed
from app.sql_guard import RefusedQuery
from engine.commands import CancelOrder, PlaceOrder
from engine.engine import Engine

pytestmark = pytest.mark.slow

TIMEOUT_S = 10.0
ORDER_BOUND_S = 2.0
MEMORY_BOUND = 1536 * 2**20  # DuckDB's 1 GB limit plus room for the batches and Python
SERIES = "(SELECT unnest(generate_series(1, 10000)) AS x)"


@dataclass
class Outcome:
    """What one Explore run did: its refusal or failure, how long, how much memory at most."""

    error: BaseException | None = None
    seconds: float = 0.0
    peak_rss: int = 0
    started: threading.Event = field(default_factory=threading.Event)
    done: threading.Event = field(default_factory=threading.Event)


def rss() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def run_in_background(engine: Engine, sql: str, monkeypatch: pytest.MonkeyPatch) -> Outcome:
    """Run `sql` through the Explore page's entry on another thread, as a second session would."""
    outcome = Outcome()
    store = engine.store
    cursor = store.cursor

    def explore_cursor() -> object:
        if threading.current_thread().name == "explore-query":
            outcome.started.set()  # past the guard, about to run
        return cursor()

    monkeypatch.setattr(store, "cursor", explore_cursor)
    monkeypatch.setattr(db, "store", lambda: store)

    def run() -> None:
        began = time.monotonic()
        try:
            queries.run_select(sql, timeout_s=TIMEOUT_S)
        except (RefusedQuery, QueryFailed) as exc:
            outcome.error = exc
        finally:
            outcome.seconds = time.monotonic() - began
            outcome.started.set()
            outcome.done.set()

    def sample() -> None:
        while True:
            outcome.peak_rss = max(outcome.peak_rss, rss())
            if outcome.done.wait(0.05):
                return

    threading.Thread(target=sample, name="rss-sampler", daemon=True).start()
    threading.Thread(target=run, name="explore-query", daemon=True).start()
    assert outcome.started.wait(30)
    return outcome


def order_round_trip(engine: Engine) -> float:
    """Seconds from submit to the engine's acknowledgement of a resting limit buy (then cancel)."""
    order = PlaceOrder(
        actor="alice", market="spot", symbol="BTCUSDT", side="BUY", order_type="LIMIT",
        quantity=Decimal("0.01"), price=Decimal("90000"),
    )  # fmt: skip
    began = time.monotonic()
    reply = engine.submit(order).result(30)
    seconds = time.monotonic() - began
    assert reply.ok, reply.message
    cancel = CancelOrder(
        actor="alice", market="spot", symbol="BTCUSDT",
        client_order_id=reply.data["client_order_id"],
    )  # fmt: skip
    assert engine.submit(cancel).result(30).ok
    return seconds


HEAVY = [
    pytest.param("SELECT generate_series(1, 300000000) AS big", RefusedQuery, id="series_300M"),
    pytest.param(
        "SELECT repeat('x', 1000000) FROM (SELECT unnest(generate_series(1, 2000)))",
        RefusedQuery,
        id="repeat_1MB_x2000",
    ),
    pytest.param(
        f"SELECT a.x, repeat('x', 10000) AS filler FROM {SERIES} a", QueryFailed, id="over_50MB"
    ),
    pytest.param(
        f"SELECT len(list(a.x * 10000 + b.x)) FROM {SERIES} a, {SERIES} b",
        QueryFailed,
        id="memory_limit",
    ),
    pytest.param(
        f"SELECT sum(hash(a.x * b.x * c.x)) FROM {SERIES} a, {SERIES} b, {SERIES} c",
        QueryFailed,
        id="cpu_timeout",
    ),
]


@pytest.mark.parametrize(("sql", "stopped_by"), HEAVY)
def test_a_heavy_query_is_stopped_and_orders_stay_fast(
    connected_engine: Engine, monkeypatch: pytest.MonkeyPatch, sql: str, stopped_by: type
):
    baseline = order_round_trip(connected_engine)
    before = rss()
    outcome = run_in_background(connected_engine, sql, monkeypatch)
    during = order_round_trip(connected_engine)
    running = not outcome.done.is_set()
    assert outcome.done.wait(TIMEOUT_S + 20)

    assert isinstance(outcome.error, stopped_by), outcome.error
    assert outcome.seconds < TIMEOUT_S + 5
    assert outcome.peak_rss - before < MEMORY_BOUND, f"{(outcome.peak_rss - before) >> 20} MiB"
    assert during < ORDER_BOUND_S, f"order took {during:.2f} s (without the query {baseline:.2f} s)"
    if stopped_by is QueryFailed and "Stopped" in str(outcome.error):
        assert running, "the order was acknowledged while the query still ran"
