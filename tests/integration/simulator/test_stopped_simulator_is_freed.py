"""A stopped simulator is freed, market and all: aiohttp's module-level cache of middleware
chains held every handler a request had reached, and through them each simulator's market
(~250 MB of history), so a test run grew by that much per simulator started."""

from __future__ import annotations

import gc
import weakref

from simulator.server import SimulatorThread
from tests.integration.conftest import sim_config
from tests.integration.sim_support import synced_client


def test_nothing_keeps_a_stopped_simulators_market(tmp_path):
    sim = SimulatorThread(sim_config(tmp_path)).start()
    client = synced_client(sim)
    try:
        assert client.get_account()["balances"]  # a request through the middlewares
    finally:
        client.close_connection()
    assert sim.sim.ctx is not None
    market = weakref.ref(sim.sim.ctx.market)
    sim.stop()
    del sim, client
    gc.collect()
    assert market() is None
