"""Orders through the HTTP API against the same orders through the command queue, in one run.

One simulator in its own process. First an engine in this process takes `--orders` small MARKET
orders through its command queue from `--clients` threads at once; then `streamlit run
streamlit_app.py` (pages and API in one server, attached to the same simulator) takes the same
orders over HTTP with an API token, each client on its own keep-alive session. Latency is from
send to answer; orders per second is orders over the wall time of the whole batch. Each side
sends a warm-up batch first. The token's rate limit is raised for the run (the API is measured,
not its limit). Prints JSON.

    python -m benchmarks.api [--orders 300] [--clients 4]
"""

from __future__ import annotations

import argparse
import json
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from pathlib import Path
from typing import Any

import requests

from benchmarks.desk import desk_engine
from engine.access.roles import Role
from engine.access.tokens import TOKENS_FILE, TokenStore
from engine.access.users import USERS_FILE, UserStore
from engine.commands import PlaceOrder
from engine.settings import load_settings
from engine.sim_process import SimulatorProcess, child_env, start_simulator

REPO = Path(__file__).resolve().parent.parent
SYMBOL = "BTCUSDT"


def order_body(n: int, price: Decimal) -> dict[str, Any]:
    """A small market order, alternately buying and selling (no order is left resting: Binance
    holds at most 200 open orders per symbol)."""
    side = "BUY" if n % 2 == 0 else "SELL"
    return {"market": "spot", "symbol": SYMBOL, "side": side, "order_type": "MARKET",
            "quantity": "0.001"}  # fmt: skip


WARM_UP = 30


def timed_batch(send: Callable[[int], bool], orders: int, clients: int) -> dict[str, Any]:
    """`WARM_UP` orders first (connections, caches, the engine's first backfill), then the
    measured batch."""
    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(send, range(WARM_UP)))
    latencies: list[float] = []
    failures = 0

    def one(n: int) -> None:
        nonlocal failures
        started = time.perf_counter()
        ok = send(n)
        latencies.append((time.perf_counter() - started) * 1000)
        failures += 0 if ok else 1

    began = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(one, range(orders)))
    wall = time.perf_counter() - began
    cuts = statistics.quantiles(latencies, n=100)
    return {"orders": orders, "failed": failures, "orders_per_s": round(orders / wall, 1),
            "p50_ms": round(cuts[49], 2), "p99_ms": round(cuts[98], 2)}  # fmt: skip


def through_the_queue(tmp: Path, sim: SimulatorProcess, price: Decimal, a: Any) -> dict:
    engine = desk_engine(load_settings(data_dir=tmp / "direct"), sim, {"bench": Role.TRADER})
    engine.start()
    try:

        def send(n: int) -> bool:
            order = PlaceOrder(actor="bench", **order_body(n, price))
            return engine.submit(order).result(30).ok

        return timed_batch(send, a.orders, a.clients)
    finally:
        engine.stop()


def api_server(tmp: Path, sim: SimulatorProcess) -> tuple[subprocess.Popen[bytes], str, str]:
    data = tmp / "desk"
    UserStore(data / USERS_FILE).create_first_admin("bench", "benchmark", "a long bench password")
    token = TokenStore(data / TOKENS_FILE).create("bench", Role.TRADER, "bench", 1, "bench")[1]
    port = _free_port()
    env = {**child_env(), "TRADEDESK_DATA_DIR": str(data),
           "TRADEDESK_SIM_REST_URL": sim.endpoints.spot_rest_root,
           "TRADEDESK_SIM_API_KEY": sim.credentials.api_key,
           "TRADEDESK_SIM_API_SECRET": sim.credentials.api_secret,
           "TRADEDESK_API_REQUESTS_PER_S": "10000", "TRADEDESK_API_BURST": "100000"}  # fmt: skip
    process = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "streamlit_app.py", "--server.port", str(port)],
        cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while not _healthy(url):
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError("the desk server did not start")
        time.sleep(0.2)
    return process, url, token


def through_the_api(tmp: Path, sim: SimulatorProcess, price: Decimal, a: Any) -> dict:
    process, url, token = api_server(tmp, sim)
    sessions: dict[int, requests.Session] = {}
    try:

        def send(n: int) -> bool:
            session = _session(sessions, token)
            reply = session.post(f"{url}/api/v1/orders", json=order_body(n, price), timeout=30)
            return reply.status_code == 201

        return timed_batch(send, a.orders, a.clients)
    finally:
        process.terminate()
        process.wait(timeout=60)


def _session(sessions: dict[int, requests.Session], token: str) -> requests.Session:
    key = threading.get_ident()
    if key not in sessions:
        sessions[key] = requests.Session()
        sessions[key].headers["Authorization"] = f"Bearer {token}"
    return sessions[key]


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=300)
    parser.add_argument("--clients", type=int, default=4)
    a = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        options = ("--balances", "USDT=100000000,BTC=1000", "--orders-per-10s", "1000000")
        sim = start_simulator(Path(tmp) / "sim", "synthetic", 1, options)
        try:
            ticker = requests.get(f"{sim.endpoints.spot_rest_root}/api/v3/ticker/price",
                                  params={"symbol": SYMBOL}, timeout=10).json()  # fmt: skip
            price = (Decimal(ticker["price"]) * Decimal("0.7")).quantize(Decimal(1))
            queue = through_the_queue(Path(tmp), sim, price, a)
            api = through_the_api(Path(tmp), sim, price, a)
        finally:
            sim.stop()
    print(json.dumps({
        "benchmark": "api", "clients": a.clients, "command_queue": queue, "http_api": api,
        "api_over_queue_p50": round(api["p50_ms"] / queue["p50_ms"], 2),
    }, indent=2))  # fmt: skip


if __name__ == "__main__":
    main()
