"""A caller's own client order id: sent twice, even at the same moment, one order is placed,
and the second answer is the first order's (issue 17's idempotency, held by the engine)."""

from __future__ import annotations

from decimal import Decimal

from engine.commands import PlaceOrder
from engine.engine import Engine
from engine.orders.client_ids import DUPLICATE
from simulator.server import SimulatorThread
from tests.integration.sim_support import synced_client


def order(client_id: str, qty: str = "0.001") -> PlaceOrder:
    return PlaceOrder(
        actor="alice", market="spot", symbol="BTCUSDT", side="BUY", order_type="MARKET",
        quantity=Decimal(qty), client_order_id=client_id,
    )  # fmt: skip


def test_the_same_id_twice_at_once_places_one_order(connected_engine: Engine, sim: SimulatorThread):
    first, second = (connected_engine.submit(order("bot-twice")) for _ in range(2))
    replies = [first.result(15), second.result(15)]
    assert all(r.ok for r in replies)
    assert sorted(bool(r.data.get("duplicate")) for r in replies) == [False, True]
    duplicate = next(r for r in replies if r.data.get("duplicate"))
    assert duplicate.code == DUPLICATE and duplicate.data["sent"] is False
    client = synced_client(sim)
    try:
        placed = [o for o in client.get_all_orders(symbol="BTCUSDT")
                  if o["clientOrderId"] == "bot-twice"]  # fmt: skip
    finally:
        client.close_connection()
    assert len(placed) == 1


def test_an_id_refused_before_sending_may_be_used_again(connected_engine: Engine):
    refused = connected_engine.submit(order("bot-retry", qty="0.0000001")).result(15)
    assert not refused.ok and refused.data.get("sent") is False  # below the lot size
    again = connected_engine.submit(order("bot-retry")).result(15)
    assert again.ok and not again.data.get("duplicate")
    later = connected_engine.submit(order("bot-retry")).result(15)
    assert later.data.get("duplicate") and later.data["status"] == "FILLED"
