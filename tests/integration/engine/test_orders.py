"""Orders through the engine against the simulator, with faults: never lost, never doubled."""

from __future__ import annotations

import asyncio
import time
from decimal import Decimal
from pathlib import Path

import pytest

from engine.account.sync import AccountSync
from engine.commands import CancelOrder, PlaceOrder
from engine.engine import Engine
from engine.portfolio.component import Portfolio
from engine.venue import Venue
from simulator.server import SimulatorThread
from tests.helpers import eventually, part
from tests.integration.conftest import connect_engine, engine_settings, sim_control


def limit_buy(price: str = "90000", qty: str = "0.01", symbol: str = "BTCUSDT") -> PlaceOrder:
    return PlaceOrder(
        actor="alice",
        market="spot",
        symbol=symbol,
        side="BUY",
        order_type="LIMIT",
        quantity=Decimal(qty),
        price=Decimal(price),
    )


def exchange_open_orders(sim: SimulatorThread) -> list[dict]:
    from tests.integration.sim_support import synced_client

    return synced_client(sim).get_open_orders()


def local_orders(engine: Engine, status: str | None = None) -> list[tuple]:
    sql = "SELECT client_order_id, status, actor FROM orders"
    with engine.store.reader() as cur:
        if status:
            return cur.execute(sql + " WHERE status = ?", [status]).fetchall()
        return cur.execute(sql).fetchall()


def rejected_requests(sim: SimulatorThread) -> dict:
    return sim_control(sim, "GET", "/_sim/stats")["rejected"]


def test_a_limit_order_is_placed_shown_and_cancelled(connected_engine, sim):
    reply = connected_engine.submit(limit_buy()).result(10)
    assert reply.ok, reply.message
    cid = reply.data["client_order_id"]
    assert [o["clientOrderId"] for o in exchange_open_orders(sim)] == [cid]
    eventually(lambda: local_orders(connected_engine) == [(cid, "NEW", "alice")])

    cancel = CancelOrder(actor="alice", market="spot", symbol="BTCUSDT", client_order_id=cid)
    assert connected_engine.submit(cancel).result(10).ok
    assert exchange_open_orders(sim) == []
    eventually(lambda: local_orders(connected_engine, "CANCELED") == [(cid, "CANCELED", "alice")])


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"price": "90000.001"}, "filter.PRICE_FILTER"),
        ({"qty": "0.000001"}, "filter.LOT_SIZE"),
        ({"qty": "0.00001"}, "filter.NOTIONAL"),
        ({"price": "1000"}, "filter.PERCENT_PRICE_BY_SIDE"),
        ({"qty": "5"}, "balance"),
        ({"symbol": "NOPEUSDT"}, "unknown_symbol"),
    ],
)
def test_rule_breaking_orders_are_refused_locally_and_never_sent(
    connected_engine, sim, changes, code
):
    before = sim_control(sim, "GET", "/_sim/stats")["requests"].get("POST /api/v3/order", 0)
    reply = connected_engine.submit(limit_buy(**changes)).result(10)
    assert not reply.ok
    # The desk's own code, distinct from Binance's, and a message that says nothing was sent.
    assert reply.code == f"desk.{code}", reply
    assert reply.message.endswith("The desk did not send it.") and reply.data["sent"] is False
    stats = sim_control(sim, "GET", "/_sim/stats")
    assert stats["requests"].get("POST /api/v3/order", 0) == before
    assert rejected_requests(sim) == {}
    assert local_orders(connected_engine) == []


def test_a_response_lost_after_the_exchange_accepted_leaves_exactly_one_order(sim, tmp_path):
    engine = connect_engine(sim, engine_settings(tmp_path, request_timeout_s=1.0))
    engine.start()
    try:
        sim_control(
            sim,
            "POST",
            "/_sim/faults",
            {"kind": "timeout", "ms": 3000, "path": "/api/v3/order", "count": 1},
        )
        reply = engine.submit(limit_buy()).result(20)
        assert reply.ok, reply.message  # resolved by querying the client order id
        cid = reply.data["client_order_id"]
        at_exchange = exchange_open_orders(sim)
        assert [o["clientOrderId"] for o in at_exchange] == [cid]
        assert sim_control(sim, "GET", "/_sim/stats")["requests"]["POST /api/v3/order"] == 1
        assert local_orders(engine) == [(cid, "NEW", "alice")]
    finally:
        engine.stop()


def test_a_429_storm_is_waited_out_and_never_becomes_a_ban(connected_engine, sim):
    # Let start-up traffic (backfill, first equity snapshot) finish: a request already on the
    # wire when the first 429 is sent cannot be called back, by us or by any client.
    eventually(lambda: part(connected_engine, Portfolio).last is not None, timeout=15)
    eventually(lambda: _streams_connected(connected_engine), timeout=15)
    eventually(_rest_quiet(connected_engine), timeout=30, interval=0.5)
    sim_control(
        sim,
        "POST",
        "/_sim/faults",
        {"kind": "rate_limit", "retry_after": 1, "path": "/api/v3/", "count": 3},
    )
    started = time.monotonic()
    account = part(connected_engine, AccountSync)
    asyncio.run_coroutine_threadsafe(account.reconcile("test"), connected_engine._loop).result(30)
    elapsed = time.monotonic() - started
    stats = sim_control(sim, "GET", "/_sim/stats")
    assert stats["faults_fired"].get("rate_limit", 0) == 3
    # The simulator counts every request inside a Retry-After window as a strike and bans
    # (418) at the third: no 418 means the engine held everything until each window passed.
    assert stats["ip_bans"] == 0
    assert stats["requests_inside_retry_after"] == 0
    assert elapsed >= 1.0, "the engine never waited"
    assert part(connected_engine, Venue).rest.gate.rate_limit_hits >= 3


