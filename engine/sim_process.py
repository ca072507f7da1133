"""Start the built-in simulator as a child process for the headless engine.

The engine never imports the simulator (design.md section 2): `python -m engine --mode sim`
runs `python -m simulator` and reads the URLs and the API key from its first line of output,
and the API secret and control-plane token from the keys file (0600) that line names. The child
does not inherit the environment's exchange keys or master key.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from engine.binance.urls import Endpoints, sim_endpoints
from engine.credentials import Credentials

START_TIMEOUT_S = 30.0
# TRADEDESK_LIVE_API_SECRET, TRADEDESK_TESTNET_API_KEY, ..., and the vault's master key
PRIVATE_ENV = re.compile(r"^TRADEDESK_(\w+_API_(KEY|SECRET)|MASTER_KEY)$")


@dataclass
class SimulatorProcess:
    process: subprocess.Popen[str]
    endpoints: Endpoints
    credentials: Credentials
    control_token: str  # for the simulator's /_sim/... control plane (X-SIM-TOKEN)

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
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, env=child_env())
    try:
        info = _first_line(process)
        keys = json.loads(Path(info["keys_file"]).read_text(encoding="utf-8"))
    except BaseException:
        process.kill()
        process.wait(timeout=5)
        raise
    credentials = Credentials(info["api_key"], keys["api_secret"])
    return SimulatorProcess(
        process, sim_endpoints(info["rest"]), credentials, keys["control_token"]
    )


def child_env(environ: dict[str, str] | None = None) -> dict[str, str]:
    """The environment without the exchange keys and the master key: the simulator needs none."""
    source = os.environ if environ is None else environ
    return {k: v for k, v in source.items() if not PRIVATE_ENV.match(k)}


def _first_line(process: subprocess.Popen[str]) -> dict[str, str]:
    stdout: IO[str] | None = process.stdout
    assert stdout is not None
    line = stdout.readline()
    if not line:
        raise RuntimeError(f"The simulator exited before it started (code {process.wait()}).")
    return json.loads(line)
