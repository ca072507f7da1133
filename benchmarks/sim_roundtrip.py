"""Simulator benchmark: prints JSON with the order round trip (python-binance `create_order`
over loopback) p50/p99, and the WebSocket fan-out rate with 100 kline streams.

    python -m benchmarks.sim_roundtrip [--orders 500] [--seconds 5] [--clients 10]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import threading
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import websockets
from binance import Client

from simulator.server import SimConfig, SimulatorThread
from simulator.spot.symbols import DEFAULT_SYMBOLS

KLINE_INTERVALS = ("1s", "1m", "3m", "5m", "15m", "30m", "1h", "2h", "4h", "6h")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def order_round_trip(sim: SimulatorThread, orders: int) -> dict[str, float]:
    client_class = type("SimClient", (Client,), {"API_URL": sim.urls.api_url})
    client = client_class(sim.api_key.key, sim.api_key.secret)
    client.timestamp_offset = client.get_server_time()["serverTime"] - int(time.time() * 1000)
    for _ in range(20):  # warm up the connection pool
        client.ping()
    timings = []
    for i in range(orders):
        side = "BUY" if i % 2 == 0 else "SELL"
        started = time.perf_counter()
        client.create_order(symbol="BTCUSDT", side=side, type="MARKET", quantity="0.001")
        timings.append((time.perf_counter() - started) * 1000)
    client.close_connection()
    return {
        "orders": orders,
        "p50_ms": round(statistics.median(timings), 3),
        "p99_ms": round(percentile(timings, 0.99), 3),
        "max_ms": round(max(timings), 3),
    }


def fan_out(sim: SimulatorThread, seconds: float, clients: int) -> dict[str, float]:
    streams = [f"{s.symbol.lower()}@kline_{i}" for s in DEFAULT_SYMBOLS for i in KLINE_INTERVALS]
    assert len(streams) == 100
    url = sim.urls.ws_url + "stream?streams=" + "/".join(streams)
    received = [0]
    stop = threading.Event()
    ctx = sim.sim.ctx

    def step() -> None:
        ctx.clock.advance(1000)
        ctx.sync_market()

    def drive() -> None:
        while not stop.is_set():
            sim.call(step)

    async def receive(ws) -> None:
        async for _ in ws:
            received[0] += 1

    async def run() -> float:
        sockets = [await websockets.connect(url, max_queue=None) for _ in range(clients)]
        readers = [asyncio.create_task(receive(ws)) for ws in sockets]
        driver = threading.Thread(target=drive)
        started = time.perf_counter()
        driver.start()
        await asyncio.sleep(seconds)
        stop.set()
        await asyncio.to_thread(driver.join)
        elapsed = time.perf_counter() - started
        count = received[0]
        for ws in sockets:
            await ws.close()
        for reader in readers:
            reader.cancel()
        await asyncio.gather(*readers, return_exceptions=True)
        received[0] = count
        return elapsed

    elapsed = asyncio.run(run())
    return {
        "streams": len(streams),
        "connections": clients,
        "seconds": round(elapsed, 2),
        "messages_received": received[0],
        "messages_per_second": round(received[0] / elapsed),
        "slow_client_drops": ctx.hub.slow_drops,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=500)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--clients", type=int, default=10)
    args = parser.parse_args()
    config = SimConfig(
        clock="virtual",
        balances={"USDT": Decimal(10**9), "BTC": Decimal(1000)},
        weight_limit=10**9,
        orders_per_10s=10**9,
    )
    with SimulatorThread(config) as sim:
        result = {
            "order_round_trip": order_round_trip(sim, args.orders),
            "ws_fan_out": fan_out(sim, args.seconds, args.clients),
        }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
