"""Market data against the simulator over loopback: streams, backfill, reconnects, pair changes.

The simulator runs on a virtual clock: the market (and so every stream) stands still until a
test advances it, which makes candle boundaries, gaps and silence deterministic and fast.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from engine.binance.rest import BinanceRest
from engine.binance.urls import sim_endpoints
from engine.commands import SelectPairs
from engine.credentials import Credentials
from engine.engine import Engine
from engine.market.component import MarketData
from engine.market.feed_types import MarketDataConfig
from engine.market.prices import LivePrices
from engine.models import MarketType
from engine.venue import Venue
from simulator.server import SimulatorThread
from tests.helpers import ADMINS, eventually
from tests.integration.conftest import engine_settings, sim_config, sim_control, simulator

MINUTE = 60_000
START_MS = 1_790_000_000_000 // MINUTE * MINUTE + 10_000  # 10 s into a minute
FAST = MarketDataConfig(
    history_candles=30,
    stale_after_s=30.0,
    backoff_initial_s=0.02,
    backoff_max_s=0.2,
    healthy_session_s=0.0,
)


@pytest.fixture
def vsim(tmp_path: Path) -> Iterator[SimulatorThread]:
    with simulator(sim_config(tmp_path, clock="virtual", start_ms=START_MS)) as thread:
        yield thread


def start_engine(
    sim: SimulatorThread, tmp_path: Path, config: MarketDataConfig, pairs: str = "BTCUSDT,ETHUSDT"
) -> tuple[Engine, MarketData]:
    # One interval: these tests count streams and rows of one candle series per pair.
    settings = engine_settings(tmp_path, pairs=pairs, kline_intervals=("1m",))
    base = sim.urls.base_url
    endpoints = sim_endpoints(base)
    credentials = Credentials(sim.api_key.key, sim.api_key.secret)
    venue = Venue(BinanceRest(endpoints, credentials, settings.request_timeout_s))
    market_data = MarketData(venue, LivePrices(), config)
    engine = Engine(settings, [venue, market_data], roles=ADMINS)
    engine.start()
    return engine, market_data


@pytest.fixture
def no_leftover_threads() -> Iterator[None]:
    before = set(threading.enumerate())
    yield
    leftover = {t for t in set(threading.enumerate()) - before if t.is_alive()}
    assert not leftover, f"threads left behind: {leftover}"


def advance(sim: SimulatorThread, ms: int) -> int:
    return sim_control(sim, "POST", "/_sim/clock/advance", {"ms": ms})["marketTime"]


def spot(component: MarketData) -> Any:
    return component.feeds[MarketType.SPOT]


def settled(component: MarketData) -> bool:
    """Connected, every stream subscribed and no backfill holding rows."""
    summary = spot(component).summary()
    return (
        summary["state"] == "connected"
        and summary["subscribed"] == summary["streams"]
        and summary["held_rows"] == 0
        and not any(t.buffer is not None for t in spot(component)._tracks.values())
    )


def stored(engine: Engine, symbol: str, start: int, end: int) -> list[tuple]:
    assert engine.store is not None
    with engine.store.reader() as cur:
        return cur.execute(
            "SELECT open_time, open, high, low, close, volume, close_time, quote_volume, trades, "
            "is_closed FROM klines WHERE market = 'spot' AND symbol = ? AND interval = '1m' "
            "AND open_time BETWEEN ? AND ? ORDER BY open_time",
            [symbol, start, end],
        ).fetchall()


def exchange_bars(sim: SimulatorThread, symbol: str, start: int, end: int) -> list[tuple]:
    response = requests.get(
        f"{sim.urls.base_url}/api/v3/klines",
        params={"symbol": symbol, "interval": "1m", "startTime": start, "endTime": end},
        timeout=10,
    )
    response.raise_for_status()
    return [
        (r[0], float(r[1]), float(r[2]), float(r[3]), float(r[4]), float(r[5]), r[6],
         float(r[7]), r[8], True)
        for r in response.json()
    ]  # fmt: skip


def frames_of(component: MarketData, stream: str, market: str = "spot") -> int:
    return next(
        s["messages"]
        for s in component.stream_status()
        if s["stream"] == stream and s["market"] == market
    )


def test_ten_dropped_connections_leave_every_candle_exactly_once(
    vsim, tmp_path, no_leftover_threads
):
    """After ten drops (some with the market moving while disconnected), every closed 1m bar of
    the period is stored once per symbol and equals the exchange's REST klines."""
    engine, market_data = start_engine(vsim, tmp_path, FAST)
    try:
        eventually(lambda: settled(market_data), timeout=15)
        first_open = START_MS // MINUTE * MINUTE - 20 * MINUTE
        for drop in range(10):
            advance(vsim, 25_000)
            frames = spot(market_data).counters.frames
            advance(vsim, 20_000)
            eventually(lambda f=frames: spot(market_data).counters.frames > f, timeout=10)
            dropped = sim_control(vsim, "POST", "/_sim/ws/drop", {"path": "/stream"})
            assert dropped["dropped"] >= 1
            if drop % 2:  # the market moves on while the engine is disconnected
                advance(vsim, 70_000)
            eventually(lambda d=drop: spot(market_data).counters.reconnects > d, timeout=10)
            eventually(lambda: settled(market_data), timeout=15)
        now = advance(vsim, MINUTE)
        last_closed = now // MINUTE * MINUTE - MINUTE
        for symbol in ("BTCUSDT", "ETHUSDT"):
            expected = exchange_bars(vsim, symbol, first_open, last_closed)
            assert len(expected) == (last_closed - first_open) // MINUTE + 1
            eventually(
                lambda s=symbol, e=expected: stored(engine, s, first_open, last_closed) == e,
                timeout=15,
            )
        counters = spot(market_data).counters
        assert counters.reconnects >= 10
        assert counters.backfills >= 2 * 11  # both series, on every connect
        assert any(e.kind == "stream_reconnect" for e in engine.events.recent)
    finally:
        engine.stop()


