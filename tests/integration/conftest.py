"""Integration fixtures: the simulator on loopback and an engine connected to it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path

import pytest
import requests

from engine.access.roles import RoleSource
from engine.assembly import build_engine
from engine.binance.urls import sim_endpoints
from engine.credentials import Credentials
from engine.engine import Engine
from engine.settings import Settings, load_settings
from simulator.server import SimConfig, SimulatorThread
from tests.helpers import ADMINS, open_access, running


def sim_config(tmp_path: Path, **overrides) -> SimConfig:
    config = SimConfig(
        data_dir=tmp_path / "sim",
        balances={"USDT": Decimal(100_000), "BTC": Decimal(1), "ETH": Decimal(10)},
        seed=11,
    )
    for name, value in overrides.items():
        setattr(config, name, value)
    return config


@contextmanager
def simulator(config: SimConfig) -> Iterator[SimulatorThread]:
    """A simulator started with `config`, stopped on the way out."""
    thread = SimulatorThread(config).start()
    try:
        yield thread
    finally:
        thread.stop()


@pytest.fixture
def sim(tmp_path: Path) -> Iterator[SimulatorThread]:
    with simulator(sim_config(tmp_path)) as thread:
        yield thread


@pytest.fixture
def virtual_sim(tmp_path: Path) -> Iterator[SimulatorThread]:
    """A simulator on a virtual clock: the market moves only when a test advances it."""
    with simulator(sim_config(tmp_path, clock="virtual")) as thread:
        yield thread


def sim_control(sim: SimulatorThread, method: str, path: str, body: object = None) -> object:
    headers = {"X-SIM-TOKEN": sim.control_token}
    response = requests.request(
        method, sim.urls.base_url + path, json=body, headers=headers, timeout=10
    )
    response.raise_for_status()
    return response.json()


def engine_settings(tmp_path: Path, **overrides) -> Settings:
    return load_settings(data_dir=tmp_path / "engine", **overrides)


def connect_engine(sim: SimulatorThread, settings: Settings, roles: RoleSource = ADMINS) -> Engine:
    base = sim.urls.base_url
    endpoints = sim_endpoints(base)
    credentials = Credentials(sim.api_key.key, sim.api_key.secret)
    return build_engine(settings, endpoints, credentials, open_access(settings.data_dir, roles))


@pytest.fixture
def connected_engine(sim: SimulatorThread, tmp_path: Path) -> Iterator[Engine]:
    with running(connect_engine(sim, engine_settings(tmp_path))) as engine:
        yield engine
