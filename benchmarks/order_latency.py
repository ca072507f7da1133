"""Submit-to-acknowledged latency of orders through the engine's command queue, next to a bare
python-binance AsyncClient call, against the built-in simulator on loopback; prints JSON.

Both place the same resting LIMIT orders (well below the price, so nothing fills), in
alternating rounds so both see the same machine load; open orders are cancelled between rounds.
The engine path includes the command queue, the pre-trade checks (filters, risk, balance), the
write-ahead row in DuckDB, the signed request and recording the exchange's answer.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import secrets
import statistics
import tempfile
import time
from decimal import Decimal
from pathlib import Path

import requests
from binance import AsyncClient

from engine.access.roles import Role
from engine.assembly import build_engine, desk_access
from engine.commands import CancelAllOrders, PlaceOrder
from engine.engine import Engine
from engine.settings import load_settings
from engine.sim_process import start_simulator

SYMBOL = "BTCUSDT"


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 3)


def engine_round(engine: Engine, price: Decimal, n: int) -> list[float]:
    latencies = []
    for i in range(n):
        order = PlaceOrder(actor="bench", market="spot", symbol=SYMBOL, side="BUY",
                           order_type="LIMIT", quantity=Decimal("0.001"),
                           price=price - i)  # fmt: skip
        started = time.perf_counter()
        reply = engine.submit(order).result(timeout=30)
        latencies.append((time.perf_counter() - started) * 1000)
        if not reply.ok:
            raise RuntimeError(f"engine refused a benchmark order: {reply.message}")
    engine.submit(CancelAllOrders(actor="bench", market="spot", symbol=SYMBOL)).result(30)
    return latencies


async def bare_round(client: AsyncClient, price: Decimal, n: int) -> list[float]:
    latencies = []
    for i in range(n):
        started = time.perf_counter()
        await client.create_order(symbol=SYMBOL, side="BUY", type="LIMIT", timeInForce="GTC",
                                  quantity="0.001", price=f"{price - i:f}")  # fmt: skip
        latencies.append((time.perf_counter() - started) * 1000)
    await client.cancel_all_open_orders(symbol=SYMBOL)
    return latencies


def summary(samples: list[float]) -> dict[str, float]:
    return {"p50_ms": percentile(samples, 0.5), "p99_ms": percentile(samples, 0.99),
            "mean_ms": round(statistics.fmean(samples), 3)}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--per-round", type=int, default=50)
    parser.add_argument(
        "--exchange-latency-ms", type=int, default=0,
        help="delay the simulator adds to every order request (a network round trip)",
    )  # fmt: skip
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        # The exchange in its own process, as Binance is: no GIL shared with the engine.
        sim = start_simulator(
            Path(tmp) / "sim", "synthetic", 1,
            ("--balances", "USDT=10000000", "--orders-per-10s", "1000000"),
        )  # fmt: skip
        endpoints, keys = sim.endpoints, sim.credentials
        base = endpoints.spot_rest_root
        settings = load_settings(data_dir=Path(tmp) / "engine")
        users, access = desk_access(settings.data_dir, None, {})
        users.add("bench", "benchmark", Role.TRADER, secrets.token_urlsafe(24))
        engine = build_engine(settings, endpoints, keys, access)
        engine.start()
        if args.exchange_latency_ms:
            fault = {"kind": "latency", "ms": args.exchange_latency_ms, "path": "/api/v3/order",
                     "count": None}  # fmt: skip
            headers = {"X-SIM-TOKEN": sim.control_token}
            response = requests.post(f"{base}/_sim/faults", json=fault, headers=headers, timeout=10)
            response.raise_for_status()
        bare_class = type("Bare", (AsyncClient,), endpoints.client_attributes())
        loop = asyncio.new_event_loop()

        async def make_bare() -> AsyncClient:
            return bare_class(keys.api_key, keys.api_secret)

        bare = loop.run_until_complete(make_bare())
        try:
            ticker = loop.run_until_complete(bare.get_symbol_ticker(symbol=SYMBOL))
            price = (Decimal(ticker["price"]) * Decimal("0.9")).quantize(Decimal(1))
            engine_ms: list[float] = []
            bare_ms: list[float] = []
            for _ in range(args.rounds):
                engine_ms += engine_round(engine, price, args.per_round)
                bare_ms += loop.run_until_complete(bare_round(bare, price, args.per_round))
        finally:
            loop.run_until_complete(bare.close_connection())
            loop.close()
            engine.stop()
            sim.stop()
    engine_stats, bare_stats = summary(engine_ms), summary(bare_ms)
    print(json.dumps({
        "benchmark": "order_latency",
        "orders_each": len(engine_ms),
        "engine": engine_stats,
        "bare_python_binance": bare_stats,
        "p50_ratio": round(engine_stats["p50_ms"] / bare_stats["p50_ms"], 2),
        "p99_ratio": round(engine_stats["p99_ms"] / bare_stats["p99_ms"], 2),
        "exchange_latency_ms": args.exchange_latency_ms,
        "target_ratio": 1.5,
    }))  # fmt: skip


if __name__ == "__main__":
    main()
