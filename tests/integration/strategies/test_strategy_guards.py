"""Strategies in a running engine against the simulator: the same checks as a person's orders,
and a strategy that raises or stalls is stopped without harm.

The simulator runs on a virtual clock; each test closes a 1m bar by advancing it, so every
switched-on strategy gets exactly one closed candle.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from engine.access.roles import Role
from engine.commands import Ping, PlaceOrder, SaveRiskConfig, SetStrategy
from engine.engine import Engine
from engine.events import EventKind
from engine.strategies.host import StrategyHost
from simulator.server import SimulatorThread
from tests.helpers import RoleMap, eventually, part
from tests.integration.conftest import (
    connect_engine,
    engine_settings,
    sim_config,
    sim_control,
    simulator,
)

MINUTE = 60_000
START_MS = 1_790_000_000_000 // MINUTE * MINUTE + 10_000

STRATEGIES = {
    "big_buyer": '''
from decimal import Decimal
from engine.strategies.api import Intent, Strategy

class BigBuyer(Strategy):
    """Buys far more than the risk limit allows, on every bar."""
    def on_candle(self, candles, position):
        return [Intent.buy(quantity=Decimal("0.5"), reason="too big")]
''',
    "crasher": """
from engine.strategies.api import Strategy

class Crasher(Strategy):
    def on_candle(self, candles, position):
        raise ValueError("boom on purpose")
""",
    "staller": """
from engine.strategies.api import Strategy

class Staller(Strategy):
    def on_candle(self, candles, position):
        return sum(range(10**13))  # one C call that holds the GIL and never ends
