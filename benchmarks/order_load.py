"""Orders under load: 50 commands a second (half places, half cancels) through the engine's
command queue against the simulator in its own process, for 20 s; prints JSON.

Every place is a resting LIMIT buy (well below the price); every cancel takes the oldest order
whose place was acknowledged. Reply latency is measured from `submit` to the reply. Afterwards
the exchange's own order list is checked: every acknowledged place is there exactly once,
every acknowledged cancel left its order CANCELED, and no order exists that the desk does not
know (nothing lost, nothing doubled).

    python -m benchmarks.order_load [--rate 50] [--seconds 20]
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import json
import statistics
import tempfile
import threading
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

from binance import AsyncClient

from benchmarks.desk import desk_engine
from engine.access.roles import Role
from engine.commands import CancelAllOrders, CancelOrder, Command, PlaceOrder, Reply
from engine.engine import Engine
from engine.settings import load_settings
from engine.sim_process import start_simulator

SYMBOL = "BTCUSDT"


class Load:
    """Sends commands on a fixed schedule and records each reply's latency."""

    def __init__(self, engine: Engine, price: Decimal) -> None:
        self.engine, self.price = engine, price
        self.latencies: dict[str, list[float]] = {"place": [], "cancel": []}
        self.placed: collections.deque[str] = collections.deque()
        self.acked_places: set[str] = set()
        self.acked_cancels: set[str] = set()
        self.failures: collections.Counter[str] = collections.Counter()
        self.outstanding = 0
        self._lock = threading.Lock()
        self._quiet = threading.Condition(self._lock)
        self._n = 0

    def send(self, kind: str, command: Command, target: str | None = None) -> None:
        started = time.perf_counter()
        with self._lock:
            self.outstanding += 1
        handle = self.engine.submit(command)
        handle.when_done(lambda reply: self._answered(kind, started, reply, target))

    def _answered(self, kind: str, started: float, reply: Reply | None, target: str | None):
        elapsed = (time.perf_counter() - started) * 1000
        with self._lock:
            self.latencies[kind].append(elapsed)
            if reply is None or not reply.ok:
                self.failures[f"{kind}: {reply.code if reply else 'failed'}"] += 1
            elif kind == "place":
                cid = reply.data["client_order_id"]
                self.acked_places.add(cid)
                self.placed.append(cid)
            elif target is not None:
                self.acked_cancels.add(target)
            self.outstanding -= 1
            self._quiet.notify_all()

    def place(self) -> None:
        self._n += 1
        price = self.price - self._n % 100
        order = PlaceOrder(actor="load", market="spot", symbol=SYMBOL, side="BUY",
                           order_type="LIMIT", quantity=Decimal("0.001"), price=price)  # fmt: skip
        self.send("place", order)

    def cancel(self) -> None:
        with self._lock:
            target = self.placed.popleft() if self.placed else None
        if target is None:
            self.place()
            return
        command = CancelOrder(actor="load", market="spot", symbol=SYMBOL, client_order_id=target)
        self.send("cancel", command, target)

    def run(self, rate: float, seconds: float) -> None:
        period, start = 1.0 / rate, time.perf_counter()
        for i in range(int(rate * seconds)):
            delay = start + i * period - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            (self.place if i % 2 == 0 else self.cancel)()
        with self._lock:
            self._quiet.wait_for(lambda: self.outstanding == 0, timeout=60)


def percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)

    def at(q: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 2)

    return {
        "count": len(ordered), "p50_ms": at(0.5), "p99_ms": at(0.99),
        "max_ms": round(ordered[-1], 2), "mean_ms": round(statistics.fmean(ordered), 2),
    }  # fmt: skip


async def exchange_orders(client: AsyncClient) -> dict[str, list[dict[str, Any]]]:
    rows = await client.get_all_orders(symbol=SYMBOL, limit=1000)
    by_id: dict[str, list[dict[str, Any]]] = collections.defaultdict(list)
    for row in rows:
        by_id[row["clientOrderId"]].append(row)
    return by_id


def check(load: Load, by_id: dict[str, list[dict[str, Any]]]) -> dict[str, int]:
    ours = {cid for cid in by_id if cid.startswith("td-")}
    return {
        "acknowledged_places": len(load.acked_places),
        "acknowledged_cancels": len(load.acked_cancels),
        "lost": len(load.acked_places - ours),
        "doubled": sum(1 for cid in ours if len(by_id[cid]) > 1),
        "unknown_to_the_desk": len(ours - load.acked_places),
        "cancel_not_canceled": sum(
            1 for cid in load.acked_cancels if by_id.get(cid, [{}])[0].get("status") != "CANCELED"
        ),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rate", type=float, default=50.0, help="commands per second")
    parser.add_argument("--seconds", type=float, default=20.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        sim = start_simulator(
            Path(tmp) / "sim", "synthetic", 1,
            ("--balances", "USDT=10000000", "--orders-per-10s", "1000000"),
        )  # fmt: skip
        settings = load_settings(data_dir=Path(tmp) / "engine")
        engine = desk_engine(settings, sim, {"load": Role.TRADER})
        engine.start()
        client_class = type("Bare", (AsyncClient,), sim.endpoints.client_attributes())
        loop = asyncio.new_event_loop()

        async def make() -> AsyncClient:
            return client_class(sim.credentials.api_key, sim.credentials.api_secret)

        client = loop.run_until_complete(make())
        try:
            ticker = loop.run_until_complete(client.get_symbol_ticker(symbol=SYMBOL))
            load = Load(engine, (Decimal(ticker["price"]) * Decimal("0.9")).quantize(Decimal(1)))
            load.run(args.rate, args.seconds)
            by_id = loop.run_until_complete(exchange_orders(client))
            engine.submit(CancelAllOrders(actor="load", market="spot", symbol=SYMBOL)).result(30)
        finally:
            loop.run_until_complete(client.close_connection())
            loop.close()
            engine.stop()
            sim.stop()
    print(json.dumps({
        "benchmark": "order_load", "rate_per_s": args.rate, "seconds": args.seconds,
        "place": percentiles(load.latencies["place"]),
        "cancel": percentiles(load.latencies["cancel"]),
        "failures": dict(load.failures), "exchange_check": check(load, by_id),
        "target": {"p50_ms": 20, "p99_ms": 200},
    }))  # fmt: skip


if __name__ == "__main__":
    main()
