"""USD-M hedge mode through the engine against the simulator: the switch (and Binance's refusal
with a position open), a long and a short on one symbol at once, kept per side, one side closed
while the other stays; and an order's position side checked against the account's mode."""

from __future__ import annotations

from decimal import Decimal

import pytest

from engine.access.roles import Role
from engine.account.state import AccountReader
from engine.commands import ClosePosition, PlaceOrder, ResetKillSwitch
from engine.engine import Engine
from engine.orders.commands import SetPositionMode
from tests.helpers import Everyone, eventually, part
from tests.integration.conftest import connect_engine, engine_settings, sim_control
from tests.integration.engine.test_futures_orders import sim_futures_client
from tests.integration.engine.test_kill_switch import pull, use_action


def futures(side: str, qty: str, **extra) -> PlaceOrder:
    return PlaceOrder(actor="alice", market="futures", symbol="BTCUSDT", side=side,
                      order_type="MARKET", quantity=Decimal(qty), **extra)  # fmt: skip


def sides(engine: Engine) -> dict[str, Decimal]:
    with engine.store.reader() as cur:
        rows = cur.execute(
            "SELECT position_side, amount FROM positions WHERE symbol = 'BTCUSDT'"
        ).fetchall()
    return {side: Decimal(amount) for side, amount in rows}


def stored_mode(engine: Engine) -> str | None:
    with engine.store.reader() as cur:
        row = cur.execute(
            "SELECT value FROM account_settings WHERE name = 'futures_hedge_mode'"
        ).fetchone()
    return row[0] if row else None


def futures_posts(sim) -> int:
    return sim_control(sim, "GET", "/_sim/stats")["requests"].get("POST /fapi/v1/order", 0)


def hedge(engine: Engine, on: bool = True):
    return engine.submit(SetPositionMode(actor="admin", hedge=on)).result(10)


def test_the_mode_is_read_at_start_and_switched_with_the_exchange(connected_engine, sim):
    engine = connected_engine
    eventually(lambda: stored_mode(engine) == "false", what="one-way mode read at start")
    reply = hedge(engine)
    assert reply.ok and "now in hedge mode" in reply.message, reply.message
    assert sim_futures_client(sim).futures_get_position_mode()["dualSidePosition"] is True
    eventually(lambda: part(engine, AccountReader).state().hedge_mode, what="kept in the state")
    again = hedge(engine)
    assert again.ok and "already in hedge mode" in again.message, again.message
    back = hedge(engine, on=False)
    assert back.ok and "one-way" in back.message, back.message
    eventually(lambda: stored_mode(engine) == "false")


def test_a_long_and_a_short_at_once_and_one_side_closed(connected_engine, sim):
    engine = connected_engine
    assert hedge(engine).ok
    eventually(lambda: part(engine, AccountReader).state().hedge_mode)
    long = engine.submit(futures("BUY", "0.02", position_side="LONG")).result(10)
    assert long.ok, long.message
    short = engine.submit(futures("SELL", "0.01", position_side="SHORT")).result(10)
    assert short.ok, short.message
    eventually(lambda: sides(engine) == {"LONG": Decimal("0.02"), "SHORT": Decimal("-0.01")},
               what="a row per side")  # fmt: skip

    refused = engine.submit(SetPositionMode(actor="admin", hedge=False)).result(10)
    assert not refused.ok and refused.code == "binance.-4068", refused
    assert "Close every futures position first" in refused.message

    both = engine.submit(ClosePosition(actor="alice", symbol="BTCUSDT")).result(10)
    assert not both.ok and "say which side" in both.message, both
    closed = engine.submit(
        ClosePosition(actor="alice", symbol="BTCUSDT", position_side="SHORT")
    ).result(10)
    assert closed.ok, closed.message
    assert "BTCUSDT SHORT" in closed.message
    eventually(lambda: sides(engine) == {"LONG": Decimal("0.02")}, what="the long stays")
    rows = sim_futures_client(sim).futures_position_information(symbol="BTCUSDT")
    at_exchange = {r["positionSide"]: Decimal(r["positionAmt"]) for r in rows}
    assert at_exchange.get("SHORT", Decimal(0)) == 0
    assert at_exchange["LONG"] == Decimal("0.02")


