"""Today's start and the limits count only valuations that price the whole account.

On a virtual clock the market stands still, so no stream moves a price and the engine's first
prices come from its REST snapshot of every ticker. Holding that reply lets the engine publish
valuations that leave BTC and ETH out; none of them may become today's start, be stored as
equity, or read as a loss to the kill switch (a CI run found a start set that way: the limit
did not trip at a loss past it).
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from engine.commands import SaveRiskConfig
from engine.engine import Engine
from engine.guard import KillSwitchGuard
from engine.portfolio.component import Portfolio
from simulator.server import SimulatorThread
from tests.helpers import eventually, part, running
from tests.integration.conftest import connect_engine, engine_settings, sim_control

HELD_MS = 3000  # the tickers' reply; valuations come every 0.1 s meanwhile


def engine_with_prices_held(sim: SimulatorThread, tmp_path: Path) -> Engine:
    sim_control(sim, "POST", "/_sim/faults", {
        "kind": "latency", "ms": HELD_MS, "path": "/api/v3/ticker/price", "count": 1,
    })  # fmt: skip
    return connect_engine(sim, engine_settings(tmp_path, status_refresh_s=0.1))


def wait_for_an_unpriced_then_a_priced_valuation(engine: Engine) -> None:
    portfolio = part(engine, Portfolio)

    def published(unpriced: bool) -> bool:
        last = portfolio.last
        return last is not None and bool(last.spot.unpriced) == unpriced

    eventually(lambda: published(True), timeout=HELD_MS / 1000,
               what="a valuation published before the prices came")  # fmt: skip
    eventually(lambda: published(False), timeout=15, what="a valuation of the whole account")


def stored_equity(engine: Engine) -> list[Decimal]:
    with engine.store.reader() as cur:
        rows = cur.execute("SELECT equity FROM equity ORDER BY time").fetchall()
    return [Decimal(str(e)) for (e,) in rows]


def test_the_day_starts_from_the_first_valuation_of_the_whole_account(virtual_sim, tmp_path):
    with running(engine_with_prices_held(virtual_sim, tmp_path)) as engine:
        wait_for_an_unpriced_then_a_priced_valuation(engine)
        eventually(lambda: stored_equity(engine), what="an equity row")
        whole = part(engine, Portfolio).last
        assert whole is not None and whole.equity > Decimal(100_000)  # BTC and ETH counted
        assert whole.day_start_equity == stored_equity(engine)[0]
        assert all(e > Decimal(100_000) for e in stored_equity(engine))
        assert whole.daily_pnl == whole.equity - stored_equity(engine)[0]


def test_a_restart_before_the_prices_come_does_not_trip_the_daily_loss_limit(virtual_sim, tmp_path):
    settings = engine_settings(tmp_path)
    with running(connect_engine(virtual_sim, settings)) as first:
        saved = first.submit(SaveRiskConfig(actor="admin", config={
            "max_daily_loss_usdt": "150", "kill_switch_action": "cancel_orders",
        })).result(10)  # fmt: skip
        assert saved.ok, saved.message
        eventually(lambda: stored_equity(first), what="today's start stored")

    with running(engine_with_prices_held(virtual_sim, tmp_path)) as engine:
        wait_for_an_unpriced_then_a_priced_valuation(engine)
        switch = part(engine, KillSwitchGuard).switch.current
        assert not switch.on, switch.reason
        assert part(engine, Portfolio).last.daily_pnl.copy_abs() < Decimal(150)
