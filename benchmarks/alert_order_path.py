"""Does telling people slow trading? Order round trips with no alert channel, then with three
channels that each fill makes busy: a quick webhook, one that holds every post for 5 s, and one
nobody listens on (every attempt refused, retried). Prints JSON.

Market orders through the engine's command queue against the simulator in its own process; a
fill opens an "order filled" notice per order, delivered to every channel.

    python -m benchmarks.alert_order_path [--orders 200]
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from decimal import Decimal
from pathlib import Path

from benchmarks.desk import desk_engine
from engine.access.roles import Role
from engine.commands import PlaceOrder
from engine.engine import Engine
from engine.monitor.commands import SaveAlertChannel, SaveAlertRule
from engine.settings import load_settings
from engine.sim_process import start_simulator
from tests.alert_receivers import webhook


def round_trips(engine: Engine, count: int) -> list[float]:
    took = []
    for _ in range(count):
        order = PlaceOrder(actor="bench", market="spot", symbol="BTCUSDT", side="BUY",
                           order_type="MARKET", quantity=Decimal("0.001"))  # fmt: skip
        started = time.perf_counter()
        reply = engine.submit(order).result(30)
        took.append((time.perf_counter() - started) * 1000)
        assert reply.ok, reply.message
    return took


def figures(ms: list[float]) -> dict[str, float]:
    ordered = sorted(ms)
    return {"n": len(ms), "p50_ms": round(statistics.median(ordered), 2),
            "p99_ms": round(ordered[int(0.99 * (len(ordered) - 1))], 2),
            "max_ms": round(ordered[-1], 2)}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--orders", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, webhook() as quick, webhook() as slow:
        slow.delay_s = 5.0
        options = ("--balances", "USDT=10000000", "--orders-per-10s", "1000000")
        sim = start_simulator(Path(tmp) / "sim", "synthetic", 1, options)
        settings = load_settings(data_dir=Path(tmp) / "engine", monitor_tick_s=0.2)
        engine = desk_engine(settings, sim, {"bench": Role.ADMIN})
        engine.start()
        try:
            round_trips(engine, 20)  # warm-up
            quiet = round_trips(engine, args.orders)
            rule = SaveAlertRule(actor="bench", rule="order_filled", enabled=True,
                                 severity="info", params={"quiet_s": 1})  # fmt: skip
            assert engine.submit(rule).result(10).ok
            for name, url in (("quick", quick.url), ("slow", slow.url + "?rto=10"),
                              ("down", "json://127.0.0.1:9/nowhere")):  # fmt: skip
                channel = SaveAlertChannel(actor="bench", name=name, url=url, min_severity="info")
                assert engine.submit(channel).result(10).ok
            busy = round_trips(engine, args.orders)
            told = len(quick.received)
        finally:
            engine.stop()
            sim.stop()
    print(json.dumps({
        "benchmark": "alert_order_path", "orders": args.orders,
        "no_channels": figures(quiet), "three_channels_one_slow_one_down": figures(busy),
        "p50_ratio": round(statistics.median(busy) / statistics.median(quiet), 2),
        "fills_told_to_the_quick_channel_by_the_end": told,
    }))  # fmt: skip


if __name__ == "__main__":
    main()
