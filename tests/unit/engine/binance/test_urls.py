"""Base URLs per environment, checked through python-binance's own URL builders."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from binance import AsyncClient, BinanceSocketManager, Client

from engine.binance.urls import Endpoints, endpoints_for, sim_endpoints
from engine.models import Environment

PRODUCTION_HOSTS = {
    "api.binance.com",
    "fapi.binance.com",
    "dapi.binance.com",
    "eapi.binance.com",
    "papi.binance.com",
    "stream.binance.com",
    "fstream.binance.com",
    "dstream.binance.com",
    "ws-api.binance.com",
    "ws-fapi.binance.com",
}

SIM = sim_endpoints("http://127.0.0.1:8765/", "ws://127.0.0.1:8765")


def _client_for(endpoints: Endpoints) -> Client:
    bound = type("BoundClient", (Client,), endpoints.client_attributes())
    return bound("key", "secret", ping=False)


def test_sim_rest_paths_match_the_simulator_routes() -> None:
    client = _client_for(SIM)
    assert client._create_api_uri("exchangeInfo") == "http://127.0.0.1:8765/api/v3/exchangeInfo"
    assert client._create_futures_api_uri("order") == "http://127.0.0.1:8765/fapi/v1/order"
    assert client._create_futures_api_uri("account", 2) == "http://127.0.0.1:8765/fapi/v2/account"
    assert client.ws_api._url == "ws://127.0.0.1:8765/ws-api/v3"


def test_sim_stream_paths_match_the_simulator_routes() -> None:
    assert SIM.spot_ws_raw == "ws://127.0.0.1:8765/ws"
    assert SIM.spot_ws_combined == "ws://127.0.0.1:8765/stream"
    assert SIM.futures_ws_market == "ws://127.0.0.1:8765/fstream/market"
    assert SIM.futures_ws_public == "ws://127.0.0.1:8765/fstream/public"
    assert SIM.futures_ws_private == "ws://127.0.0.1:8765/fstream/private"


def test_socket_manager_subclass_keeps_our_stream_urls() -> None:
    client = _client_for(SIM)
    manager_class = type("BoundSockets", (BinanceSocketManager,), SIM.socket_manager_attributes())
    manager = manager_class(client)
    assert manager.STREAM_URL == "ws://127.0.0.1:8765/"
    assert manager.FSTREAM_URL == "ws://127.0.0.1:8765/fstream/"


def test_live_matches_binance_production() -> None:
    live = endpoints_for(Environment.LIVE)
    client = _client_for(live)
    assert client._create_api_uri("ping") == "https://api.binance.com/api/v3/ping"
    assert client._create_futures_api_uri("order") == "https://fapi.binance.com/fapi/v1/order"
    assert live.futures_ws_market == "wss://fstream.binance.com/market"
    assert live.futures_ws_private == "wss://fstream.binance.com/private"
    assert live.spot_ws_api == "wss://ws-api.binance.com:443/ws-api/v3"


def test_testnet_uses_the_testnet_hosts() -> None:
    testnet = endpoints_for(Environment.TESTNET)
    assert testnet.spot_rest == "https://testnet.binance.vision/api"
    assert testnet.spot_ws_api == "wss://ws-api.testnet.binance.vision/ws-api/v3"
    assert testnet.futures_stream_root == "wss://fstream.binancefuture.com"


@pytest.mark.parametrize("endpoints", [SIM, endpoints_for(Environment.TESTNET)], ids=str)
def test_nothing_outside_live_points_at_production(endpoints: Endpoints) -> None:
    urls = {**endpoints.client_attributes(), **endpoints.socket_manager_attributes()}
    for name, url in urls.items():
        assert urlsplit(url).hostname not in PRODUCTION_HOSTS, name
    client = _client_for(endpoints)
    for name in ("MARGIN_API_URL", "FUTURES_COIN_URL", "OPTIONS_URL", "PAPI_URL"):
        assert urlsplit(getattr(client, name)).hostname not in PRODUCTION_HOSTS, name


@pytest.mark.parametrize("environment", [Environment.LIVE, Environment.TESTNET])
def test_attribute_values_survive_python_binance_formatting(environment: Environment) -> None:
    for url in environment_urls(endpoints_for(environment)):
        assert "{" not in url and "}" not in url
    manager_urls = endpoints_for(environment).socket_manager_attributes().values()
    assert all(url.endswith("/") for url in manager_urls)


def environment_urls(endpoints: Endpoints) -> list[str]:
    client_urls = endpoints.client_attributes().values()
    return [*client_urls, *endpoints.socket_manager_attributes().values()]


def test_sim_needs_an_address() -> None:
    with pytest.raises(ValueError, match="sim_endpoints"):
        endpoints_for(Environment.SIM)


def test_async_client_subclass_takes_the_same_attributes() -> None:
    bound = type("BoundAsyncClient", (AsyncClient,), SIM.client_attributes())
    client = bound("key", "secret")
    assert client._create_api_uri("time") == "http://127.0.0.1:8765/api/v3/time"
