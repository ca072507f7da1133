"""Market streams and spot user data over real loopback WebSockets, driven by python-binance's
AsyncClient and BinanceSocketManager (subclassed for the URLs) and by a plain websockets client."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import socket
from decimal import Decimal

import pytest
import websockets

from tests.helpers import eventually
from tests.integration.sim_support import (
    advance,
    async_client_class,
    control,
    socket_manager_class,
    start_sim,
)

D = Decimal
TIMEOUT = 5


@pytest.fixture(scope="module")
def sim():
    thread = start_sim()
    yield thread
    thread.stop()


def quick_exit(socket) -> None:
    """python-binance's socket exit waits for its read loop's recv timeout (10 s); on a virtual
    clock that nobody advances no message comes to end it sooner."""
    socket.TIMEOUT = 0.1


async def advance_async(sim, ms: int) -> None:
    await asyncio.to_thread(advance, sim, ms)


async def recv_until(socket, predicate, sim=None, limit: int = 200):
    """Reads events until one matches; advances the virtual clock while waiting if given a sim."""
    for _ in range(limit):
        if sim is not None:
            await advance_async(sim, 1000)
        try:
            event = await asyncio.wait_for(socket.recv(), TIMEOUT if sim is None else 0.5)
        except TimeoutError:
            continue
        if predicate(event):
            return event
    raise AssertionError("no matching event")


def test_kline_and_multiplex_sockets_through_python_binance(sim):
    async def scenario():
        client = await async_client_class(sim.urls).create()
        manager = socket_manager_class(sim.urls)(client)
        try:
            async with manager.kline_socket("BTCUSDT", "1m") as socket:
                quick_exit(socket)
                first = await recv_until(socket, lambda e: e.get("e") == "kline", sim)
                assert first["s"] == "BTCUSDT" and first["k"]["i"] == "1m"
                closed = await recv_until(socket, lambda e: e["k"]["x"], sim, limit=120)
                assert closed["k"]["T"] - closed["k"]["t"] == 59_999
            streams = ["ethusdt@trade", "ethusdt@ticker", "btcusdt@miniTicker"]
            async with manager.multiplex_socket(streams) as socket:
                quick_exit(socket)
                seen = set()
                for _ in range(50):
                    await advance_async(sim, 1000)
                    try:
                        event = await asyncio.wait_for(socket.recv(), 0.5)
                    except TimeoutError:
                        continue
                    seen.add((event["stream"], event["data"]["e"]))
                    if len(seen) == 3:
                        break
                assert seen == {
                    ("ethusdt@trade", "trade"),
                    ("ethusdt@ticker", "24hrTicker"),
                    ("btcusdt@miniTicker", "24hrMiniTicker"),
                }
        finally:
            await client.close_connection()

    asyncio.run(scenario())


def test_subscribe_unsubscribe_list_and_payload_shapes(sim):
    async def scenario():
        async with websockets.connect(sim.urls.ws_url + "ws/btcusdt@bookTicker") as ws:
            await ws.send(
                json.dumps({"method": "SUBSCRIBE", "params": ["btcusdt@depth5"], "id": 1})
            )
            await ws.send(json.dumps({"method": "LIST_SUBSCRIPTIONS", "id": 2}))
            replies = {}
            payloads = {}
            while len(replies) < 2 or len(payloads) < 2:
                await advance_async(sim, 1000)
                message = json.loads(await asyncio.wait_for(ws.recv(), TIMEOUT))
                if "id" in message:
                    replies[message["id"]] = message
                elif "lastUpdateId" in message:
                    payloads["depth"] = message
                elif "u" in message:
                    payloads["book"] = message
            assert replies[1] == {"result": None, "id": 1}
            assert replies[2] == {"result": ["btcusdt@bookTicker", "btcusdt@depth5"], "id": 2}
            assert len(payloads["depth"]["bids"]) == len(payloads["depth"]["asks"]) == 5
            assert D(payloads["book"]["b"]) < D(payloads["book"]["a"])
            await ws.send(json.dumps({"method": "UNSUBSCRIBE", "params": ["btcusdt@depth5"],
                                      "id": 3}))  # fmt: skip
            await ws.send("{not json")
            await ws.send(json.dumps({"method": "SUBSCRIBE", "params": ["nope@kline_1m"], "id": 4}))
            answers = []
            while len(answers) < 3:
                message = json.loads(await asyncio.wait_for(ws.recv(), TIMEOUT))
                if "id" in message or "error" in message:
                    answers.append(message)
            assert answers[0] == {"result": None, "id": 3}
            assert answers[1]["error"]["code"] == 3
            assert answers[2]["error"]["code"] == 2 and answers[2]["id"] == 4

    asyncio.run(scenario())


def test_slow_client_is_dropped_instead_of_growing_memory():
    slow_sim = start_sim(send_queue_size=4)
    streams = "/".join(f"{symbol.lower()}@depth20" for symbol in slow_sim.sim.ctx.market.symbols())
    # a client that completes the handshake, then never reads, with a tiny receive buffer
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    try:
        sock.connect(("127.0.0.1", int(slow_sim.urls.base_url.rsplit(":", 1)[1])))
        key = base64.b64encode(os.urandom(16)).decode()
        sock.sendall(
            f"GET /ws/{streams} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
            "Sec-WebSocket-Version: 13\r\n\r\n".encode()
        )
        assert b"101" in sock.recv(1024).split(b"\r\n", 1)[0]
        for _ in range(3000):
            advance(slow_sim, 1000)
            if slow_sim.call(lambda: slow_sim.sim.ctx.hub.slow_drops):
                break
        stats = control(slow_sim, "GET", "/_sim/stats")
        assert stats["slow_client_drops"] == 1
        eventually(lambda: control(slow_sim, "GET", "/_sim/stats")["connections"]["streams"] == 0)
    finally:
        sock.close()
        slow_sim.stop()


def test_user_data_events_for_every_order_state_change(sim):
    control(sim, "POST", "/_sim/reset")

    async def scenario():
        client = await async_client_class(sim.urls).create(sim.api_key.key, sim.api_key.secret)
        client.ws_api.TIMEOUT = 1  # its read loop (and so close_connection) waits this long
        manager = socket_manager_class(sim.urls)(client)
        events: list[dict] = []
        try:
            async with manager.user_socket() as socket:
                quick_exit(socket)

                async def until(predicate):
                    while True:
                        event = await asyncio.wait_for(socket.recv(), TIMEOUT)
                        events.append(event)
                        if predicate(event):
                            return event

                last = D((await client.get_symbol_ticker(symbol="BTCUSDT"))["price"])
                market = await client.order_market_buy(symbol="BTCUSDT", quantity="0.01")
                await until(lambda e: e.get("X") == "FILLED" and e["i"] == market["orderId"])
                # a limit above the ask takes what the book has up to its price, then rests
                book = await client.get_order_book(symbol="BTCUSDT", limit=3)
                limit_price = book["asks"][0][0]
                qty = str(D(book["asks"][0][1]) + D("0.01"))
                # the top level's size follows the price path (worth 37k to 3.9M USDT measured),
                # so fund the order rather than hope the fixture's 100k covers it
                cost = (D(limit_price) * D(qty) * 2).quantize(D(1))
                await asyncio.to_thread(
                    control, sim, "POST", "/_sim/balances", {"balances": {"USDT": str(cost)}}
                )
                resting = await client.order_limit_buy(
                    symbol="BTCUSDT", quantity=qty, price=limit_price
                )
                assert resting["status"] == "PARTIALLY_FILLED"
                await client.cancel_order(symbol="BTCUSDT", orderId=resting["orderId"])
                await until(lambda e: e.get("X") == "CANCELED")
                ioc = await client.create_order(
                    symbol="BTCUSDT", side="SELL", type="LIMIT", timeInForce="IOC",
                    quantity="0.001", price=str((last * 2).quantize(D("0.01"))),
                )  # fmt: skip
                await until(lambda e: e.get("X") == "EXPIRED" and e["i"] == ioc["orderId"])
                await asyncio.to_thread(
                    control, sim, "POST", "/_sim/balances", {"balances": {"ETH": "3"}}
                )
                await until(lambda e: e.get("e") == "balanceUpdate")
        finally:
            await client.close_connection()
        return events

    events = asyncio.run(scenario())
    reports = [(e["i"], e["x"], e["X"]) for e in events if e["e"] == "executionReport"]
    market_id, resting_id, ioc_id = sorted({i for i, _, _ in reports})
    assert next(r[1:] for r in reports if r[0] == market_id) == ("NEW", "NEW")
    assert [r[1:] for r in reports if r[0] == market_id][-1] == ("TRADE", "FILLED")
    resting = [r[1:] for r in reports if r[0] == resting_id]
    assert resting[0] == ("NEW", "NEW")
    assert ("TRADE", "PARTIALLY_FILLED") in resting and resting[-1] == ("CANCELED", "CANCELED")
    assert [r[1:] for r in reports if r[0] == ioc_id] == [("NEW", "NEW"), ("EXPIRED", "EXPIRED")]
    positions = [e for e in events if e["e"] == "outboundAccountPosition"]
    assert positions and {b["a"] for p in positions for b in p["B"]} >= {"BTC", "USDT"}
    update = [e for e in events if e["e"] == "balanceUpdate"][-1]
    assert (update["a"], D(update["d"])) == ("ETH", D(3))


def test_ws_api_rejects_a_bad_signature_and_answers_ping(sim):
    async def scenario():
        async with websockets.connect(sim.urls.ws_api_url) as ws:
            await ws.send(json.dumps({"id": "p1", "method": "ping"}))
            assert json.loads(await ws.recv())["status"] == 200
            params = {"apiKey": sim.api_key.key, "timestamp": 1, "signature": "00" * 32}
            await ws.send(json.dumps({"id": "s1", "method": "userDataStream.subscribe.signature",
                                      "params": params}))  # fmt: skip
            reply = json.loads(await ws.recv())
            assert reply["status"] == 400 and reply["error"]["code"] == -1022
            await ws.send(json.dumps({"id": "s2", "method": "userDataStream.subscribe.signature",
                                      "params": {**params, "apiKey": "B" * 64}}))  # fmt: skip
            reply = json.loads(await ws.recv())
            assert reply["status"] == 401 and reply["error"]["code"] == -2015

    asyncio.run(scenario())