""",
}


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    path = tmp_path / "strategies"
    path.mkdir()
    for name, source in STRATEGIES.items():
        (path / f"{name}.py").write_text(source)
    return path


@pytest.fixture
def vsim(tmp_path: Path) -> Iterator[SimulatorThread]:
    with simulator(sim_config(tmp_path, clock="virtual", start_ms=START_MS)) as thread:
        yield thread


@pytest.fixture
def engine(vsim, tmp_path: Path, folder: Path) -> Iterator[Engine]:
    before = set(threading.enumerate())
    settings = engine_settings(tmp_path, pairs=("BTCUSDT",), strategies_dir=folder)
    eng = connect_engine(vsim, settings, RoleMap({"bob": Role.TRADER}))
    eng.start()
    try:
        host = part(eng, StrategyHost)
        eventually(lambda: host.ready.is_set() and len(host.catalogue) == 3, timeout=30)
        yield eng
    finally:
        eng.stop()
        leftover = {t for t in set(threading.enumerate()) - before if t.is_alive()}
        assert not leftover, f"threads left behind: {leftover}"


def ask(engine: Engine, command, timeout: float = 30.0):
    return engine.submit(command).result(timeout)


def switch_on(engine: Engine, strategy: str, **extra) -> None:
    command = SetStrategy(
        actor="admin", strategy=strategy, market="spot", symbol="BTCUSDT",
        enabled=True, **extra,
    )  # fmt: skip
    reply = ask(engine, command)
    assert reply.ok, reply.message


def close_a_bar(engine: Engine, vsim: SimulatorThread) -> None:
    """Let the stream see the forming bar, then move the clock past its close."""
    feed = engine.component("market-data").feeds["spot"]  # type: ignore[attr-defined]
    eventually(lambda: feed.summary()["state"] == "connected" and not feed.summary()["held_rows"])
    frames = feed.counters.frames
    sim_control(vsim, "POST", "/_sim/clock/advance", {"ms": 1000})
    eventually(lambda: feed.counters.frames > frames, what="the forming bar on the stream")
    sim_control(vsim, "POST", "/_sim/clock/advance", {"ms": MINUTE})


def signals(engine: Engine) -> list[tuple]:
    with engine.store.reader() as cur:
        return cur.execute(
            "SELECT strategy, outcome, code, client_order_id FROM strategy_signals ORDER BY seq"
        ).fetchall()


def spot_orders_at_the_exchange(vsim: SimulatorThread) -> int:
    stats = sim_control(vsim, "GET", "/_sim/stats").get("spot_orders", {})
    return int(stats.get("orders_placed", 0)) + int(stats.get("orders_rejected", 0))


def events_of(engine: Engine, kind: EventKind) -> list:
    return [e for e in engine.events.recent if e.kind is kind]


def test_a_strategy_over_a_risk_limit_is_refused_as_a_person_is(engine, vsim):
    limits = {"max_notional_per_symbol": "1000"}
    assert ask(engine, SaveRiskConfig(actor="admin", config=limits)).ok
    person = ask(engine, PlaceOrder(actor="alice", market="spot", symbol="BTCUSDT", side="BUY",
                                    order_type="MARKET", quantity=Decimal("0.5")))  # fmt: skip
    assert not person.ok and person.code.startswith("desk.risk.")
    before = spot_orders_at_the_exchange(vsim)
    switch_on(engine, "big_buyer")

    close_a_bar(engine, vsim)

    eventually(lambda: signals(engine), timeout=20, what="the strategy's signal")
    [(strategy, outcome, code, client_id)] = signals(engine)
    assert (strategy, outcome, code, client_id) == ("big_buyer", "refused", person.code, None)
    refused = events_of(engine, EventKind.ORDER_REFUSED)
    assert [e.data["actor"] for e in refused] == ["alice", "strategy:big_buyer"]
    assert spot_orders_at_the_exchange(vsim) == before  # nothing reached the simulator


def test_a_crashing_and_a_stalling_strategy_are_stopped_and_the_engine_serves_on(engine, vsim):
    switch_on(engine, "crasher")
    switch_on(engine, "staller", budget_ms=300)
    host = part(engine, StrategyHost)
    staller = host.instances["staller:spot:BTCUSDT"]
    pid = staller.worker._process.pid

    close_a_bar(engine, vsim)

    eventually(lambda: host.instances["crasher:spot:BTCUSDT"].state == "crashed", timeout=20)
    eventually(lambda: staller.state == "stalled", timeout=20)
    [crashed] = events_of(engine, EventKind.STRATEGY_CRASHED)
    assert "boom on purpose" in crashed.message and "ValueError" in crashed.data["traceback"]
    [stalled] = events_of(engine, EventKind.STRATEGY_STALLED)
    assert "300 ms" in stalled.message
    eventually(lambda: not _alive(pid), timeout=10, what="the stalled worker killed")
    started = time.monotonic()
    assert ask(engine, Ping(actor="test", payload="still here"), timeout=5).message == "still here"
    assert time.monotonic() - started < 2
    eventually(lambda: states(engine) == {"crasher": "crashed", "staller": "stalled"})
    order = PlaceOrder(actor="alice", market="spot", symbol="BTCUSDT", side="BUY",
                       order_type="MARKET", quantity=Decimal("0.001"))  # fmt: skip
    assert ask(engine, order).ok  # trading goes on


def test_switching_needs_the_admin_role_and_valid_parameters(engine):
    reply = ask(engine, SetStrategy(actor="bob", strategy="crasher",
                                    market="spot", symbol="BTCUSDT", enabled=True))  # fmt: skip
    assert not reply.ok and reply.code == "desk.forbidden"
    reply = ask(engine, SetStrategy(actor="admin", strategy="nothing",
                                    market="spot", symbol="BTCUSDT", enabled=True))  # fmt: skip
    assert not reply.ok and reply.code == "strategy.unknown"
    reply = ask(engine, SetStrategy(actor="admin", strategy="crasher",
                                    market="spot", symbol="BTCUSDT", enabled=True,
                                    params={"unknown": 1}))  # fmt: skip
    assert not reply.ok and reply.code == "strategy.invalid"
    assert part(engine, StrategyHost).instances == {}


def states(engine: Engine) -> dict[str, str]:
    with engine.store.reader() as cur:
        return dict(cur.execute("SELECT strategy, state FROM strategy_status").fetchall())


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
