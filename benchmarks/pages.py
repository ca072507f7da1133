"""Time to render each page (AppTest, real engine on the simulator), on an empty database and
on a large one: a year of 1m candles for 3 pairs, 50,000 orders, 100,000 fills.

    python -m benchmarks.pages [--runs 7] [--skip-empty]

Prints one JSON document: per database, per page, the median and max render time in ms over
`--runs` reruns after one warm-up, plus how long building the large database took.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from engine.store.database import Store  # noqa: E402

PAGES = {
    "trade": "app_pages/orders.py",
    "pairs": "app_pages/pairs.py",
    "portfolio": "app_pages/portfolio.py",
    "risk": "app_pages/risk.py",
    "status": "app_pages/status.py",
    "settings": "app_pages/settings.py",
    "explore": "app_pages/explore.py",
}
BENCH_USER, BENCH_PASSWORD = "bench", "benchmark password"
MINUTE = 60_000
YEAR_MINUTES = 365 * 24 * 60
SYMBOLS = {"BTCUSDT": 95_000.0, "ETHUSDT": 3_300.0, "BNBUSDT": 650.0}


def _klines(symbol: str, start_price: float, end_ms: int, rng: np.random.Generator) -> pa.Table:
    n = YEAR_MINUTES
    open_time = end_ms - end_ms % MINUTE - np.arange(n, 0, -1, dtype=np.int64) * MINUTE
    close = start_price * np.exp(np.cumsum(rng.normal(0, 0.0008, n)))
    open_ = np.concatenate([[start_price], close[:-1]])
    spread = np.abs(rng.normal(0, 0.0005, n)) * close
    volume = rng.gamma(2.0, 5.0, n)
    return pa.table(
        {
            "market": pa.array(["spot"] * n),
            "symbol": pa.array([symbol] * n),
            "interval": pa.array(["1m"] * n),
            "open_time": open_time,
            "open": open_,
            "high": np.maximum(open_, close) + spread,
            "low": np.minimum(open_, close) - spread,
            "close": close,
            "volume": volume,
            "close_time": open_time + MINUTE - 1,
            "quote_volume": volume * close,
            "trades": rng.integers(1, 500, n),
            "is_closed": np.ones(n, dtype=bool),
        }
    )


def _orders(n: int, end_ms: int, rng: np.random.Generator) -> pa.Table:
    symbols = np.array(list(SYMBOLS))[rng.integers(0, 3, n)]
    created = end_ms - rng.integers(MINUTE, 365 * 86_400_000, n)
    price = np.array([SYMBOLS[s] for s in symbols]) * rng.uniform(0.7, 1.3, n)
    qty = rng.uniform(0.001, 1.0, n)
    filled = rng.random(n) < 0.6
    return pa.table(
        {
            "client_order_id": pa.array([f"td-bench-{i}" for i in range(n)]),
            "market": pa.array(["spot"] * n),
            "symbol": symbols,
            "side": np.where(rng.random(n) < 0.5, "BUY", "SELL"),
            "order_type": pa.array(["LIMIT"] * n),
            "time_in_force": pa.array(["GTC"] * n),
            "quantity": qty,
            "quote_quantity": pa.nulls(n, pa.float64()),
            "price": price,
            "stop_price": pa.nulls(n, pa.float64()),
            "reduce_only": np.zeros(n, dtype=bool),
            "post_only": np.zeros(n, dtype=bool),
            "status": np.where(filled, "FILLED", "CANCELED"),
            "exchange_order_id": pa.array([str(i) for i in range(n)]),
            "executed_qty": np.where(filled, qty, 0.0),
            "cum_quote": np.where(filled, qty * price, 0),
            "avg_price": pa.array(price, mask=~filled),
            "reason": pa.nulls(n, pa.string()),
            "actor": pa.array(["bench"] * n),
            "created_ms": created,
            "updated_ms": created + 1000,
        }
    )


def _fills(n: int, end_ms: int, rng: np.random.Generator) -> pa.Table:
    symbols = np.array(list(SYMBOLS))[rng.integers(0, 3, n)]
    price = np.array([SYMBOLS[s] for s in symbols]) * rng.uniform(0.7, 1.3, n)
    qty = rng.uniform(0.001, 1.0, n)
    return pa.table(
        {
            "market": pa.array(["spot"] * n),
            "symbol": symbols,
            "trade_id": np.arange(n),
            "client_order_id": pa.array([f"td-bench-{i % 50_000}" for i in range(n)]),
            "exchange_order_id": pa.array([str(i % 50_000) for i in range(n)]),
            "side": np.where(rng.random(n) < 0.5, "BUY", "SELL"),
            "price": price,
            "qty": qty,
            "quote_qty": price * qty,
            "commission": price * qty * 0.001,
            "commission_asset": pa.array(["USDT"] * n),
            "is_maker": rng.random(n) < 0.5,
            "realized_pnl": pa.nulls(n, pa.float64()),
            "time": end_ms - rng.integers(MINUTE, 365 * 86_400_000, n),
        }
    )


def _equity(end_ms: int, rng: np.random.Generator) -> pa.Table:
    times = end_ms - end_ms % MINUTE - np.arange(365 * 24 * 12, 0, -1, dtype=np.int64) * 5 * MINUTE
    equity = 20_000 * np.exp(np.cumsum(rng.normal(0, 0.001, len(times))))
    return pa.table(
        {
            "time": times,
            "equity": equity,
            "spot_value": equity / 2,
            "futures_value": equity / 2,
            "realized_pnl": np.zeros(len(times)),
            "unrealized_pnl": np.zeros(len(times)),
        }
    )


def build_large_database(data_dir: Path) -> float:
    """Write the large data set with Arrow inserts; return the seconds it took."""
    started = time.perf_counter()
    rng = np.random.default_rng(7)
    end_ms = int(time.time() * 1000)
    tables = [("klines", _klines(s, p, end_ms, rng)) for s, p in SYMBOLS.items()]
    tables += [
        ("orders", _orders(50_000, end_ms, rng)),
        ("fills", _fills(100_000, end_ms, rng)),
        ("equity", _equity(end_ms, rng)),
    ]

    def insert(con) -> None:
        for name, table in tables:
            con.register("_incoming", table)
            con.execute(f"INSERT INTO {name} BY NAME SELECT * FROM _incoming")
            con.unregister("_incoming")

    store = Store(data_dir / "tradedesk.duckdb")
    try:
        store.write_sync(insert)
    finally:
        store.close()
    return time.perf_counter() - started


def time_pages(data_dir: Path, runs: int) -> dict[str, dict[str, float]]:
    """Median and max ms of `runs` reruns of each page, after a warm-up run."""
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    os.environ["TRADEDESK_DATA_DIR"] = str(data_dir)
    os.environ.setdefault("TRADEDESK_ADMIN_USER", BENCH_USER)
    os.environ.setdefault("TRADEDESK_ADMIN_PASSWORD", BENCH_PASSWORD)
    os.chdir(REPO)
    st.cache_resource.clear()
    at = AppTest.from_file(str(REPO / "desk_ui.py"), default_timeout=120)
    at.run()  # the login page (the first admin comes from the environment)
    at.text_input[0].input(os.environ["TRADEDESK_ADMIN_USER"])
    at.text_input[1].input(os.environ["TRADEDESK_ADMIN_PASSWORD"])
    at.button[0].click()
    at.run()
    at.run()
    settled_s = _wait_until_settled()
    results = {}
    for name, path in PAGES.items():
        at.switch_page(path).run()
        samples = []
        for _ in range(runs):
            started = time.perf_counter()
            at.run()
            samples.append((time.perf_counter() - started) * 1000)
        if at.exception:
            raise RuntimeError(f"{name}: {at.exception[0].value}")
        results[name] = {
            "median_ms": round(statistics.median(samples), 1),
            "max_ms": round(max(samples), 1),
        }
    st.cache_resource.clear()
    results["_engine_settled_after_s"] = {"seconds": settled_s}
    return results


def _wait_until_settled(limit_s: float = 180.0) -> float:
    """Wait until the engine answers GetStatus within 0.2 s five times in a row (its start-up
    work on a large database blocks its loop for a while); return the seconds waited."""
    from app.runtime import get_engine
    from engine.command_queue import CommandError
    from engine.commands import GetStatus

    started, quick = time.perf_counter(), 0
    while quick < 5 and time.perf_counter() - started < limit_s:
        asked = time.perf_counter()
        try:
            get_engine().submit(GetStatus(actor=BENCH_USER)).result(timeout=30)
        except CommandError:
            quick = 0
            continue
        quick = quick + 1 if time.perf_counter() - asked < 0.2 else 0
        time.sleep(0.5)
    return round(time.perf_counter() - started, 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--skip-empty", action="store_true")
    args = parser.parse_args()
    report: dict[str, object] = {"runs_per_page": args.runs}
    with tempfile.TemporaryDirectory() as tmp:
        if not args.skip_empty:
            report["empty"] = time_pages(Path(tmp) / "empty", args.runs)
        large = Path(tmp) / "large"
        report["large_build_s"] = round(build_large_database(large), 1)
        report["large_rows"] = {
            "klines": 3 * YEAR_MINUTES,
            "orders": 50_000,
            "fills": 100_000,
            "equity": 365 * 24 * 12,
        }
        report["large"] = time_pages(large, args.runs)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
