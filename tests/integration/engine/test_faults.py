"""Faults against the engine, end to end with the simulator: each states what must hold after.

Issue 12's defects, each reproduced as it was found: a request timeout that was ignored, a
user-data subscription that never resynced its clock, a fill that was never fetched, cancels
that waited for the database or were held by a new-order limit, and a read outage that stopped
trading.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from engine.account.sync import AccountSync
from engine.commands import CancelOrder, PlaceOrder, Reconcile
from engine.engine import Engine
from engine.venue import Venue
from simulator.server import SimulatorThread
from tests.helpers import eventually, part
from tests.integration.conftest import connect_engine, engine_settings, sim_config, sim_control


@pytest.fixture
def running(
    tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[tuple[Engine, SimulatorThread]]:
    """A simulator and an engine on it; `@pytest.mark.parametrize('running', [{...}])` can pass
    simulator options (`sim`) and engine settings (`engine`)."""
    options = getattr(request, "param", {})
    sim = SimulatorThread(sim_config(tmp_path, **options.get("sim", {}))).start()
    engine = connect_engine(sim, engine_settings(tmp_path, **options.get("engine", {})))
    engine.start()
    try:
        eventually(lambda: _streams_connected(engine), timeout=15, what="user streams up")
        yield engine, sim
    finally:
        engine.stop()
        sim.stop()


def _streams_connected(engine: Engine) -> bool:
    states = part(engine, AccountSync).stream_state
    return states.get("spot") == "connected" and states.get("futures") == "connected"


def limit_buy(price: str = "50000", qty: str = "0.001") -> PlaceOrder:
    return PlaceOrder(actor="alice", market="spot", symbol="BTCUSDT", side="BUY",
                      order_type="LIMIT", quantity=Decimal(qty), price=Decimal(price),
                      time_in_force="GTC")  # fmt: skip


def market_buy(qty: str = "0.001") -> PlaceOrder:
    return PlaceOrder(actor="alice", market="spot", symbol="BTCUSDT", side="BUY",
                      order_type="MARKET", quantity=Decimal(qty))  # fmt: skip


def fault(sim: SimulatorThread, **spec: object) -> None:
    sim_control(sim, "POST", "/_sim/faults", spec)


def order_status(engine: Engine, client_id: str) -> str | None:
    with engine.store.reader() as cur:
        row = cur.execute(
            "SELECT status FROM orders WHERE client_order_id = ?", [client_id]
        ).fetchone()
    return row[0] if row else None


@pytest.mark.parametrize("running", [{"engine": {"request_timeout_s": 2.0}}], indirect=True)
def test_the_request_timeout_setting_cuts_a_request_that_hangs(running):
    """TRADEDESK_REQUEST_TIMEOUT_S reaches python-binance: with 2 s set, an order whose answer
    is held for 6 s is given up after about 2 s and resolved by querying it, once."""
    engine, sim = running
    fault(sim, kind="timeout", ms=6000, path="/api/v3/order", count=1)
    started = time.monotonic()
    reply = engine.submit(limit_buy()).result(20)
    elapsed = time.monotonic() - started
    assert reply.ok, reply.message  # the exchange had it: found by its client id
    assert elapsed < 5.0, f"the 2 s request timeout was not applied ({elapsed:.1f} s)"
    stats = sim_control(sim, "GET", "/_sim/stats")
    assert stats["requests"]["POST /api/v3/order"] == 1  # never sent twice


def test_a_clock_skew_on_the_user_data_subscription_is_resynced(running):
    """The WebSocket API refuses a subscription signed with a stale clock (-1021); the engine
    measures the clock again and resubscribes, without waiting for a REST call to do it."""
    engine, sim = running
    sim_control(sim, "POST", "/_sim/clock/skew", {"ms": -3000})
    dropped = sim_control(sim, "POST", "/_sim/ws/drop", {"path": "/ws-api"})
    assert dropped["dropped"] >= 1
    account = part(engine, AccountSync)
    eventually(lambda: account.stream_state.get("spot") != "connected", timeout=5)
    eventually(lambda: account.stream_state.get("spot") == "connected", timeout=10,
               what="spot user stream back after the skew")  # fmt: skip
    assert abs(part(engine, Venue).rest.time_offset_ms + 3000) < 500


def test_a_fill_older_than_the_newest_stored_one_is_still_fetched(running):
    """Order A's answer is lost (it filled at the exchange); order B fills normally after it.
    With the user stream down, A's trade reaches the fills only through trade history, whose
    cursor must not start after B's newer fill."""
    engine, sim = running
    fault(sim, kind="error", status=503, path="/ws-api", count=1000)  # the stream stays down
    sim_control(sim, "POST", "/_sim/ws/drop", {"path": "/ws-api"})
    account = part(engine, AccountSync)
    eventually(lambda: account.stream_state.get("spot") != "connected", timeout=5)
    fault(sim, kind="timeout", ms=1500, path="/api/v3/order", count=1)
    first = engine.submit(market_buy()).result(20)
    assert first.ok and first.data["status"] == "FILLED", first
    second = engine.submit(market_buy()).result(20)
    assert second.ok and second.data["status"] == "FILLED", second
    sim_control(sim, "DELETE", "/_sim/faults")
    assert engine.submit(Reconcile(actor="alice")).result(30).ok

    def fills_of(client_id: str) -> int:
        with engine.store.reader() as cur:
            return cur.execute(
                "SELECT count(*) FROM fills WHERE client_order_id = ?", [client_id]
            ).fetchone()[0]

    eventually(lambda: fills_of(first.data["client_order_id"]) >= 1, timeout=10,
               what="the fill of the order whose answer was lost")  # fmt: skip
    assert fills_of(second.data["client_order_id"]) >= 1


