"""Spot OCO through the engine against the simulator: placed as one list, one leg executes and
the other shows expired in the desk's orders table, cancelling a leg cancels the list, bad
prices are refused before anything is sent, and a lost answer is resolved, never re-sent."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import duckdb
import pytest

from engine.commands import CancelOrder, TripKillSwitch
from engine.engine import Engine
from engine.orders.commands import PlaceOco
from engine.orders.component import Orders
from engine.venue import Venue
from simulator.server import SimulatorThread
from tests.helpers import eventually, part
from tests.integration.conftest import connect_engine, engine_settings, sim_control
from tests.integration.sim_support import synced_client


def last_price(engine: Engine) -> Decimal:
    orders = part(engine, Orders)
    future = asyncio.run_coroutine_threadsafe(orders.last_price("spot", "BTCUSDT"), engine._loop)
    price = future.result(10)
    assert price is not None
    return price


def oco(side: str, take_profit: Decimal, stop: Decimal, **extra) -> PlaceOco:
    return PlaceOco(actor="alice", symbol="BTCUSDT", side=side, quantity=Decimal("0.01"),
                    take_profit_price=take_profit.quantize(Decimal("0.01")),
                    stop_price=stop.quantize(Decimal("0.01")), **extra)  # fmt: skip


def legs(engine: Engine) -> list[tuple]:
    with engine.store.reader() as cur:
        return cur.execute(
            "SELECT client_order_id, order_type, status, order_list_id, list_client_id, actor "
            "FROM orders WHERE list_client_id IS NOT NULL ORDER BY order_type"
        ).fetchall()


def statuses(engine: Engine) -> list[str]:
    return sorted(row[2] for row in legs(engine))


def oco_posts(sim: SimulatorThread) -> int:
    return sim_control(sim, "GET", "/_sim/stats")["requests"].get("POST /api/v3/orderList/oco", 0)


def test_an_oco_is_placed_as_one_list_with_both_legs_in_the_orders_table(connected_engine, sim):
    engine = connected_engine
    last = last_price(engine)
    reply = engine.submit(oco("SELL", last * Decimal("1.05"), last * Decimal("0.95"))).result(10)
    assert reply.ok, reply.message
    assert "take-profit" in reply.message and "stop" in reply.message

    def both_legs() -> list[tuple]:
        rows = legs(engine)
        return rows if len(rows) == 2 and all(r[3] for r in rows) else []

    rows = eventually(both_legs, what="both legs stored with the exchange's list id")
    (take_profit, *_), (stop, *_) = sorted(rows, key=lambda r: r[1])
    assert [r[1] for r in rows] == ["LIMIT", "STOP_MARKET"]
    assert {r[3] for r in rows} == {reply.data["order_list_id"]}  # one list id on both legs
    assert {r[4] for r in rows} == {reply.data["list_client_id"]}
    assert all(r[2] == "NEW" and r[5] == "alice" for r in rows)
    at_exchange = synced_client(sim).get_open_oco_orders()
    assert [o["listClientOrderId"] for o in at_exchange] == [reply.data["list_client_id"]]
    assert {take_profit, stop} == set(reply.data["client_order_ids"])


def sell_oco_and_its_stop_cancel(engine: Engine) -> CancelOrder:
    """Place a sell OCO 5 % either side of the market; return (not send) its stop leg's cancel."""
    last = last_price(engine)
    reply = engine.submit(oco("SELL", last * Decimal("1.05"), last * Decimal("0.95"))).result(10)
    assert reply.ok, reply.message
    stop_leg = reply.data["client_order_ids"][1]
    return CancelOrder(actor="alice", market="spot", symbol="BTCUSDT", client_order_id=stop_leg)


def test_cancelling_one_leg_cancels_the_whole_list(connected_engine, sim):
    engine = connected_engine
    cancel = sell_oco_and_its_stop_cancel(engine)
    eventually(lambda: len(legs(engine)) == 2)
    cancelled = engine.submit(cancel).result(10)
    assert cancelled.ok, cancelled.message
    assert "both legs" in cancelled.message
    eventually(lambda: statuses(engine) == ["CANCELED", "CANCELED"], what="both legs cancelled")
    assert synced_client(sim).get_open_oco_orders() == []
    assert synced_client(sim).get_open_orders() == []