def test_hedge_mode_wants_a_side_and_one_way_mode_refuses_one(connected_engine, sim):
    engine = connected_engine
    eventually(lambda: stored_mode(engine) == "false")
    before = futures_posts(sim)
    one_way = engine.submit(futures("BUY", "0.01", position_side="LONG")).result(10)
    assert not one_way.ok and one_way.code == "desk.position_side", one_way
    assert "one-way mode" in one_way.message and "did not send" in one_way.message

    assert hedge(engine).ok
    eventually(lambda: part(engine, AccountReader).state().hedge_mode)
    no_side = engine.submit(futures("BUY", "0.01")).result(10)
    assert not no_side.ok and no_side.code == "desk.position_side", no_side
    assert "choose Long or Short" in no_side.message
    assert futures_posts(sim) == before  # nothing reached the exchange


def test_reduce_only_with_a_position_side_is_refused_when_built():
    with pytest.raises(ValueError, match="reduce-only is not taken in hedge mode"):
        futures("SELL", "0.01", position_side="LONG", reduce_only=True)


def audit(engine: Engine, kind: str) -> list[tuple]:
    with engine.store.reader() as cur:
        return cur.execute(
            "SELECT actor, message FROM events WHERE kind = ? AND message LIKE '%Position%'",
            [kind],
        ).fetchall()


def test_the_switch_takes_an_admin_and_is_audited(sim, tmp_path):
    engine = connect_engine(sim, engine_settings(tmp_path), roles=Everyone(Role.TRADER))
    engine.start()
    try:
        refused = engine.submit(SetPositionMode(actor="tom", hedge=True)).result(10)
        assert not refused.ok and refused.code == "desk.forbidden", refused
        assert sim_futures_client(sim).futures_get_position_mode()["dualSidePosition"] is False
        eventually(lambda: audit(engine, "audit.forbidden"), what="the refusal audited")
    finally:
        engine.stop()


def test_a_switch_is_an_audited_configuration_change(connected_engine):
    assert hedge(connected_engine).ok
    ((actor, message),) = eventually(lambda: audit(connected_engine, "audit.config"))
    assert actor == "admin" and "SetPositionMode(hedge=True) done" in message


def test_the_kill_switch_flattens_both_sides_in_hedge_mode(connected_engine, sim):
    """Flatten closes each side with an order on that side (Binance takes no reduce-only in
    hedge mode); while the switch is on, closing a side still passes, opening one does not."""
    engine = connected_engine
    assert hedge(engine).ok
    eventually(lambda: part(engine, AccountReader).state().hedge_mode)
    assert engine.submit(futures("BUY", "0.02", position_side="LONG")).result(10).ok
    assert engine.submit(futures("SELL", "0.01", position_side="SHORT")).result(10).ok
    eventually(lambda: len(sides(engine)) == 2)
    use_action(engine, "block_only")
    pull(engine)
    opening = engine.submit(futures("BUY", "0.01", position_side="LONG")).result(10)
    assert not opening.ok and opening.code == "desk.risk.kill_switch", opening
    closing = engine.submit(futures("SELL", "0.005", position_side="LONG")).result(10)
    assert closing.ok, closing.message
    reset = engine.submit(ResetKillSwitch(actor="admin")).result(10)
    assert reset.ok, reset.message
    use_action(engine, "flatten")
    pull(engine)

    def flat_at_exchange() -> bool:
        rows = sim_futures_client(sim).futures_position_information(symbol="BTCUSDT")
        return not any(Decimal(r["positionAmt"]) for r in rows)

    eventually(flat_at_exchange, timeout=40, interval=0.5, what="both sides closed")
    eventually(lambda: sides(engine) == {}, timeout=15)


def test_a_mode_changed_outside_the_desk_is_named_and_read_again(connected_engine, sim):
    engine = connected_engine
    eventually(lambda: stored_mode(engine) == "false")
    sim_futures_client(sim).futures_change_position_mode(dualSidePosition="true")
    refused = engine.submit(futures("BUY", "0.01")).result(10)  # as for one-way mode
    assert not refused.ok and refused.code == "binance.-4061", refused
    assert "reads the mode again" in refused.message
    eventually(lambda: part(engine, AccountReader).state().hedge_mode, what="read again")
    placed = engine.submit(futures("BUY", "0.01", position_side="LONG")).result(10)
    assert placed.ok, placed.message