def test_a_skewed_server_clock_is_resynced_and_orders_go_through(connected_engine, sim):
    # The server 3 s behind us: our timestamps look 3 s in its future, which Binance refuses
    # (-1021) beyond 1 s. The engine must resync and send the order once more.
    sim_control(sim, "POST", "/_sim/clock/skew", {"ms": -3000})
    reply = connected_engine.submit(limit_buy()).result(15)
    assert reply.ok, reply.message
    assert abs(part(connected_engine, Venue).rest.metrics.time_offset_ms + 3000) < 500
    assert rejected_requests(sim).get("-1021", 0) >= 1


def test_a_hard_stop_while_placing_then_restart_matches_the_exchange(sim, tmp_path: Path):
    settings = engine_settings(tmp_path, request_timeout_s=1.0)
    first = connect_engine(sim, settings)
    first.start()
    handles = [first.submit(limit_buy(price=str(90000 + i))) for i in range(6)]
    handles += [first.submit(PlaceOrder(actor="bob", market="spot", symbol="ETHUSDT",
                side="SELL", order_type="MARKET", quantity=Decimal("0.5")))]  # fmt: skip
    eventually(lambda: sum(h.done() for h in handles) >= 2, timeout=10)
    first.stop()  # in the middle: some orders sent, some not, some not answered

    second = connect_engine(sim, settings)
    second.start()
    try:

        def settled() -> bool:
            with second.store.reader() as cur:
                pending = cur.execute(
                    "SELECT count(*) FROM orders WHERE status IN ('PENDING_NEW', 'UNKNOWN')"
                ).fetchone()[0]
            return pending == 0

        eventually(settled, timeout=30)
        at_exchange = {o["clientOrderId"] for o in exchange_open_orders(sim)}
        local_open = {cid for cid, status, _ in local_orders(second) if status == "NEW"}
        assert local_open == at_exchange
        _assert_balances_match(second, sim)
        _assert_fills_match(second, sim)
    finally:
        second.stop()


def _assert_balances_match(engine: Engine, sim: SimulatorThread) -> None:
    from tests.integration.sim_support import synced_client

    exchange = {
        b["asset"]: (Decimal(b["free"]), Decimal(b["locked"]))
        for b in synced_client(sim).get_account()["balances"]
        if Decimal(b["free"]) or Decimal(b["locked"])
    }

    def equal() -> bool:
        with engine.store.reader() as cur:
            rows = cur.execute(
                "SELECT asset, free, locked FROM balances WHERE market = 'spot'"
            ).fetchall()
        local = {a: (Decimal(f), Decimal(lk)) for a, f, lk in rows if f or lk}
        return local == exchange

    eventually(equal, timeout=10)


def _assert_fills_match(engine: Engine, sim: SimulatorThread) -> None:
    from tests.integration.sim_support import synced_client

    client = synced_client(sim)
    exchange = {
        (t["symbol"], t["id"])
        for s in ("BTCUSDT", "ETHUSDT")
        for t in client.get_my_trades(symbol=s)
    }

    def equal() -> bool:
        with engine.store.reader() as cur:
            rows = cur.execute(
                "SELECT symbol, trade_id FROM fills WHERE market = 'spot'"
            ).fetchall()
        return set(rows) == exchange

    eventually(equal, timeout=10)


def _streams_connected(engine: Engine) -> bool:
    market_data = next(c for c in engine.components if c.name == "market-data")
    streams = market_data.stream_status()
    return bool(streams) and all(s["state"] == "connected" for s in streams)


def _rest_quiet(engine: Engine):
    """A condition true once no REST call has started for one polling interval."""
    seen: list[int] = []

    def quiet() -> bool:
        calls = sum(e.calls for e in part(engine, Venue).rest.metrics.endpoints.values())
        seen.append(calls)
        return len(seen) >= 2 and seen[-1] == seen[-2]

    return quiet


def test_an_order_the_database_lost_comes_back_from_the_journal_and_is_not_resent(sim, tmp_path):
    """The order reached the exchange but its DuckDB row did not survive (a crash before the
    database thread wrote it): at restart the journal puts it back, with who placed it, and
    it is resolved by querying the exchange, never sent again."""
    import duckdb

    settings = engine_settings(tmp_path)
    first = connect_engine(sim, settings)
    first.start()
    try:
        reply = first.submit(limit_buy()).result(20)
        assert reply.ok, reply.message
    finally:
        first.stop()
    cid = reply.data["client_order_id"]
    with duckdb.connect(str(settings.db_path)) as con:
        con.execute("DELETE FROM orders WHERE client_order_id = ?", [cid])

    second = connect_engine(sim, settings)
    second.start()
    try:
        eventually(lambda: local_orders(second) == [(cid, "NEW", "alice")], timeout=15)
        assert any(e.kind == "journal_replayed" for e in second.events.recent)
        assert sim_control(sim, "GET", "/_sim/stats")["requests"]["POST /api/v3/order"] == 1
    finally:
        second.stop()
