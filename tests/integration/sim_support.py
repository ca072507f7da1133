"""Helpers for the simulator's integration tests: python-binance clients bound to a running
simulator by subclassing (class attributes without `{}`, python-binance.md §4), and waiting."""

from __future__ import annotations

import time
from decimal import Decimal
from typing import Any

import requests
from binance import AsyncClient, BinanceSocketManager, Client

from simulator.server import SimConfig, SimulatorThread, SimUrls


def client_class(urls: SimUrls) -> type[Client]:
    return type("SimClient", (Client,), {"API_URL": urls.api_url, "WS_API_URL": urls.ws_api_url})


def async_client_class(urls: SimUrls) -> type[AsyncClient]:
    attrs = {"API_URL": urls.api_url, "WS_API_URL": urls.ws_api_url}
    return type("SimAsyncClient", (AsyncClient,), attrs)


def socket_manager_class(urls: SimUrls) -> type[BinanceSocketManager]:
    return type("SimSocketManager", (BinanceSocketManager,), {"STREAM_URL": urls.ws_url})


def synced_client(
    sim: SimulatorThread, key: str | None = None, secret: str | None = None
) -> Client:
    client = client_class(sim.urls)(key or sim.api_key.key, secret or sim.api_key.secret)
    client.timestamp_offset = client.get_server_time()["serverTime"] - int(time.time() * 1000)
    return client


def start_sim(**overrides: Any) -> SimulatorThread:
    config = SimConfig(clock="virtual", balances={"USDT": Decimal(100000), "BTC": Decimal(1)})
    for name, value in overrides.items():
        setattr(config, name, value)
    return SimulatorThread(config).start()


def control_headers(sim: SimulatorThread) -> dict[str, str]:
    """What a caller of the control plane sends: the simulator's own token."""
    return {"X-SIM-TOKEN": sim.control_token}


def control(sim: SimulatorThread, method: str, path: str, body: Any = None) -> Any:
    response = requests.request(
        method, sim.urls.base_url + path, json=body, headers=control_headers(sim), timeout=10
    )
    response.raise_for_status()
    return response.json()


def advance(sim: SimulatorThread, ms: int) -> Any:
    return control(sim, "POST", "/_sim/clock/advance", {"ms": ms})


def sign(secret: str, payload: str) -> str:
    import hashlib
    import hmac

    return hmac.new(secret.encode(), payload.encode(), hashlib.sha256).hexdigest()


def raw_signed(
    sim: SimulatorThread,
    method: str,
    path: str,
    query: str,
    *,
    key: str | None = "default",
    secret: str | None = None,
    timestamp: bool = True,
    signature: bool = True,
) -> requests.Response:
    """A hand-built signed request, to reach the failure paths python-binance never takes."""
    server_ms = requests.get(sim.urls.api_url + "/v3/time", timeout=5).json()["serverTime"]
    if timestamp:
        query = f"{query}&timestamp={server_ms}" if query else f"timestamp={server_ms}"
    if signature:
        query += "&signature=" + sign(secret or sim.api_key.secret, query)
    headers = {}
    if key is not None:
        headers["X-MBX-APIKEY"] = sim.api_key.key if key == "default" else key
    return requests.request(
        method, f"{sim.urls.api_url}{path}?{query}", headers=headers, timeout=10
    )