def test_a_leg_cancelled_the_moment_its_oco_is_placed_still_cancels_the_list(connected_engine, sim):
    # Before the legs' rows have landed and the account has been read again.
    engine = connected_engine
    cancel = sell_oco_and_its_stop_cancel(engine)
    cancelled = engine.submit(cancel).result(10)
    assert cancelled.ok and "both legs" in cancelled.message, cancelled.message
    eventually(lambda: statuses(engine) == ["CANCELED", "CANCELED"], what="both legs cancelled")
    assert synced_client(sim).get_open_oco_orders() == []


@pytest.mark.parametrize(
    ("side", "take_profit", "stop", "words"),
    [
        ("SELL", "0.98", "0.95", "take-profit"),  # take-profit below the market
        ("SELL", "1.05", "1.02", "stop"),  # stop above the market
        ("BUY", "1.02", "1.05", "take-profit"),  # a buy's take-profit above the market
        ("BUY", "0.95", "0.98", "stop"),  # a buy's stop below the market
    ],
)
def test_oco_prices_on_the_wrong_side_of_the_market_are_refused_before_sending(
    connected_engine, sim, side, take_profit, stop, words
):
    engine = connected_engine
    last = last_price(engine)
    command = oco(side, last * Decimal(take_profit), last * Decimal(stop))
    reply = engine.submit(command).result(10)
    assert not reply.ok and reply.code == "desk.oco_prices", reply
    assert f"The {words}" in reply.message and "last price" in reply.message
    assert "did not send" in reply.message
    assert reply.data["sent"] is False
    assert oco_posts(sim) == 0 and legs(engine) == []


def test_an_oco_leg_off_the_tick_grid_is_refused_with_the_filter(connected_engine, sim):
    last = last_price(connected_engine)
    command = PlaceOco(actor="alice", symbol="BTCUSDT", side="SELL", quantity=Decimal("0.01"),
                       take_profit_price=(last * Decimal("1.05")).quantize(Decimal("0.01"))
                       + Decimal("0.001"), stop_price=(last * Decimal("0.95")).quantize(
                           Decimal("0.01")))  # fmt: skip
    reply = connected_engine.submit(command).result(10)
    assert not reply.ok and reply.code == "desk.filter.PRICE_FILTER", reply
    assert reply.message.startswith("The take-profit leg:")
    assert oco_posts(sim) == 0


def test_an_oco_larger_than_the_holding_is_refused_for_funds(connected_engine, sim):
    last = last_price(connected_engine)
    command = PlaceOco(actor="alice", symbol="BTCUSDT", side="SELL", quantity=Decimal(5),
                       take_profit_price=(last * Decimal("1.05")).quantize(Decimal("0.01")),
                       stop_price=(last * Decimal("0.95")).quantize(Decimal("0.01")))  # fmt: skip
    reply = connected_engine.submit(command).result(10)
    assert not reply.ok and reply.code == "desk.balance", reply
    assert oco_posts(sim) == 0