def test_a_cancel_does_not_wait_for_the_database(running):
    """With DuckDB's writer thread busy for 3 s, a cancel is answered at once (the journal and
    the batch writer keep the rows), and the rows land once the writer is free."""
    engine, _ = running
    placed = engine.submit(limit_buy()).result(10)
    assert placed.ok, placed.message
    cid = placed.data["client_order_id"]
    eventually(lambda: order_status(engine, cid) == "NEW")
    busy = threading.Event()

    def hold_the_writer(con) -> None:
        busy.set()
        time.sleep(3)  # the injected fault: a slow database, not a wait for a condition

    engine.store.submit(hold_the_writer)
    assert busy.wait(5)
    cancel = CancelOrder(actor="alice", market="spot", symbol="BTCUSDT", client_order_id=cid)
    started = time.monotonic()
    reply = engine.submit(cancel).result(10)
    assert reply.ok, reply.message
    assert time.monotonic() - started < 2.0, "the cancel's reply waited for the database"
    eventually(lambda: order_status(engine, cid) == "CANCELED", timeout=10)


@pytest.mark.parametrize("running", [{"sim": {"orders_per_10s": 3}}], indirect=True)
def test_a_new_order_limit_never_holds_a_cancel(running):
    """Past the exchange's new-order limit (-1015) new orders wait, but cancels still go out:
    a trader must always be able to take an order back."""
    engine, _ = running
    placed = [engine.submit(limit_buy(price=str(50000 + i))).result(10) for i in range(3)]
    assert all(r.ok for r in placed), placed
    over = engine.submit(limit_buy(price="50010")).result(10)
    assert not over.ok and over.code == "binance.-1015", over
    target = placed[0].data["client_order_id"]
    cancel = CancelOrder(actor="alice", market="spot", symbol="BTCUSDT", client_order_id=target)
    reply = engine.submit(cancel).result(10)
    assert reply.ok, reply.message
    held = engine.submit(limit_buy(price="50020")).result(10)
    assert not held.ok and "new orders" in held.message.lower(), held  # held, not sent


def test_a_read_outage_does_not_stop_trading(running):
    """503s on the account endpoint open that endpoint group's breaker only: orders go on."""
    engine, sim = running
    fault(sim, kind="error", status=503, path="/api/v3/account", count=1000)
    rest = part(engine, Venue).rest
    # Each reconcile's account read fails, retried; the breaker opens at the fifth failure in
    # a row, and the reads then wait for its probe (the reconciles are not awaited here).
    for _ in range(2):
        engine.submit(Reconcile(actor="alice"))
    eventually(lambda: rest.gate.breaker_states().get("spot account") == "open", timeout=20)
    reply = engine.submit(limit_buy()).result(10)
    assert reply.ok, reply.message
    assert rest.gate.breaker_states().get("spot orders") == "closed"
    sim_control(sim, "DELETE", "/_sim/faults")
