"""Risk in the running engine against the simulator: limits that hold, numbers that add up."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from pathlib import Path

import pytest

from engine.commands import PlaceOrder, SaveRiskConfig
from engine.engine import Engine
from engine.guard import KillSwitchGuard
from engine.portfolio.component import Portfolio
from engine.venue import Venue
from simulator.server import SimulatorThread
from tests.helpers import eventually, part
from tests.integration.conftest import connect_engine, engine_settings, sim_control
from tests.integration.sim_support import synced_client

DAILY_LOSS_LIMIT = Decimal(150)


@pytest.fixture
def engine_on_virtual_sim(virtual_sim, tmp_path: Path):
    engine = connect_engine(virtual_sim, engine_settings(tmp_path, pairs=("BTCUSDT", "ETHUSDT")))
    engine.start()
    try:
        eventually(lambda: part(engine, Portfolio).last is not None, timeout=15)
        yield engine
    finally:
        engine.stop()


def order(side: str, qty: str, symbol: str = "BTCUSDT", **extra) -> PlaceOrder:
    return PlaceOrder(actor="alice", market="spot", symbol=symbol, side=side,
                      order_type=extra.pop("order_type", "MARKET"), quantity=Decimal(qty),
                      **extra)  # fmt: skip


def snapshot(engine: Engine):
    future = asyncio.run_coroutine_threadsafe(part(engine, Portfolio).take_snapshot(), engine._loop)
    return future.result(15)


def test_losing_trades_trip_the_daily_loss_limit_exactly_and_the_action_runs(
    engine_on_virtual_sim, virtual_sim
):
    engine = engine_on_virtual_sim
    saved = engine.submit(SaveRiskConfig(actor="admin", config={
        "max_daily_loss_usdt": str(DAILY_LOSS_LIMIT), "kill_switch_action": "cancel_orders",
    })).result(10)  # fmt: skip
    assert saved.ok, saved.message
    baseline = snapshot(engine).equity
    resting = engine.submit(order("BUY", "0.01", order_type="LIMIT", price=Decimal("90000")))
    assert resting.result(10).ok

    trips = 0
    while not part(engine, KillSwitchGuard).switch.current.on:
        trips += 1
        assert trips < 30, "the limit never tripped"
        for side in ("BUY", "SELL"):  # a round trip loses the fees and the spread
            reply = engine.submit(order(side, "0.5")).result(10)
            assert reply.ok, reply.message
        equity = snapshot(engine).equity
        loss = baseline - equity
        # Exactly at the limit: on from the first snapshot whose loss reaches it, never before.
        assert part(engine, KillSwitchGuard).switch.current.on == (loss >= DAILY_LOSS_LIMIT), (
            loss,
            trips,
        )

    assert part(engine, KillSwitchGuard).switch.current.rule == "max_daily_loss"
    client = synced_client(virtual_sim)
    eventually(lambda: client.get_open_orders(symbol="BTCUSDT") == [], timeout=10, interval=0.2)

    refused = engine.submit(order("BUY", "0.01")).result(10)
    assert not refused.ok and refused.code == "desk.risk.kill_switch", refused
    reducing = engine.submit(order("SELL", "0.01")).result(10)
    assert reducing.ok, reducing.message
    # The action's event comes once the exchange has been asked again, a moment after the cancel.
    kinds = eventually(
        lambda: (k := [e.kind for e in engine.events.recent]) and "kill_switch.action" in k and k
    )
    assert "kill_switch.tripped" in kinds


def test_equity_equals_the_simulators_account_value_after_a_day_of_trading(
    engine_on_virtual_sim, virtual_sim
):
    engine = engine_on_virtual_sim
    for hour in range(24):
        symbol = "BTCUSDT" if hour % 2 else "ETHUSDT"
        qty = "0.05" if symbol == "BTCUSDT" else "0.7"
        side = "BUY" if hour % 4 < 2 else "SELL"
        assert engine.submit(order(side, qty, symbol)).result(10).ok
        sim_control(virtual_sim, "POST", "/_sim/clock/advance", {"ms": 3_600_000})
    part(engine, Venue).rest._client.raw.timestamp_offset = 0  # the virtual day moved server time
    asyncio.run_coroutine_threadsafe(part(engine, Venue).rest.sync_time(), engine._loop).result(10)
    eventually(lambda: _balances_synced(engine, virtual_sim), timeout=15, interval=0.2)

    # The last hour's prices reach the engine by its ticker streams a moment after the clock
    # moves: equal once the engine has heard them, and it must stay equal from then on.
    def to_the_cent() -> tuple[Decimal, Decimal]:
        cent = Decimal("0.01")
        equity = snapshot(engine).equity
        return equity.quantize(cent), _sim_account_value(virtual_sim).quantize(cent)

    eventually(lambda: (pair := to_the_cent())[0] == pair[1], timeout=15, interval=0.2,
               what="the engine's equity equal to the simulator's account value")  # fmt: skip
    equity, account_value = to_the_cent()
    assert equity == account_value


def _sim_account_value(sim: SimulatorThread) -> Decimal:
    """Spot balances at last prices, plus the USD-M margin balance (wallet + unrealized)."""
    client = synced_client(sim)  # every URL of it points at the simulator
    prices = {t["symbol"]: Decimal(t["price"]) for t in client.get_all_tickers()}
    value = Decimal(0)
    for b in client.get_account()["balances"]:
        amount = Decimal(b["free"]) + Decimal(b["locked"])
        if amount:
            value += amount if b["asset"] == "USDT" else amount * prices[f"{b['asset']}USDT"]
    return value + Decimal(client.futures_account()["totalMarginBalance"])


def _balances_synced(engine: Engine, sim: SimulatorThread) -> bool:
    exchange = {
        b["asset"]: Decimal(b["free"]) + Decimal(b["locked"])
        for b in synced_client(sim).get_account()["balances"]
    }
    with engine.store.reader() as cur:
        rows = cur.execute("SELECT asset, free + locked FROM balances WHERE market = 'spot'")
        local = {a: Decimal(v) for a, v in rows.fetchall()}
    return {a: v for a, v in local.items() if v} == {a: v for a, v in exchange.items() if v}


def test_a_bad_risk_configuration_is_refused_with_the_field_and_reason(connected_engine):
    bad = connected_engine.submit(SaveRiskConfig(actor="admin", config={
        "max_leverage": 126, "max_drawdown_pct": "-5",
    })).result(10)  # fmt: skip
    assert not bad.ok
    fields = {p["field"] for p in bad.data["problems"]}
    assert {"max_leverage", "max_drawdown_pct"} <= fields


def test_leverage_above_the_exchange_bracket_is_refused(connected_engine):
    # XRPUSDT's first bracket allows 75x in the simulator (Binance's own table); BTCUSDT 125x.
    from engine.commands import SelectPairs

    engine = connected_engine
    assert engine.submit(SelectPairs(actor="admin", market="futures",
                                     symbols=("BTCUSDT", "XRPUSDT"))).result(15).ok  # fmt: skip
    reply = engine.submit(SaveRiskConfig(actor="admin", config={"max_leverage": 100})).result(10)
    assert not reply.ok
    problem = reply.data["problems"][0]
    assert problem["field"] == "max_leverage" and "XRPUSDT allows" in problem["reason"]
    assert engine.submit(SaveRiskConfig(actor="admin", config={"max_leverage": 50})).result(10).ok
