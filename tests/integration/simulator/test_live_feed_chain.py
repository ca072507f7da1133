"""Two simulators in a chain: the downstream one takes its prices live from the upstream one.

Both run the virtual clock from the same start, so the test steps them together; everything
between them is real loopback HTTP and WebSocket (REST backfill, the combined kline stream,
a dropped stream and its catch-up).
"""

from __future__ import annotations

import time
from decimal import Decimal
from typing import Any

import pytest
import requests

from simulator.feeds.candles import HOUR_MS, MINUTE_MS
from simulator.server import SimConfig, SimulatorThread
from simulator.spot.symbols import DEFAULT_SYMBOLS
from tests.helpers import eventually
from tests.integration.sim_support import control_headers

SYMBOLS = DEFAULT_SYMBOLS[:2]  # BTCUSDT, ETHUSDT
STEP_MS = 5_000


def advance(sim: SimulatorThread, ms: int) -> None:
    reply = requests.post(
        f"{sim.urls.base_url}/_sim/clock/advance",
        json={"ms": ms},
        headers=control_headers(sim),
        timeout=10,
    )
    reply.raise_for_status()


def klines(sim: SimulatorThread, symbol: str) -> list[list[Any]]:
    params = {"symbol": symbol, "interval": "1m", "limit": 1000}
    reply = requests.get(f"{sim.urls.api_url}/v3/klines", params=params, timeout=10)
    reply.raise_for_status()
    return reply.json()


@pytest.fixture
def chain():
    start = (int(time.time() * 1000) - 3 * HOUR_MS) // MINUTE_MS * MINUTE_MS + 30_000
    upstream = SimulatorThread(SimConfig(clock="virtual", start_ms=start, symbols=SYMBOLS))
    upstream.start()
    downstream = None
    try:
        feed = f"live:{upstream.urls.base_url}?history=6h"
        config = SimConfig(clock="virtual", start_ms=start, symbols=SYMBOLS, feed=feed, seed=9)
        downstream = SimulatorThread(config).start()
        yield upstream, downstream, start
    finally:
        if downstream is not None:
            live_feed = downstream.sim.ctx.market.feed
            downstream.stop()
            live_feed.stop()  # the server does not close its market's feed (yet)
        upstream.stop()


def received(upstream: SimulatorThread, feed: Any) -> bool:
    """The downstream feed has the upstream's current forming minute as it stands now."""
    for spec in SYMBOLS:
        bar = upstream.call(lambda s=spec.symbol: upstream.sim.ctx.market.forming_bar(s, "1m"))
        if feed.forming(spec.symbol) != (bar.open_time, bar.close, bar.volume):
            return False
    return True


def test_a_simulator_follows_another_one_live(chain) -> None:
    upstream, downstream, start = chain
    feed = downstream.sim.ctx.market.feed
    eventually(lambda: feed.connected, what="the downstream to connect to the upstream")
    for step in range(1, 37):  # three virtual minutes
        advance(upstream, STEP_MS)
        if step == 12:
            requests.post(
                f"{upstream.urls.base_url}/_sim/ws/drop",
                json={"path": "/stream"},
                headers=control_headers(upstream),
                timeout=10,
            )
            eventually(lambda: feed.reconnects >= 1 and feed.connected, what="a reconnect")
        eventually(lambda: received(upstream, feed), what=f"step {step} downstream")
        advance(downstream, STEP_MS)
    assert feed.reconnects >= 1
    for spec in SYMBOLS:
        up, down = klines(upstream, spec.symbol), klines(downstream, spec.symbol)
        first_live = start - start % MINUTE_MS
        by_time = {row[0]: row for row in up}
        history = [row for row in down if row[0] < first_live]  # backfilled over REST
        assert len(history) == 6 * 60
        assert history == [by_time[row[0]] for row in history]
        live_up = [row for row in up if first_live <= row[0] and row[6] < start + 36 * STEP_MS]
        live_down = {row[0]: row for row in down}
        assert len(live_up) == 3
        for row in live_up:  # o, h, l, c, volume, trades, taker buy volume
            theirs = live_down[row[0]]
            for i in (1, 2, 3, 4, 5, 9):
                assert Decimal(theirs[i]) == Decimal(row[i]), (spec.symbol, row[0], i)
            assert theirs[8] == row[8]
