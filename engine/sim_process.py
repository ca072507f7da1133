"""Start the built-in simulator as a child process for the headless engine.

The engine never imports the simulator (design.md section 2): `python -m engine --mode sim`
runs `python -m simulator` and reads the URLs and keys from its first line of output.
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from engine.binance.urls import Endpoints, sim_endpoints
from engine.credentials import Credentials

START_TIMEOUT_S = 30.0


@dataclass
class SimulatorProcess:
    process: subprocess.Popen[str]
    endpoints: Endpoints
    credentials: Credentials

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)


def start_simulator(
    data_dir: Path, feed: str, seed: int, extra_args: tuple[str, ...] = ()
) -> SimulatorProcess:
    """Run `python -m simulator` on a free port with its account in `data_dir`."""
    command = [
        sys.executable, "-m", "simulator", "--port", "0", "--data-dir", str(data_dir),
        "--feed", feed, "--seed", str(seed), *extra_args,
    ]  # fmt: skip
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    try:
        info = _first_line(process)
    except BaseException:
        process.kill()
        process.wait(timeout=5)
        raise
    rest = info["rest"]
    endpoints = sim_endpoints(rest)
    return SimulatorProcess(process, endpoints, Credentials(info["api_key"], info["api_secret"]))


def _first_line(process: subprocess.Popen[str]) -> dict[str, str]:
    stdout: IO[str] | None = process.stdout
    assert stdout is not None
    line = stdout.readline()
    if not line:
        raise RuntimeError(f"The simulator exited before it started (code {process.wait()}).")
    return json.loads(line)
