"""Faults reach USD-M streams: `/_sim/ws/drop {"path": "/fstream"}` under a running engine
closes its futures connections, `/_sim/stats` counts them, and afterwards the engine's futures
candles have no gap and the shared market's real volume."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from engine.engine import Engine
from engine.models import MarketType
from simulator.server import SimulatorThread
from tests.helpers import eventually
from tests.integration.conftest import (
    connect_engine,
    engine_settings,
    sim_config,
    sim_control,
    simulator,
)

MINUTE = 60_000
START_MS = 1_790_000_000_000 // MINUTE * MINUTE + 10_000  # 10 s into a minute
SYMBOLS = ("BTCUSDT", "ETHUSDT")  # the engine's default pairs


@pytest.fixture
def vsim(tmp_path: Path) -> Iterator[SimulatorThread]:
    with simulator(sim_config(tmp_path, clock="virtual", start_ms=START_MS)) as thread:
        yield thread


@pytest.fixture
def engine(vsim: SimulatorThread, tmp_path: Path) -> Iterator[Engine]:
    engine = connect_engine(vsim, engine_settings(tmp_path))
    engine.start()
    try:
        yield engine
    finally:
        engine.stop()


def futures_feed(engine: Engine):  # the engine's USD-M market-data session
    component = next(c for c in engine.components if c.name == "market-data")
    return component.feeds[MarketType.FUTURES]


def settled(engine: Engine) -> bool:
    summary = futures_feed(engine).summary()
    return (
        summary["state"] == "connected"
        and summary["subscribed"] == summary["streams"]
        and summary["held_rows"] == 0
    )


def fstream_connections(sim: SimulatorThread) -> int:
    by_namespace = sim_control(sim, "GET", "/_sim/stats")["connections"]["by_namespace"]
    return sum(n for namespace, n in by_namespace.items() if namespace.startswith("fstream"))


def step(sim: SimulatorThread, engine: Engine, ms: int) -> int:
    """Advance the clock and wait until the engine has read futures frames of the new time."""
    frames = futures_feed(engine).counters.frames
    now = sim_control(sim, "POST", "/_sim/clock/advance", {"ms": ms})["marketTime"]
    eventually(lambda: futures_feed(engine).counters.frames > frames, timeout=10)
    return now


def stored(engine: Engine, symbol: str, start: int, end: int) -> list[tuple]:
    assert engine.store is not None
    with engine.store.reader() as cur:
        return cur.execute(
            "SELECT open_time, open, high, low, close, volume, trades FROM klines "
            "WHERE market = 'futures' AND symbol = ? AND interval = '1m' "
            "AND open_time BETWEEN ? AND ? ORDER BY open_time",
            [symbol, start, end],
        ).fetchall()


def exchange_bars(sim: SimulatorThread, symbol: str, start: int, end: int) -> list[tuple]:
    params = {"symbol": symbol, "interval": "1m", "startTime": start, "endTime": end}
    response = requests.get(f"{sim.urls.fapi_url}/v1/klines", params=params, timeout=10)
    response.raise_for_status()
    return [
        (r[0], float(r[1]), float(r[2]), float(r[3]), float(r[4]), float(r[5]), r[8])
        for r in response.json()
    ]


def test_dropping_futures_streams_under_the_engine_leaves_no_gap(vsim, engine):
    eventually(lambda: settled(engine), timeout=30)
    first_open = START_MS // MINUTE * MINUTE + MINUTE
    for _ in range(6):  # three minutes streamed before the fault
        step(vsim, engine, 30_000)
    counted = fstream_connections(vsim)
    assert counted >= 1  # the engine's market connection (and its user-data stream)

    dropped = sim_control(vsim, "POST", "/_sim/ws/drop", {"path": "/fstream"})
    assert dropped["dropped"] == counted > 0
    sim_control(vsim, "POST", "/_sim/clock/advance", {"ms": 70_000})  # a bar closes meanwhile
    eventually(lambda: futures_feed(engine).counters.reconnects >= 1, timeout=20)
    eventually(lambda: settled(engine), timeout=30)
    eventually(lambda: fstream_connections(vsim) >= 1, timeout=10)
    for _ in range(6):  # three more minutes streamed after it
        now = step(vsim, engine, 30_000)
    now = step(vsim, engine, MINUTE)
    last_closed = now // MINUTE * MINUTE - MINUTE

    for symbol in SYMBOLS:
        expected = exchange_bars(vsim, symbol, first_open, last_closed)
        assert [b[0] for b in expected] == list(range(first_open, last_closed + 1, MINUTE))
        assert all(b[5] > 0 and b[6] > 0 for b in expected)  # real volume and trades
        eventually(
            lambda s=symbol, e=expected: stored(engine, s, first_open, last_closed) == e,
            timeout=20,
        )
