"""The headless engine's child simulator: keys from its 0600 keys file, not from stdout, and
no exchange keys or master key inherited from the environment."""

from __future__ import annotations

import os
from pathlib import Path

import requests

from engine.sim_process import child_env, start_simulator

PRIVATE = {
    "TRADEDESK_LIVE_API_KEY": "live-key-1",
    "TRADEDESK_LIVE_API_SECRET": "live-secret-2",
    "TRADEDESK_TESTNET_API_KEY": "testnet-key-3",
    "TRADEDESK_TESTNET_API_SECRET": "testnet-secret-4",
    "TRADEDESK_SIM_API_SECRET": "sim-secret-5",
    "TRADEDESK_MASTER_KEY": "master-6",
}


def test_child_env_drops_exchange_keys_and_the_master_key():
    kept = {"TRADEDESK_MODE": "sim", "TRADEDESK_DATA_DIR": "/tmp/x", "PATH": "/usr/bin"}
    assert child_env({**PRIVATE, **kept}) == kept


def test_the_child_simulator_inherits_no_secret_and_its_keys_come_from_the_keys_file(
    tmp_path: Path, monkeypatch
):
    for name, value in PRIVATE.items():
        monkeypatch.setenv(name, value)
    sim = start_simulator(tmp_path / "sim", "synthetic", 3)
    try:
        environ = Path(f"/proc/{sim.process.pid}/environ").read_bytes()
        for value in PRIVATE.values():
            assert value.encode() not in environ
        cmdline = Path(f"/proc/{sim.process.pid}/cmdline").read_bytes()
        assert sim.credentials.api_secret.encode() not in cmdline
        keys_file = tmp_path / "sim" / "keys.json"
        assert oct(keys_file.stat().st_mode & 0o777) == "0o600"
        base = sim.endpoints.spot_rest_root
        headers = {"X-SIM-TOKEN": sim.control_token}
        assert requests.get(f"{base}/_sim/clock", headers=headers, timeout=10).ok
        assert requests.get(f"{base}/_sim/clock", timeout=10).status_code == 401
    finally:
        sim.stop()
    assert os.environ["TRADEDESK_LIVE_API_SECRET"] == "live-secret-2"  # ours is untouched
