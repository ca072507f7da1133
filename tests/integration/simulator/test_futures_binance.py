"""USD-M simulator over real loopback HTTP/WS, driven through python-binance's futures_* methods
and its futures socket manager, on a virtual clock: the full server, with the BTC, ETH and XRP
mark prices scripted through /_sim/futures/price."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator
from decimal import Decimal as D
from pathlib import Path

import orjson
import pytest
import requests
import websockets
from binance import AsyncClient, BinanceSocketManager, Client
from binance.exceptions import BinanceAPIException

from simulator.futures.funding import FUNDING_INTERVAL_MS
from simulator.server import SimulatorThread
from tests.integration.sim_support import (
    advance,
    async_client_class,
    client_class,
    control,
    socket_manager_class,
    start_sim,
)

START = (int(time.time() * 1000) // FUNDING_INTERVAL_MS) * FUNDING_INTERVAL_MS + 60_000
WAIT_S = 10.0
SCRIPTED = {"BTCUSDT": "50000", "ETHUSDT": "3000", "XRPUSDT": "0.6"}


class SimServer:
    """The full simulator on a virtual clock, with BTC, ETH and XRP perpetuals scripted to round
    prices (the worked numbers below need them); every other perpetual follows the market."""

    def __init__(self, data_dir: Path) -> None:
        self.thread: SimulatorThread = start_sim(start_ms=START, data_dir=data_dir)
        self.base = self.thread.urls.base_url
        for symbol, price in SCRIPTED.items():
            self.control("price", {"symbol": symbol, "price": price})

    def stop(self) -> None:
        self.thread.stop()

    def control(self, path: str, body: dict) -> dict:
        return control(self.thread, "POST", f"/_sim/futures/{path}", body)

    def client(self) -> Client:
        key = self.thread.api_key
        client = client_class(self.thread.urls)(key.key, key.secret, ping=False)
        self.sync_time(client)
        return client

    def server_ms(self) -> int:
        return requests.get(f"{self.base}/fapi/v1/time", timeout=5).json()["serverTime"]

    def sync_time(self, client: Client | AsyncClient) -> None:
        client.timestamp_offset = self.server_ms() - int(time.time() * 1000)

    def advance(self, ms: int, *clients: Client | AsyncClient) -> None:
        advance(self.thread, ms)
        for client in clients:
            self.sync_time(client)

    def spot(self, path: str, **params: object) -> object:
        return requests.get(f"{self.thread.urls.api_url}{path}", params=params, timeout=5).json()

    async def async_client(self) -> tuple[AsyncClient, BinanceSocketManager]:
        urls = self.thread.urls
        key = self.thread.api_key
        client = async_client_class(urls)(key.key, key.secret)
        self.sync_time(client)
        return client, socket_manager_class(urls)(client)


@pytest.fixture
def sim(tmp_path: Path) -> Iterator[SimServer]:
    server = SimServer(tmp_path)
    yield server
    server.stop()


async def next_matching(socket, predicate: Callable[[dict], bool], timeout: float = WAIT_S) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise AssertionError("no matching message before the timeout")
        message = await asyncio.wait_for(socket.recv(), remaining)
        if predicate(message):
            return message


def test_public_market_data(sim: SimServer) -> None:
    client = sim.client()
    assert client.futures_ping() == {}
    assert abs(client.futures_time()["serverTime"] - sim.server_ms()) < 1_000
    info = client.futures_exchange_info()
    btc = next(s for s in info["symbols"] if s["symbol"] == "BTCUSDT")
    assert btc["contractType"] == "PERPETUAL"
    assert {f["filterType"] for f in btc["filters"]} >= {"PRICE_FILTER", "LOT_SIZE", "MIN_NOTIONAL"}
    sim.control("price", {"symbol": "BTCUSDT", "points": [[30_000, "50100"], [90_000, "49900"]]})
    sim.advance(120_000, client)
    bars = client.futures_klines(symbol="BTCUSDT", interval="1m", limit=3)
    assert [b[0] - START for b in bars] == [0, 60_000, 120_000]
    # the perpetual trades on the shared market's path: its bars are spot's, volume included
    assert bars == sim.spot("/v3/klines", symbol="BTCUSDT", interval="1m", limit=3)
    assert all(D(b[5]) > 0 and b[8] > 0 for b in bars[:2])
    continuous = client.futures_continuous_klines(
        pair="BTCUSDT", contractType="PERPETUAL", interval="1m", limit=3
    )
    assert continuous == bars
    mark = client.futures_mark_price(symbol="BTCUSDT")
    assert mark["markPrice"] == "49900"  # the scripted mark price
    assert mark["nextFundingTime"] % FUNDING_INTERVAL_MS == 0
    assert mark["lastFundingRate"] == "0.00010000"
    ticker = client.futures_ticker(symbol="BTCUSDT")
    spot = sim.spot("/v3/ticker/24hr", symbol="BTCUSDT")
    for name in ("openPrice", "highPrice", "lowPrice", "lastPrice", "volume", "quoteVolume"):
        assert D(ticker[name]) == D(spot[name]), name
    assert ticker["count"] == spot["count"] > 0 and D(ticker["volume"]) > 0
    brackets = client.futures_leverage_bracket(symbol="BTCUSDT")  # one object, as Binance
    assert brackets["symbol"] == "BTCUSDT" and brackets["brackets"][0]["initialLeverage"] == 125
    with pytest.raises(BinanceAPIException) as err:
        client.futures_klines(symbol="BTCUSDT", interval="7m")
    assert err.value.code == -1120


def test_orders_positions_and_account(sim: SimServer) -> None:
    client = sim.client()
    assert client.futures_change_leverage(symbol="BTCUSDT", leverage=10)["leverage"] == 10
    with pytest.raises(BinanceAPIException) as err:
        client.futures_change_leverage(symbol="BTCUSDT", leverage=126)
    assert (err.value.code, err.value.message) == (-4028, "Leverage 126 is not valid")
    client.futures_change_margin_type(symbol="BTCUSDT", marginType="ISOLATED")
    placed = client.futures_create_order(
        symbol="BTCUSDT", side="BUY", type="MARKET", quantity="0.1", newOrderRespType="RESULT"
    )
    assert placed["status"] == "FILLED" and placed["avgPrice"] == "50000"
    resting = client.futures_create_order(
        symbol="BTCUSDT", side="BUY", type="LIMIT", quantity="0.01", price="49000",
        timeInForce="GTC",
    )  # fmt: skip
    assert [o["orderId"] for o in client.futures_get_open_orders(symbol="BTCUSDT")] == [
        resting["orderId"]
    ]
    assert client.futures_cancel_order(symbol="BTCUSDT", orderId=resting["orderId"])["status"] == (
        "CANCELED"
    )
    position = client.futures_position_information(symbol="BTCUSDT")[0]
    assert position["positionAmt"] == "0.1" and position["marginType"] == "isolated"
    assert position["isolatedWallet"] == "500.00000000"  # 5000 notional at 10x
    # (500 - 5000) / (0.1 * 0.004 - 0.1)
    assert D(position["liquidationPrice"]).quantize(D("0.01")) == D("45180.72")
    account = client.futures_account()
    assert account["totalWalletBalance"] == "9997.50000000"  # 2.5 taker fee
    assert account["availableBalance"] == "9497.50000000"
    balance = client.futures_account_balance()[0]
    assert (
        balance["balance"] == "9997.50000000" and balance["crossWalletBalance"] == "9497.50000000"
    )
    with pytest.raises(BinanceAPIException) as err:
        client.futures_create_order(
            symbol="BTCUSDT", side="BUY", type="MARKET", quantity="0.002", reduceOnly="true"
        )
    assert err.value.code == -2022
    with pytest.raises(BinanceAPIException) as err:
        client.futures_create_order(symbol="BTCUSDT", side="BUY", type="MARKET", quantity="2")
    assert (err.value.code, err.value.message) == (-2019, "Margin is insufficient.")
    closed = client.futures_create_order(
        symbol="BTCUSDT", side="SELL", type="MARKET", quantity="0.1", reduceOnly="true"
    )
    assert closed["reduceOnly"] is True
    incomes = client.futures_income_history(symbol="BTCUSDT")
    assert [i["incomeType"] for i in incomes] == ["COMMISSION", "COMMISSION"]


def test_conditional_orders_go_through_algo_order(sim: SimServer) -> None:
    client = sim.client()
    with pytest.raises(BinanceAPIException) as err:  # the legacy route, as old clients send it
        client._request_futures_api(
            "post", "order", True,
            data={"symbol": "BTCUSDT", "side": "SELL", "type": "STOP_MARKET", "quantity": "0.01",
                  "stopPrice": "49000"},
        )  # fmt: skip
    assert err.value.code == -4120
    client.futures_create_order(symbol="BTCUSDT", side="BUY", type="MARKET", quantity="0.01")
    algo = client.futures_create_order(
        symbol="BTCUSDT", side="SELL", type="STOP_MARKET", stopPrice="49000",
        closePosition="true", workingType="MARK_PRICE",
    )  # fmt: skip
    assert algo["algoType"] == "CONDITIONAL" and algo["triggerPrice"] == "49000"
    trailing = client.futures_create_algo_order(
        symbol="BTCUSDT", side="SELL", type="TRAILING_STOP_MARKET", quantity="0.01",
        callbackRate="1", reduceOnly="true",
    )  # fmt: skip
    take_profit = client.futures_create_algo_order(
        symbol="BTCUSDT", side="SELL", type="TAKE_PROFIT", quantity="0.01", price="52000",
        triggerPrice="52000",
    )  # fmt: skip
    open_ids = {a["algoId"] for a in client.futures_get_open_algo_orders(symbol="BTCUSDT")}
    assert open_ids == {algo["algoId"], trailing["algoId"], take_profit["algoId"]}
    client.futures_cancel_algo_order(symbol="BTCUSDT", algoId=take_profit["algoId"])
    with pytest.raises(BinanceAPIException) as err:
        client.futures_create_algo_order(
            symbol="BTCUSDT", side="SELL", type="STOP_MARKET", quantity="0.01",
            triggerPrice="50500",
        )  # fmt: skip
    assert err.value.code == -2021
    sim.control("price", {"symbol": "BTCUSDT", "points": [[1_000, "50800"], [2_000, "50200"]]})
    sim.advance(3_000, client)  # 50800 high, then a 1.18% drop fires the 1% trailing stop
    assert client.futures_get_algo_order(algoId=trailing["algoId"])["algoStatus"] == "FINISHED"
    assert client.futures_position_information(symbol="BTCUSDT") == []  # flat, no open orders


def test_cancel_all_takes_every_plain_and_conditional_order_of_the_symbol_only(
    sim: SimServer,
) -> None:
    """DELETE /fapi/v1/allOpenOrders and /fapi/v1/algoOpenOrders, as python-binance sends them
    (the engine's futures cancel-all and the kill switch use both); other symbols keep theirs."""
    client = sim.client()
    for price in ("45000", "46000"):
        client.futures_create_order(symbol="BTCUSDT", side="BUY", type="LIMIT", quantity="0.01",
                                    price=price, timeInForce="GTC")  # fmt: skip
    client.futures_create_algo_order(symbol="BTCUSDT", side="SELL", type="STOP_MARKET",
                                     quantity="0.01", triggerPrice="40000")  # fmt: skip
    other = client.futures_create_order(
        symbol="ETHUSDT", side="BUY", type="LIMIT", quantity="0.1", price="2500", timeInForce="GTC"
    )
    done = client.futures_cancel_all_open_orders(symbol="BTCUSDT")
    assert done == {"code": 200, "msg": "The operation of cancel all open order is done."}
    assert client.futures_cancel_all_algo_open_orders(symbol="BTCUSDT")["code"] == 200
    assert client.futures_get_open_orders(symbol="BTCUSDT") == []
    assert client.futures_get_open_algo_orders(symbol="BTCUSDT") in ([], {"orders": []})
    assert [o["orderId"] for o in client.futures_get_open_orders()] == [other["orderId"]]
    with pytest.raises(BinanceAPIException) as err:
        client._request_futures_api("delete", "allOpenOrders", True, data={})
    assert err.value.code == -1102  # symbol is mandatory, as on Binance


def test_user_data_stream_events_and_liquidation(sim: SimServer) -> None:
    async def scenario() -> None:
        client, bsm = await sim.async_client()
        try:
            async with bsm.futures_user_socket() as socket:
                await asyncio.sleep(0)  # the socket is connected once __aenter__ returns
                await client.futures_change_margin_type(symbol="ETHUSDT", marginType="ISOLATED")
                await client.futures_change_leverage(symbol="ETHUSDT", leverage=25)
                await client.futures_create_order(
                    symbol="ETHUSDT", side="SELL", type="MARKET", quantity="2"
                )
                trade = await next_matching(
                    socket, lambda m: m["e"] == "ORDER_TRADE_UPDATE" and m["o"]["x"] == "TRADE"
                )
                assert trade["o"]["S"] == "SELL" and trade["o"]["n"] == "3.00000000"
                update = await next_matching(socket, lambda m: m["e"] == "ACCOUNT_UPDATE")
                assert update["a"]["P"][0]["pa"] == "-2" and update["a"]["P"][0]["mt"] == "isolated"
                await client.futures_create_order(
                    symbol="ETHUSDT", side="BUY", type="TAKE_PROFIT_MARKET", stopPrice="2900",
                    closePosition="true",
                )  # fmt: skip
                algo = await next_matching(socket, lambda m: m["e"] == "ALGO_UPDATE")
                assert algo["o"]["X"] == "NEW" and algo["o"]["cp"] is True
                risk = await client.futures_position_information(symbol="ETHUSDT")
                liq_price = D(risk[0]["liquidationPrice"])
                # isolated 240 (6000 / 25x): (240 + 6000) / (2 * 1.004), bracket 1
                assert liq_price.quantize(D("0.01")) == D("3107.57")
                sim.control("price", {"symbol": "ETHUSDT", "price": "3110"})
                sim.control("price", {"symbol": "ETHUSDT", "price": "3108"})
                sim.control("price", {"symbol": "ETHUSDT", "price": "3107.50"})
                liq = await next_matching(
                    socket, lambda m: m["e"] == "ORDER_TRADE_UPDATE" and m["o"]["x"] == "CALCULATED"
                )
                assert liq["o"]["c"].startswith("autoclose-") and liq["o"]["X"] == "FILLED"
                assert D(liq["o"]["L"]).quantize(D("0.01")) == D("3107.57")
                assert D(liq["o"]["rp"]).quantize(D("0.01")) == D("-215.14")
        finally:
            await client.close_connection()

    asyncio.run(scenario())


def test_listen_key_keepalive_expiry_and_close(sim: SimServer) -> None:
    client = sim.client()
    key = client.futures_stream_get_listen_key()
    assert client.futures_stream_get_listen_key() == key  # POST again: same key, extended
    sim.advance(50 * 60 * 1000, client)
    assert client.futures_stream_keepalive(key) == {"listenKey": key}
    sim.advance(50 * 60 * 1000, client)  # 100 min after creation, 50 after the keepalive

    async def expire() -> dict:
        url = f"{sim.thread.urls.fstream_url}private/ws?listenKey={key}"
        async with websockets.connect(url) as ws:
            sim.advance(11 * 60 * 1000, client)
            return orjson.loads(await asyncio.wait_for(ws.recv(), WAIT_S))

    expired = asyncio.run(expire())
    assert expired == {"e": "listenKeyExpired", "E": expired["E"], "listenKey": key}
    with pytest.raises(BinanceAPIException) as err:
        client.futures_stream_keepalive(key)
    assert err.value.code == -1125
    fresh = client.futures_stream_get_listen_key()
    assert fresh != key
    assert client.futures_stream_close(fresh) == {}
    with pytest.raises(BinanceAPIException) as err:
        client.futures_stream_keepalive(fresh)
    assert err.value.code == -1125


def test_market_streams(sim: SimServer) -> None:
    def data(message: dict) -> dict:  # combined streams wrap the payload
        return message.get("data", message)

    def rest_bar(open_time: int) -> list:
        bars = sim.spot("/v3/klines", symbol="BTCUSDT", interval="1m", startTime=open_time)
        return bars[0]

    def same_bar(k: dict, row: list) -> bool:
        fields = [k["t"], k["o"], k["h"], k["l"], k["c"], k["v"], k["T"], k["q"], k["n"]]
        return fields == row[:9]

    async def scenario() -> None:
        client, bsm = await sim.async_client()
        try:
            sim.advance(1_000, client)
            sim.control("price", {"symbol": "BTCUSDT", "price": "50250.5"})
            async with bsm.kline_futures_socket("BTCUSDT") as continuous:
                msg = await next_matching(continuous, lambda m: m.get("e") == "continuous_kline")
                assert msg["ps"] == "BTCUSDT" and msg["ct"] == "PERPETUAL"
                assert msg["k"]["t"] == START and msg["k"]["x"] is False
                assert same_bar(msg["k"], rest_bar(START))  # the clock stands still
                sim.advance(60_000, client)  # the bar closes: a final x=true frame comes first
                closed = await next_matching(continuous, lambda m: m["k"]["x"] is True)
                assert closed["k"]["t"] == START and same_bar(closed["k"], rest_bar(START))
                assert D(closed["k"]["v"]) > 0 and closed["k"]["n"] > 0
            async with bsm.futures_multiplex_socket(["btcusdt@kline_1m"]) as kline:
                msg = await next_matching(kline, lambda m: data(m).get("e") == "kline")
                assert msg["stream"] == "btcusdt@kline_1m" and msg["data"]["k"]["i"] == "1m"
            async with bsm.individual_symbol_ticker_futures_socket("BTCUSDT") as ticker:
                msg = data(await next_matching(ticker, lambda m: data(m).get("e") == "24hrTicker"))
                rest = await client.futures_ticker(symbol="BTCUSDT")
                assert (msg["o"], msg["c"], msg["h"], msg["v"]) == (
                    rest["openPrice"], rest["lastPrice"], rest["highPrice"], rest["volume"]
                )  # fmt: skip
                assert D(msg["v"]) > 0 and msg["n"] > 0
            async with bsm.symbol_mark_price_socket("BTCUSDT") as mark:
                msg = data(
                    await next_matching(mark, lambda m: data(m).get("e") == "markPriceUpdate")
                )
                assert msg["p"] == "50250.5" and msg["r"] == "0.00010000"
                assert msg["T"] % FUNDING_INTERVAL_MS == 0
        finally:
            await client.close_connection()

    asyncio.run(scenario())


def test_funding_over_several_periods_and_restart(sim: SimServer, tmp_path: Path) -> None:
    client = sim.client()
    client.futures_create_order(symbol="BTCUSDT", side="BUY", type="MARKET", quantity="0.04")
    client.futures_create_order(symbol="XRPUSDT", side="SELL", type="MARKET", quantity="1000")
    sim.control("funding", {"symbol": "XRPUSDT", "rate": "-0.0003"})
    before = D(client.futures_account()["totalWalletBalance"])
    sim.advance(3 * FUNDING_INTERVAL_MS, client)
    funding = client.futures_income_history(incomeType="FUNDING_FEE")
    assert len(funding) == 6
    # BTC long pays 0.04*50000*0.0001 = 0.2; XRP short pays 1000*0.6*0.0003 = 0.18, each period
    assert sorted(D(f["income"]) for f in funding) == [D("-0.2")] * 3 + [D("-0.18")] * 3
    after = D(client.futures_account()["totalWalletBalance"])
    assert after - before == sum(D(f["income"]) for f in funding) == D("-1.14")
    sim.stop()  # the paper account is saved in the data dir ...
    restarted = SimServer(tmp_path)
    try:  # ... and a new server on it has the same wallet and positions
        client = restarted.client()
        assert D(client.futures_account()["totalWalletBalance"]) == after
        positions = client.futures_position_information()
        assert {p["symbol"]: p["positionAmt"] for p in positions} == {
            "BTCUSDT": "0.04", "XRPUSDT": "-1000",
        }  # fmt: skip
    finally:
        restarted.stop()
