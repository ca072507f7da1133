"""`python -m engine.replay` runs from the command line and stores its run in a desk database."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from tests.conftest import REPO_ROOT, SHARED_DATA

SOURCE = SHARED_DATA / "candles" / "spot_ETHUSDT_5m.csv.gz"
pytestmark = pytest.mark.skipif(not SOURCE.exists(), reason=f"no recorded candles at {SOURCE}")


def test_the_replay_cli_runs_and_stores_the_run(tmp_path: Path) -> None:
    with gzip.open(SOURCE, "rt") as f:
        lines = [line for _, line in zip(range(601), f, strict=False)]
    file = tmp_path / "spot_ETHUSDT_5m.csv"
    file.write_text("".join(lines))
    db = tmp_path / "desk" / "tradedesk.duckdb"
    out = tmp_path / "run"

    done = subprocess.run(
        [sys.executable, "-m", "engine.replay", "--strategy", "ma_crossover", "--file",
         str(file), "--symbol", "ETHUSDT", "--params", '{"fast": 5, "slow": 12}',
         "--history-bars", "200", "--bars", "120", "--out", str(out), "--db", str(db),
         "--run-id", "cli-test", "--progress"],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=600,
    )  # fmt: skip

    assert done.returncode == 0, done.stderr[-3000:]
    events = [json.loads(line) for line in done.stdout.splitlines()]
    assert events[0]["event"] == "started" and events[-1]["event"] == "finished"
    assert any(e["event"] == "progress" for e in events)
    stats = events[-1]["stats"]
    assert stats["bars"] == 120 and stats["orders"] >= 2
    assert json.loads((out / "result.json").read_text())["run_id"] == "cli-test"
    con = duckdb.connect(str(db), read_only=True)
    try:
        status, symbol = con.execute(
            "SELECT status, symbol FROM strategy_runs WHERE run_id = 'cli-test'"
        ).fetchone()
        fills = con.execute("SELECT count(*) FROM run_fills WHERE run_id = 'cli-test'").fetchone()
        curve = con.execute("SELECT count(*) FROM run_equity WHERE run_id = 'cli-test'").fetchone()
    finally:
        con.close()
    assert (status, symbol) == ("finished", "ETHUSDT")
    assert fills[0] == stats["fills"] and curve[0] == 120