def test_when_one_leg_executes_the_other_shows_expired(virtual_sim, tmp_path):
    """The price path crosses one side sooner or later (the clock is moved on until it does):
    the desk's orders table shows that leg FILLED and the other EXPIRED, from the stream."""
    sim = virtual_sim
    engine = connect_engine(sim, engine_settings(tmp_path))
    engine.start()
    try:
        last = last_price(engine)
        narrow = oco("SELL", last * Decimal("1.0005"), last * Decimal("0.9995"))
        reply = engine.submit(narrow).result(10)
        assert reply.ok, reply.message
        rest = part(engine, Venue).rest
        for _ in range(360):
            if not synced_client(sim).get_open_oco_orders():
                break
            sim_control(sim, "POST", "/_sim/clock/advance", {"ms": 10_000})
        asyncio.run_coroutine_threadsafe(rest.sync_time(), engine._loop).result(10)
        assert synced_client(sim).get_open_oco_orders() == [], "the price never crossed a leg"
        eventually(lambda: statuses(engine) == ["EXPIRED", "FILLED"], timeout=15,
                   what="one leg filled, the other expired")  # fmt: skip

        def filled_leg_has_its_fill() -> bool:
            with engine.store.reader() as cur:
                return (
                    cur.execute(
                        "SELECT count(*) FROM fills f JOIN orders o USING (client_order_id) "
                        "WHERE o.list_client_id IS NOT NULL"
                    ).fetchone()[0]
                    > 0
                )

        eventually(filled_leg_has_its_fill, timeout=10, what="the fill recorded")
        with engine.store.reader() as cur:  # every listStatus and executionReport understood
            not_understood = cur.execute(
                "SELECT message FROM events WHERE kind = 'user_stream_down'"
            ).fetchall()
        assert not_understood == []
    finally:
        engine.stop()


def test_a_lost_answer_is_resolved_by_asking_for_the_list_not_by_sending_again(sim, tmp_path):
    engine = connect_engine(sim, engine_settings(tmp_path, request_timeout_s=1.0))
    engine.start()
    try:
        last = last_price(engine)
        sim_control(
            sim,
            "POST",
            "/_sim/faults",
            {"kind": "timeout", "ms": 3000, "path": "/api/v3/orderList/oco", "count": 1},
        )
        reply = engine.submit(oco("SELL", last * Decimal("1.05"), last * Decimal("0.95")))
        answer = reply.result(20)
        assert answer.ok, answer.message
        assert answer.message.startswith("Confirmed after a lost answer")
        assert oco_posts(sim) == 1  # sent once
        at_exchange = synced_client(sim).get_open_oco_orders()
        assert [o["listClientOrderId"] for o in at_exchange] == [answer.data["list_client_id"]]
        eventually(lambda: statuses(engine) == ["NEW", "NEW"], what="both legs known")
    finally:
        engine.stop()


def test_after_a_restart_legs_left_unknown_are_asked_for_never_sent_again(sim, tmp_path):
    """A stop while an OCO's outcome was unknown: at the next start each leg is asked for by
    its own client id (GET /api/v3/order) and takes the exchange's state; nothing is re-sent."""
    settings = engine_settings(tmp_path)
    engine = connect_engine(sim, settings)
    engine.start()
    try:
        last = last_price(engine)
        reply = engine.submit(oco("SELL", last * Decimal("1.05"), last * Decimal("0.95")))
        placed = reply.result(10)
        assert placed.ok, placed.message
        eventually(lambda: statuses(engine) == ["NEW", "NEW"])
    finally:
        engine.stop()
    with duckdb.connect(str(settings.db_path)) as con:  # as if the answer had been lost
        con.execute("UPDATE orders SET status = 'UNKNOWN', order_list_id = NULL")
    again = connect_engine(sim, settings)
    again.start()
    try:
        eventually(lambda: statuses(again) == ["NEW", "NEW"], timeout=15, what="resolved")
        assert {r[3] for r in legs(again)} == {placed.data["order_list_id"]}
        assert oco_posts(sim) == 1
        assert len(synced_client(sim).get_open_oco_orders()) == 1
    finally:
        again.stop()


def test_with_the_kill_switch_on_a_buy_oco_is_refused_and_a_protective_sell_passes(
    connected_engine, sim
):
    engine = connected_engine
    assert engine.submit(TripKillSwitch(actor="alice", reason="test")).result(10).ok
    last = last_price(engine)
    buy = engine.submit(oco("BUY", last * Decimal("0.95"), last * Decimal("1.05"))).result(10)
    assert not buy.ok and buy.code == "desk.risk.kill_switch", buy
    sell = engine.submit(oco("SELL", last * Decimal("1.05"), last * Decimal("0.95"))).result(10)
    assert sell.ok, sell.message  # it only sells what is held: a reducing order
    assert oco_posts(sim) == 1
