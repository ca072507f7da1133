"""User-data streams: a quiet account is healthy; a closed connection comes back."""

from __future__ import annotations

import time

import pytest

from engine.account.sync import AccountSync
from engine.binance import user_streams
from engine.events import EventKind
from tests.helpers import eventually, part
from tests.integration.conftest import sim_control


@pytest.fixture
def fast_pings(monkeypatch: pytest.MonkeyPatch) -> None:
    # Pings every 0.2 s: a few seconds of silence are then many ping intervals long.
    monkeypatch.setattr(user_streams, "PING_INTERVAL_S", 0.2)
    monkeypatch.setattr(user_streams, "PING_TIMEOUT_S", 1.0)


def test_a_quiet_account_stays_connected_without_noise(fast_pings, connected_engine):
    """No order, no event for many ping intervals: silence is not death (pings are control
    frames), so no crash, no restart, no reconcile storm, no error event."""
    engine = connected_engine
    account = part(engine, AccountSync)
    eventually(lambda: account.stream_state == {"spot": "connected", "futures": "connected"})
    # at start, then once per stream's connect
    reconciliations = eventually(lambda: account.reconciliations >= 3 and account.reconciliations)
    quiet_until = time.monotonic() + 3.0
    while time.monotonic() < quiet_until:  # watching, not waiting: every state must hold
        assert account.stream_state == {"spot": "connected", "futures": "connected"}
        time.sleep(0.1)
    tasks = {t["name"]: t for t in engine.status()["tasks"]}
    assert tasks["user-stream-spot"]["restarts"] == 0
    assert tasks["user-stream-futures"]["restarts"] == 0
    assert account.reconciliations == reconciliations
    assert not [e for e in engine.events.recent if e.kind is EventKind.TASK_CRASHED]


def test_a_user_stream_closed_by_the_exchange_comes_back(connected_engine, sim):
    """The exchange closes the connection cleanly: the stream reconnects and reconciles."""
    engine = connected_engine
    account = part(engine, AccountSync)
    eventually(lambda: account.stream_state.get("futures") == "connected")
    before = account.reconciliations
    assert sim_control(sim, "POST", "/_sim/ws/drop", {"path": "/fstream/private"})["dropped"]
    eventually(lambda: account.reconciliations > before, timeout=10, what="reconcile after")
    eventually(lambda: account.stream_state.get("futures") == "connected", timeout=10)


def test_order_events_arrive_through_the_stream_without_a_restart(connected_engine, sim):
    """Every executionReport and ORDER_TRADE_UPDATE parses: a spot and a futures order and
    their cancels reach the engine as stream events, with no stream restart on the way (a
    payload the engine cannot read would restart the stream and show up here)."""
    from decimal import Decimal

    from engine.commands import CancelOrder, PlaceOrder

    engine = connected_engine
    account = part(engine, AccountSync)
    eventually(lambda: account.reconciliations >= 3)
    for market, price in (("spot", "50000"), ("futures", "50000")):
        order = PlaceOrder(actor="a", market=market, symbol="BTCUSDT", side="BUY",
                           order_type="LIMIT", quantity=Decimal("0.002"), price=Decimal(price),
                           time_in_force="GTC")  # fmt: skip
        placed = engine.submit(order).result(10)
        assert placed.ok, placed.message
        cancel = CancelOrder(actor="a", market=market, symbol="BTCUSDT",
                             client_order_id=placed.data["client_order_id"])  # fmt: skip
        assert engine.submit(cancel).result(10).ok
    eventually(lambda: account.last_event_ms.keys() >= {"spot", "futures"}, timeout=10)
    tasks = {t["name"]: t for t in engine.status()["tasks"]}
    assert tasks["user-stream-spot"]["restarts"] == 0, tasks["user-stream-spot"]
    assert tasks["user-stream-futures"]["restarts"] == 0, tasks["user-stream-futures"]
