"""USD-M futures as a venue of the full simulator server: shared auth, market, store, reset."""

from __future__ import annotations

import asyncio
import time
from decimal import Decimal as D
from pathlib import Path

from binance import Client

from simulator.server import SimulatorThread
from simulator.spot.symbols import DEFAULT_SYMBOLS
from tests.integration.sim_support import (
    advance,
    async_client_class,
    client_class,
    control,
    socket_manager_class,
    start_sim,
)


def futures_client(sim: SimulatorThread) -> Client:
    client = client_class(sim.urls)(sim.api_key.key, sim.api_key.secret, ping=False)
    client.timestamp_offset = client.futures_time()["serverTime"] - int(time.time() * 1000)
    return client


def test_futures_venue_trades_on_the_markets_prices_and_persists(tmp_path: Path) -> None:
    sim = start_sim(data_dir=tmp_path)
    try:
        client = futures_client(sim)
        listed = {s["symbol"] for s in client.futures_exchange_info()["symbols"]}
        assert listed == {s.symbol for s in DEFAULT_SYMBOLS}  # every spot pair has a perpetual
        assert D(client.futures_account()["totalWalletBalance"]) == D(10000)
        advance(sim, 5_000)
        client.timestamp_offset = client.futures_time()["serverTime"] - int(time.time() * 1000)
        mark = D(client.futures_mark_price(symbol="BTCUSDT")["markPrice"])
        assert mark > 0
        filled = client.futures_create_order(
            symbol="BTCUSDT", side="BUY", type="MARKET", quantity="0.01", newOrderRespType="RESULT"
        )
        # a taker walks the perpetual's book: it pays the ask, just above the mark
        assert filled["status"] == "FILLED" and mark < D(filled["avgPrice"]) < mark * D("1.001")
        position = client.futures_position_information(symbol="BTCUSDT")[0]
        assert position["positionAmt"] == "0.01"
    finally:
        sim.stop()
    again = start_sim(data_dir=tmp_path)
    try:
        client = futures_client(again)
        assert client.futures_position_information(symbol="BTCUSDT")[0]["positionAmt"] == "0.01"
        control(again, "POST", "/_sim/reset")
        assert client.futures_position_information(symbol="BTCUSDT") == []
        assert D(client.futures_account()["totalWalletBalance"]) == D(10000)
    finally:
        again.stop()


def test_futures_streams_on_the_server(tmp_path: Path) -> None:
    sim = start_sim()

    async def scenario() -> None:
        client = async_client_class(sim.urls)(sim.api_key.key, sim.api_key.secret)
        client.timestamp_offset = (await client.futures_time())["serverTime"] - int(
            time.time() * 1000
        )
        bsm = socket_manager_class(sim.urls)(client)
        try:
            async with bsm.symbol_mark_price_socket("ETHUSDT") as mark:
                msg = await asyncio.wait_for(mark.recv(), 10)
                assert msg["data"]["e"] == "markPriceUpdate" and D(msg["data"]["p"]) > 0
            async with bsm.futures_user_socket() as user:
                await client.futures_create_order(
                    symbol="ETHUSDT", side="SELL", type="MARKET", quantity="0.1"
                )
                event = await asyncio.wait_for(user.recv(), 10)
                assert event["e"] == "ORDER_TRADE_UPDATE" and event["o"]["S"] == "SELL"
        finally:
            await client.close_connection()

    try:
        asyncio.run(scenario())
    finally:
        sim.stop()


def test_usdm_has_its_own_weight_budget_as_fapi_binance_com_does(tmp_path: Path) -> None:
    import requests

    sim = start_sim(data_dir=tmp_path, futures_weight_limit=30)
    try:
        base = sim.urls.base_url
        limits = requests.get(f"{base}/fapi/v1/exchangeInfo", timeout=10).json()["rateLimits"]
        assert limits[0] == {"rateLimitType": "REQUEST_WEIGHT", "interval": "MINUTE",
                             "intervalNum": 1, "limit": 30}  # fmt: skip
        spot_used = requests.get(f"{base}/api/v3/ping", timeout=10).headers["X-MBX-USED-WEIGHT-1M"]
        for _ in range(40):
            futures = requests.get(f"{base}/fapi/v1/ping", timeout=10)
            if futures.status_code != 200:
                break
        assert futures.status_code == 429  # the futures budget is spent ...
        assert "limit is 30" in futures.json()["msg"]
        spot = requests.get(f"{base}/api/v3/ping", timeout=10)
        assert spot.status_code == 200  # ... and spot's is untouched by it
        assert int(spot.headers["X-MBX-USED-WEIGHT-1M"]) == int(spot_used) + 1
    finally:
        sim.stop()