def test_pairs_added_and_removed_at_run_time_without_reconnecting(
    vsim, tmp_path, no_leftover_threads
):
    """An added pair gets history and live candles on the same connection; a removed pair's
    rows stop changing; unknown symbols are refused by name; the selection survives a restart."""
    engine, market_data = start_engine(vsim, tmp_path, FAST, pairs="BTCUSDT")
    try:
        eventually(lambda: settled(market_data), timeout=15)
        connected_since = spot(market_data).summary()["connected_since_ms"]

        refused = engine.submit(
            SelectPairs(actor="ann", market=MarketType.SPOT, symbols=("BTCUSDT", "NOPEUSDT"))
        ).result(10)
        assert not refused.ok and refused.code == "unknown_symbols"
        assert "NOPEUSDT" in refused.message

        added = engine.submit(
            SelectPairs(actor="ann", market=MarketType.SPOT, symbols=("BTCUSDT", "ETHUSDT"))
        ).result(10)
        assert added.ok and added.data["added"] == ["ETHUSDT"]
        eventually(
            lambda: len(stored(engine, "ETHUSDT", 0, 2**62)) >= FAST.history_candles, timeout=15
        )
        eventually(lambda: settled(market_data), timeout=15)
        advance(vsim, MINUTE)
        eventually(lambda: frames_of(market_data, "ethusdt@kline_1m") > 0, timeout=10)
        summary = spot(market_data).summary()
        assert summary["reconnects"] == 0 and summary["connected_since_ms"] == connected_since

        removed = engine.submit(
            SelectPairs(actor="bob", market=MarketType.SPOT, symbols=("ETHUSDT",))
        ).result(10)
        assert removed.ok and removed.data["removed"] == ["BTCUSDT"]
        eventually(lambda: spot(market_data).summary()["subscribed"] == 2, timeout=10)
        # A flush holding an ETH row of a new minute also holds every earlier BTC row.
        eth_minute = advance(vsim, MINUTE) // MINUTE * MINUTE
        eventually(lambda: stored(engine, "ETHUSDT", eth_minute, eth_minute), timeout=10)
        btc_before = stored(engine, "BTCUSDT", 0, 2**62)
        for _ in range(3):
            advance(vsim, 30_000)
        eth_minute = advance(vsim, MINUTE) // MINUTE * MINUTE
        eventually(lambda: stored(engine, "ETHUSDT", eth_minute, eth_minute), timeout=10)
        assert stored(engine, "BTCUSDT", 0, 2**62) == btc_before
        assert spot(market_data).summary()["reconnects"] == 0
    finally:
        engine.stop()

    assert engine.store is not None
    restarted, market_data = start_engine(vsim, tmp_path, FAST, pairs="BTCUSDT")
    try:
        assert market_data.selected(MarketType.SPOT) == ("ETHUSDT",)
        assert restarted.store is not None
        with restarted.store.reader() as cur:
            versions = cur.execute(
                "SELECT version, actor FROM config_versions WHERE kind = 'pairs:spot' "
                "ORDER BY version"
            ).fetchall()
        assert versions == [(1, "ann"), (2, "bob")]
    finally:
        restarted.stop()


def test_a_silent_stream_is_detected_as_stale_and_reconnected(vsim, tmp_path, no_leftover_threads):
    """With the market standing still no frame arrives; after `stale_after_s` the connection is
    replaced, and frames flow again on the new one once the market moves."""
    config = MarketDataConfig(
        history_candles=10, stale_after_s=0.4, backoff_initial_s=0.02, backoff_max_s=0.1
    )
    engine, market_data = start_engine(vsim, tmp_path, config, pairs="BTCUSDT")
    try:
        eventually(lambda: spot(market_data).counters.stale_reconnects >= 1, timeout=10)
        assert any(e.kind == "stream_stale" for e in engine.events.recent)
        assert any(s["stale"] for s in market_data.stream_status())
        # Never heard: its silence counts from when it was wanted (what the alert rule reads).
        unheard = [s for s in market_data.stream_status() if s["last_message_age_s"] is None]
        assert unheard and all(s["silent_s"] >= 0.4 for s in unheard)
        eventually(lambda: settled(market_data), timeout=10)
        frames = spot(market_data).counters.frames

        def moved_and_heard() -> bool:  # the market keeps moving until the new connection hears it
            advance(vsim, 1_000)
            return spot(market_data).counters.frames > frames

        eventually(moved_and_heard, timeout=10)
        status = {(s["market"], s["stream"]): s for s in market_data.stream_status()}
        assert status[("spot", "btcusdt@kline_1m")]["reconnects"] >= 1
    finally:
        engine.stop()


def test_a_connection_is_replaced_before_its_maximum_age(vsim, tmp_path, no_leftover_threads):
    """Binance cuts connections at 24 h; the feed leaves first (here after 0.5 s) and reconnects
    at once, backfilling as on any connect."""
    config = MarketDataConfig(history_candles=10, max_connection_age_s=0.5, stale_after_s=60)
    engine, market_data = start_engine(vsim, tmp_path, config, pairs="BTCUSDT")
    try:
        eventually(lambda: spot(market_data).counters.age_reconnects >= 2, timeout=10)
        eventually(lambda: spot(market_data).counters.backfills >= 3, timeout=10)
        assert spot(market_data).counters.stale_reconnects == 0
        assert "max-age" in spot(market_data).counters.last_reason
    finally:
        engine.stop()
