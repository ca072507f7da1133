"""Helpers for the simulator's integration tests: python-binance clients bound to a running
simulator by subclassing (class attributes without `{}`, python-binance.md §4), and waiting."""

from __future__ import annotations

import time
from decimal import Decimal
from typing import Any

import requests
from binance import AsyncClient, BinanceSocketManager, Client

from simulator.server import SimConfig, SimulatorThread, SimUrls


def client_urls(urls: SimUrls, cls: type = Client) -> dict[str, str]:
    """Every URL attribute python-binance's client has (production, testnet and demo alike),
    pointed at the simulator: a test's client cannot reach a Binance host by any path."""
    ws = urls.ws_base
    by_prefix = (
        ("API_", urls.api_url),
        ("MARGIN_API_", urls.sapi_url),
        ("FUTURES_COIN_DATA_", urls.futures_data_url),
        ("FUTURES_COIN_", urls.dapi_url),
        ("FUTURES_DATA_", urls.futures_data_url),
        ("FUTURES_", urls.fapi_url),
        ("OPTIONS_", f"{urls.base_url}/eapi"),
        ("PAPI_", f"{urls.base_url}/papi"),
        ("WS_API_", urls.ws_api_url),
        ("WS_FUTURES_", f"{ws}/ws-fapi/v1"),
        ("WEBSITE_", urls.base_url),
    )
    found: dict[str, str] = {}
    for name in dir(cls):
        if not name.endswith("_URL"):
            continue
        found[name] = next((url for prefix, url in by_prefix if name.startswith(prefix)), "")
        if not found[name]:
            raise AssertionError(f"python-binance has a URL this helper does not know: {name}")
    return found


def stream_urls(urls: SimUrls) -> dict[str, str]:
    """Every URL attribute of BinanceSocketManager, pointed at the simulator (trailing '/')."""
    by_prefix = (("STREAM_", urls.ws_url), ("FSTREAM_", urls.fstream_url))
    found: dict[str, str] = {}
    for name in dir(BinanceSocketManager):
        if name.endswith("_URL"):
            found[name] = next(
                (url for prefix, url in by_prefix if name.startswith(prefix)),
                f"{urls.ws_base}/dstream/",
            )
    return found


def client_class(urls: SimUrls) -> type[Client]:
    return type("SimClient", (Client,), client_urls(urls, Client))


def async_client_class(urls: SimUrls) -> type[AsyncClient]:
    return type("SimAsyncClient", (AsyncClient,), client_urls(urls, AsyncClient))


def socket_manager_class(urls: SimUrls) -> type[BinanceSocketManager]:
    return type("SimSocketManager", (BinanceSocketManager,), stream_urls(urls))


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
