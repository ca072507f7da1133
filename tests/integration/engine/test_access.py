"""Roles, keys and the live gate in a running engine against the simulator.

The engine asks the user store for every actor's role (the kill switch and the admin handlers
too); keys are sealed in the vault, tested against their own environment's exchange only, and
the desk may go live only with a live key that passed its test and the typed confirmation. The
"live" exchange here is a second simulator: no test reaches a real Binance host.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from engine import commands
from engine.access import passwords
from engine.access.roles import Role
from engine.access.users import UserStore
from engine.assembly import Access, build_engine
from engine.binance.urls import Endpoints, sim_endpoints
from engine.commands import (
    PlaceOrder,
    ResetKillSwitch,
    SaveRiskConfig,
    StoreApiKey,
    SwitchEnvironment,
    TripKillSwitch,
)
from engine.credentials import CredentialChain, Credentials
from engine.engine import Engine
from engine.guard import KillSwitchGuard
from engine.models import Environment
from engine.vault import Vault, VaultCredentials
from simulator.server import SimulatorThread
from tests.helpers import part
from tests.integration.conftest import engine_settings, sim_config, sim_control

PASSWORD = "correct horse battery"
PASSPHRASE = "a long master passphrase"


@pytest.fixture
def live_sim(tmp_path: Path) -> Iterator[SimulatorThread]:
    """A second simulator standing in for Binance live."""
    thread = SimulatorThread(sim_config(tmp_path / "live")).start()
    yield thread
    thread.stop()


@pytest.fixture
def users(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> UserStore:
    monkeypatch.setattr(passwords, "ROUNDS", 4)
    store = UserStore(tmp_path / "users.json")
    store.create_first_admin("ada", "Ada", PASSWORD)
    store.add("tom", "Tom", Role.TRADER, PASSWORD)
    store.add("val", "Val", Role.VIEWER, PASSWORD)
    return store


def live_endpoints(live: SimulatorThread) -> Endpoints:
    return dataclasses.replace(sim_endpoints(live.urls.base_url), environment=Environment.LIVE)


@pytest.fixture
def desk(sim, live_sim, users, tmp_path) -> Iterator[Engine]:
    vault = Vault(tmp_path / "vault.json", PASSPHRASE)
    chain = CredentialChain([("the encrypted vault", VaultCredentials(vault))])
    resolve = {Environment.LIVE: live_endpoints(live_sim)}
    access = Access(users, vault, chain, resolve.get)
    keys = Credentials(sim.api_key.key, sim.api_key.secret)
    engine = build_engine(engine_settings(tmp_path), sim_endpoints(sim.urls.base_url), keys, access)
    engine.start()
    yield engine
    engine.stop()


def spot_orders_placed(sim: SimulatorThread) -> int:
    stats = sim_control(sim, "GET", "/_sim/stats").get("spot_orders", {})
    return int(stats.get("orders_placed", 0)) + int(stats.get("orders_rejected", 0))


def requests_to(sim: SimulatorThread) -> int:
    return sum(sim_control(sim, "GET", "/_sim/stats")["requests"].values())


def refused_keys(sim: SimulatorThread) -> dict:
    """Requests the exchange refused, by code (a key it does not know is -2014/-2015)."""
    return sim_control(sim, "GET", "/_sim/stats")["rejected"]


def test_a_viewer_cannot_place_and_nothing_reaches_the_exchange(desk, sim):
    order = PlaceOrder(actor="val", market="spot", symbol="BTCUSDT", side="BUY",
                       order_type="MARKET", quantity=Decimal("0.001"))  # fmt: skip
    before = spot_orders_placed(sim)
    reply = desk.submit(order).result(10)
    assert not reply.ok and reply.code == "desk.forbidden"
    assert spot_orders_placed(sim) == before
    assert desk.submit(order.model_copy(update={"actor": "tom"})).result(10).ok


def test_a_trader_pulls_the_kill_switch_but_only_an_admin_resets_it(desk):
    guard = part(desk, KillSwitchGuard)
    assert desk.submit(TripKillSwitch(actor="tom", reason="stop")).result(10).ok
    assert guard.switch.on
    refused = desk.submit(ResetKillSwitch(actor="tom")).result(10)
    assert not refused.ok and refused.code == "desk.forbidden" and guard.switch.on
    assert desk.submit(ResetKillSwitch(actor="ada")).result(10).ok
    assert not guard.switch.on


def test_a_trader_cannot_change_risk_limits(desk):
    reply = desk.submit(SaveRiskConfig(actor="tom", config={"max_open_positions": 1})).result(10)
    assert reply.code == "desk.forbidden"
    with desk.store.reader() as cur:
        assert (
            cur.execute("SELECT count(*) FROM config_versions WHERE kind = 'risk'").fetchone()[0]
            == 0
        )


def test_the_connection_test_reports_the_keys_restrictions(desk):
    reply = desk.submit(commands.TestConnection(actor="ada")).result(30)
    assert reply.ok, reply.message
    restrictions = reply.data["permissions"]["restrictions"]
    assert restrictions["ip_restricted"] is True and restrictions["withdrawals"] is False
    assert restrictions["spot_and_margin_trading"] and restrictions["futures"]


def store_live_key(desk: Engine, live: SimulatorThread) -> None:
    reply = desk.submit(StoreApiKey(actor="ada", environment=Environment.LIVE,
                                    api_key=live.api_key.key,
                                    api_secret=live.api_key.secret)).result(10)  # fmt: skip
    assert reply.ok, reply.message


def go_live(desk: Engine, confirmation: str = "TRADE LIVE", actor: str = "ada"):
    command = SwitchEnvironment(actor=actor, target=Environment.LIVE, confirmation=confirmation)
    return desk.submit(command).result(10)


def test_the_live_gate_needs_a_tested_live_key_and_the_confirmation(desk, live_sim):
    assert "No live API key" in go_live(desk).message
    store_live_key(desk, live_sim)
    assert "has not been tested" in go_live(desk).message
    tested = desk.submit(commands.TestKeys(actor="ada", environment=Environment.LIVE)).result(30)
    assert tested.ok, tested.message
    assert "TRADE LIVE" in go_live(desk, confirmation="trade live?").message
    assert go_live(desk, actor="tom").code == "desk.forbidden"
    assert go_live(desk).ok
    # a new key must pass its own test: the record names the key it tested
    other = StoreApiKey(actor="ada", environment=Environment.LIVE, api_key="k" * 64,
                        api_secret="s" * 64)  # fmt: skip
    assert desk.submit(other).result(10).ok
    assert "has not been tested" in go_live(desk).message


def test_a_failed_key_test_keeps_the_gate_shut(desk, live_sim):
    bad = StoreApiKey(actor="ada", environment=Environment.LIVE, api_key="k" * 64,
                      api_secret="s" * 64)  # fmt: skip
    assert desk.submit(bad).result(10).ok
    tested = desk.submit(commands.TestKeys(actor="ada", environment=Environment.LIVE)).result(30)
    assert not tested.ok
    assert "failed" in go_live(desk).message


def test_a_key_goes_only_to_its_own_environments_exchange(desk, live_sim, sim):
    store_live_key(desk, live_sim)
    refused_before = refused_keys(sim)
    reply = desk.submit(commands.TestKeys(actor="ada", environment=Environment.TESTNET)).result(30)
    assert not reply.ok and "No testnet key" in reply.message  # the live key is not offered
    assert requests_to(live_sim) == 0
    tested = desk.submit(commands.TestKeys(actor="ada", environment=Environment.LIVE)).result(30)
    assert tested.ok and requests_to(live_sim) > 0  # it went to live's exchange, signed
    assert refused_keys(sim) == refused_before  # the sim exchange never saw (and refused) it
