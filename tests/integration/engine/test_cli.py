"""`python -m engine` runs headless, with the built-in simulator or attached to one."""

import json
import os
import subprocess
import sys
from pathlib import Path

import duckdb

from tests.conftest import REPO_ROOT


def run_engine(*args: str, timeout: float = 90) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRADEDESK_")}
    return subprocess.run(
        [sys.executable, "-m", "engine", *args],
        cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=timeout,
    )  # fmt: skip


def test_help_documents_every_option():
    result = run_engine("--help")
    assert result.returncode == 0
    for option in ("--mode", "--data-dir", "--db", "--pairs", "--intervals", "--run-for",
                   "--status-every", "--log-level", "--rest-url", "--ws-url", "--api-key",
                   "--api-secret"):  # fmt: skip
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
