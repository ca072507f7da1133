"""`python -m engine` runs headless, with the built-in simulator or attached to one."""

import json
import os
import subprocess
import sys
from pathlib import Path

import duckdb

from simulator.server import SimConfig, SimulatorThread
from tests.conftest import REPO_ROOT


def run_engine(
    *args: str, timeout: float = 90, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("TRADEDESK_")}
    return subprocess.run(
        [sys.executable, "-m", "engine", *args],
        cwd=REPO_ROOT, env={**clean, **(env or {})}, capture_output=True, text=True,
        timeout=timeout,
    )  # fmt: skip


def test_help_documents_every_option():
    result = run_engine("--help")
    assert result.returncode == 0
    for option in ("--mode", "--data-dir", "--db", "--pairs", "--intervals", "--run-for",
                   "--status-every", "--log-level", "--rest-url", "--ws-url", "--api-key",
                   "--api-secret-file"):  # fmt: skip
        assert option in result.stdout


def test_a_bad_setting_stops_start_up_with_a_clear_message():
    result = run_engine("--intervals", "7m", "--run-for", "1")
    assert result.returncode == 2
    assert "TRADEDESK_KLINE_INTERVALS" in result.stderr


def test_sim_mode_runs_headless_fills_the_database_and_exits_cleanly(tmp_path: Path):
    db = tmp_path / "desk.duckdb"
    result = run_engine("--mode", "sim", "--pairs", "BTCUSDT,ETHUSDT", "--db", str(db),
                        "--run-for", "4", "--status-every", "0")  # fmt: skip
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    assert lines[-1] == {"event": "stopped", "state": "stopped"}
    con = duckdb.connect(str(db), read_only=True)
    try:
        symbols = {s for (s,) in con.execute("SELECT DISTINCT symbol FROM klines").fetchall()}
        kinds = [k for (k,) in con.execute("SELECT kind FROM events ORDER BY id").fetchall()]
    finally:
        con.close()
    assert {"BTCUSDT", "ETHUSDT"} <= symbols
    assert kinds[-1] == "engine_stopped"
    assert (tmp_path / "sim" / "keys.json").exists()  # the paper account lives beside the db


def test_attach_takes_the_secret_from_a_file_or_the_environment(tmp_path: Path):
    sim = SimulatorThread(SimConfig(data_dir=tmp_path / "sim")).start()
    try:
        attach = ("--mode", "sim", "--rest-url", sim.urls.base_url, "--api-key", sim.api_key.key,
                  "--run-for", "1", "--status-every", "0")  # fmt: skip
        keys_file = str(tmp_path / "sim" / "keys.json")
        from_file = run_engine(*attach, "--db", str(tmp_path / "a.duckdb"),
                               "--api-secret-file", keys_file)  # fmt: skip
        assert from_file.returncode == 0, from_file.stderr
        env = {"TRADEDESK_SIM_API_SECRET": sim.api_key.secret}
        from_env = run_engine(*attach, "--db", str(tmp_path / "b.duckdb"), env=env)
        assert from_env.returncode == 0, from_env.stderr
        missing = run_engine(*attach, "--db", str(tmp_path / "c.duckdb"))
        assert missing.returncode == 2 and "--api-secret-file" in missing.stderr
    finally:
        sim.stop()
