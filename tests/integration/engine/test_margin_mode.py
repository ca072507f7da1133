"""Margin mode (isolated or cross) travels with a futures order, like the leverage, and a change
Binance refuses (-4047 open orders, -4048 a position) says why and what to do (issue 19 defect 3:
at 2b2c2aa nothing in the desk could set it)."""

from __future__ import annotations

from decimal import Decimal

from engine.commands import PlaceOrder, SetMarginType
from tests.helpers import eventually
from tests.integration.conftest import sim_control
from tests.integration.engine.test_futures_orders import position, sim_futures_client


def futures(side: str, qty: str, **extra) -> PlaceOrder:
    return PlaceOrder(actor="alice", market="futures", symbol="BTCUSDT", side=side,
                      order_type=extra.pop("order_type", "MARKET"), quantity=Decimal(qty),
                      **extra)  # fmt: skip


def margin_at_exchange(sim) -> str:
    rows = sim_futures_client(sim).futures_position_information(symbol="BTCUSDT")
    if rows:
        return rows[0]["marginType"]
    account = sim_futures_client(sim).futures_account()["positions"]
    return next("isolated" if p["isolated"] else "cross" for p in account
                if p["symbol"] == "BTCUSDT")  # fmt: skip


def orders_at_exchange(sim) -> int:
    """New futures orders that reached the simulator."""
    return sim_control(sim, "GET", "/_sim/stats")["requests"].get("POST /fapi/v1/order", 0)


def test_an_order_opens_in_the_margin_mode_it_carries(connected_engine, sim):
    engine = connected_engine
    reply = engine.submit(futures("BUY", "0.01", margin_type="ISOLATED", leverage=4)).result(10)
    assert reply.ok, reply.message
    assert margin_at_exchange(sim) == "isolated"
    eventually(lambda: position(engine) == (Decimal("0.01"), 4, "ISOLATED"), timeout=10)


def test_with_a_position_open_the_margin_mode_cannot_change_and_the_order_is_not_sent(
    connected_engine, sim
):
    engine = connected_engine
    assert engine.submit(futures("BUY", "0.01")).result(10).ok
    eventually(lambda: position(engine) is not None, timeout=10)
    sent = orders_at_exchange(sim)

    refused = engine.submit(futures("BUY", "0.01", margin_type="ISOLATED")).result(10)
    assert not refused.ok and refused.code == "binance.-4048", refused
    assert "Close the BTCUSDT position first, or send the order in cross margin" in refused.message
    assert "not sent" in refused.message
    assert orders_at_exchange(sim) == sent and margin_at_exchange(sim) == "cross"

    alone = engine.submit(SetMarginType(actor="a", symbol="BTCUSDT", margin_type="ISOLATED"))
    answer = alone.result(10)
    assert not answer.ok and answer.code == "binance.-4048"
    assert "only while the symbol has no position and no open orders" in answer.message
    assert "It stays cross" in answer.message


def test_open_orders_block_the_change_with_their_own_reason(connected_engine, sim):
    engine = connected_engine
    resting = engine.submit(futures("BUY", "0.01", order_type="LIMIT", price=Decimal("20000"),
                                    time_in_force="GTC")).result(10)  # fmt: skip
    assert resting.ok, resting.message
    alone = engine.submit(SetMarginType(actor="a", symbol="BTCUSDT", margin_type="ISOLATED"))
    answer = alone.result(10)
    assert answer.code == "binance.-4047" and "Cancel the open BTCUSDT orders first" in (
        answer.message
    )


def test_a_refused_order_sets_the_margin_mode_back(connected_engine, sim):
    engine = connected_engine
    refused = engine.submit(futures("BUY", "500", margin_type="ISOLATED")).result(10)
    assert not refused.ok  # more margin than the account has: the exchange refuses (-2019)
    assert margin_at_exchange(sim) == "cross"
