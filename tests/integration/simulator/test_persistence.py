"""The paper account survives a restart; `python -m simulator` prints its URLs and keys first."""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import requests

from tests.conftest import REPO_ROOT
from tests.integration.sim_support import control, start_sim, synced_client

D = Decimal


def test_restart_keeps_balances_open_orders_history_and_keys(tmp_path):
    first = start_sim(data_dir=tmp_path)
    try:
        client = synced_client(first)
        client.order_market_buy(symbol="ETHUSDT", quantity="0.5")
        price = D(client.get_symbol_ticker(symbol="BTCUSDT")["price"]) * D("0.9")
        resting = client.order_limit_buy(
            symbol="BTCUSDT", quantity="0.01", price=str(price.quantize(D("0.01")))
        )
        balances = client.get_account()["balances"]
        open_orders = client.get_open_orders()
        trades = client.get_my_trades(symbol="ETHUSDT")
        key = first.api_key
    finally:
        first.stop()
    assert (tmp_path / "state.json").exists()

    second = start_sim(data_dir=tmp_path)
    try:
        assert second.api_key == key  # generated once, kept in the data dir
        client = synced_client(second)
        assert client.get_account()["balances"] == balances
        assert client.get_open_orders() == open_orders
        assert client.get_my_trades(symbol="ETHUSDT") == trades
        canceled = client.cancel_order(symbol="BTCUSDT", orderId=resting["orderId"])
        assert canceled["status"] == "CANCELED"
        usdt = {b["asset"]: b for b in client.get_account()["balances"]}["USDT"]
        assert D(usdt["locked"]) == 0
        nxt = client.order_market_buy(symbol="BTCUSDT", quantity="0.001")
        assert nxt["orderId"] > resting["orderId"]
    finally:
        second.stop()


def test_reset_starts_over(tmp_path):
    sim = start_sim(data_dir=tmp_path)
    try:
        client = synced_client(sim)
        client.order_market_buy(symbol="BTCUSDT", quantity="0.01")
        control(sim, "POST", "/_sim/reset")
        assert client.get_all_orders(symbol="BTCUSDT") == []
        balances = {b["asset"]: b["free"] for b in client.get_account()["balances"]}
        assert balances == {"BTC": "1.00000000", "USDT": "100000.00000000"}
    finally:
        sim.stop()


def simulator_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("TRADEDESK_")}
    return subprocess.Popen(
        [sys.executable, "-m", "simulator", "--port", "0", "--clock", "virtual", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**base, "PYTHONPATH": str(REPO_ROOT), **(env or {})},
    )


def stop_cli(process: subprocess.Popen[str]) -> None:
    if process.poll() is None:
        process.kill()
        process.wait()


def test_cli_prints_urls_key_and_keys_file_first_then_serves_until_sigterm(tmp_path):
    secret_file = tmp_path / "secret"
    secret_file.write_text("s" * 64 + "\n")
    data_dir = tmp_path / "sim"
    process = simulator_cli(
        "--data-dir", str(data_dir), "--balances", "USDT=500,BTC=0.25",
        "--api-key", "k" * 64, "--api-secret-file", str(secret_file),
    )  # fmt: skip
    try:
        line = process.stdout.readline()
        first = json.loads(line)
        assert first["api_key"] == "k" * 64 and "api_secret" not in first
        assert "s" * 64 not in line  # the secret is never printed ...
        keys = json.loads(Path(first["keys_file"]).read_text())
        assert keys["api_secret"] == "s" * 64  # ... it is in the 0600 keys file
        assert Path(first["keys_file"]) == data_dir / "keys.json"
        assert first["ws"].startswith("ws://127.0.0.1:") and first["ws"].endswith("/")
        assert requests.get(first["api_url"] + "/v3/ping", timeout=5).json() == {}
        token = {"X-SIM-TOKEN": keys["control_token"]}
        assert requests.get(first["rest"] + "/_sim/clock", headers=token, timeout=5).ok
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=15) == 0
    finally:
        stop_cli(process)
    state = json.loads((data_dir / "state.json").read_text())
    assert state["spot"]["balances"]["free"] == {"USDT": "500", "BTC": "0.25"}


def test_cli_takes_the_secret_from_the_environment_never_from_argv(tmp_path):
    secret = "e" * 64
    process = simulator_cli("--api-key", "k" * 64, env={"TRADEDESK_SIM_API_SECRET": secret})
    try:
        first = json.loads(process.stdout.readline())
        cmdline = Path(f"/proc/{process.pid}/cmdline").read_bytes()
        assert secret.encode() not in cmdline
        keys_file = Path(first["keys_file"])  # no data dir: a private temporary one
        assert json.loads(keys_file.read_text())["api_secret"] == secret
        assert stat.S_IMODE(keys_file.stat().st_mode) == 0o600
        assert stat.S_IMODE(keys_file.parent.stat().st_mode) == 0o700
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=15) == 0
        assert not keys_file.parent.exists()  # removed at exit
    finally:
        stop_cli(process)


def test_cli_has_no_secret_option_any_more():
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    run = subprocess.run(
        [sys.executable, "-m", "simulator", "--api-key", "k" * 64, "--api-secret", "s" * 64],
        capture_output=True,
        text=True,
        env=env,
        timeout=30,
    )
    assert run.returncode == 2 and "unrecognized arguments: --api-secret" in run.stderr


def test_cli_refuses_bad_arguments_clearly():
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    run = subprocess.run(
        [sys.executable, "-m", "simulator", "--feed", "nonsense"],
        capture_output=True,
        text=True,
        env=env,
        timeout=30,
    )
    assert run.returncode == 2 and run.stdout == ""
    assert "feed" in run.stderr and "Traceback" not in run.stderr
