"""Run the engine headless, without Streamlit: `python -m engine --help`."""

from __future__ import annotations

import argparse
import logging
import math
import os
import signal
import sys
import threading
import time
from pathlib import Path
from typing import Any

import orjson

from engine import redact
from engine.assembly import Access, build_engine, desk_access
from engine.binance.urls import Endpoints, endpoints_for, sim_endpoints
from engine.credentials import Credentials, secrets_table
from engine.engine import Engine
from engine.models import Environment
from engine.settings import KLINE_INTERVALS, Settings, SettingsError, load_settings
from engine.sim_process import SimulatorProcess, start_simulator
from engine.vault import MASTER_KEY_VARIABLE

LOG_LEVELS = ["DEBUG", "INFO", "WARNING", "ERROR"]
SECRET_ENV = "TRADEDESK_SIM_API_SECRET"  # the attached simulator's secret, never on argv
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m engine",
        allow_abbrev=False,  # "--api-secret S" must not be taken for --api-secret-file
        description=(
            "Run the tradedesk engine without the UI: it streams market data into DuckDB and "
            "executes orders. Options override TRADEDESK_* environment variables and "
            ".streamlit/secrets.toml. Stop it with Ctrl-C or SIGTERM."
        ),
    )
    parser.add_argument("--mode", choices=["sim", "testnet", "live"], help="exchange environment")
    parser.add_argument("--data-dir", type=Path, help="directory of the database (default ./data)")
    parser.add_argument("--db", type=Path, help="database file (default DATA_DIR/tradedesk.duckdb)")
    parser.add_argument("--pairs", help="comma-separated pairs, e.g. BTCUSDT,ETHUSDT")
    parser.add_argument(
        "--intervals", help=f"comma-separated kline intervals, from {', '.join(KLINE_INTERVALS)}"
    )
    parser.add_argument(
        "--run-for",
        type=float,
        metavar="SECONDS",
        help="stop after this long (default: run until stopped)",
    )
    parser.add_argument(
        "--status-every", type=float, default=10.0, metavar="SECONDS",
        help="print a JSON status line this often (default 10; 0 = only at the end)",
    )  # fmt: skip
    parser.add_argument("--log-level", default="INFO", choices=LOG_LEVELS)
    attach = parser.add_argument_group(
        "attach to a running simulator (sim mode; default: start the built-in one)"
    )
    attach.add_argument("--rest-url", help="e.g. http://127.0.0.1:8765")
    attach.add_argument("--ws-url", help="e.g. ws://127.0.0.1:8765 (default: from --rest-url)")
    attach.add_argument("--api-key", help="the simulator's API key")
    attach.add_argument(
        "--api-secret-file", type=Path,
        help=f"file holding the key's secret, or the simulator's keys.json (default ${SECRET_ENV})",
    )  # fmt: skip
    return parser.parse_args(argv)


def settings_overrides(args: argparse.Namespace) -> dict[str, Any]:
    overrides: dict[str, Any] = {}
    if args.mode:
        overrides["mode"] = args.mode
    if args.db:
        overrides["data_dir"] = args.db.parent
        overrides["db_file"] = args.db.name
    elif args.data_dir:
        overrides["data_dir"] = args.data_dir
    if args.pairs:
        overrides["pairs"] = args.pairs.split(",")
    if args.intervals:
        overrides["kline_intervals"] = args.intervals.split(",")
    return overrides


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=args.log_level, format=LOG_FORMAT)
    redact.install()
    try:
        settings = load_settings(**settings_overrides(args))
    except SettingsError as exc:
        print(exc, file=sys.stderr)
        return 2
    access = headless_access(settings)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    try:
        endpoints, credentials, simulator = connection(settings, args, access)
    except (ValueError, RuntimeError, OSError) as exc:
        print(f"Cannot connect: {exc}", file=sys.stderr)
        return 2
    try:
        engine = build_engine(settings, endpoints, credentials, access)
        engine.start()
        try:
            _wait(engine, stop, args.run_for, args.status_every)
        finally:
            engine.stop()
    finally:
        if simulator is not None:
            simulator.stop()
    print(orjson.dumps({"event": "stopped", "state": str(engine.state)}).decode(), flush=True)
    return 0


def headless_access(settings: Settings) -> Access:
    """The data dir's users (they own the commands) and keys: environment, secrets, vault."""
    secrets = secrets_table()
    passphrase = os.environ.get(MASTER_KEY_VARIABLE) or secrets.get("master_key")
    redact.register(passphrase)
    return desk_access(settings.data_dir, passphrase, secrets)[1]


def connection(
    settings: Settings, args: argparse.Namespace, access: Access
) -> tuple[Endpoints, Credentials | None, SimulatorProcess | None]:
    """Endpoints and keys for the mode; in sim mode attach or start the built-in simulator."""
    if settings.mode is not Environment.SIM:
        keys = access.keys.credentials_for(settings.mode)
        return endpoints_for(settings.mode), keys, None
    if args.rest_url:
        secret = attach_secret(args)
        if not (args.api_key and secret):
            raise ValueError(f"--rest-url needs --api-key and --api-secret-file (or ${SECRET_ENV})")
        keys = Credentials(args.api_key, secret)
        return sim_endpoints(args.rest_url, args.ws_url), keys, None
    simulator = start_simulator(settings.data_dir / "sim", settings.sim_feed, settings.sim_seed)
    return simulator.endpoints, simulator.credentials, simulator


def attach_secret(args: argparse.Namespace) -> str | None:
    """The secret from --api-secret-file (the secret alone, or a simulator keys.json), else the
    environment."""
    if args.api_secret_file is None:
        return os.environ.get(SECRET_ENV) or None
    text = args.api_secret_file.read_text(encoding="utf-8").strip()
    if text.startswith("{"):
        secret = orjson.loads(text).get("api_secret")
        return secret if isinstance(secret, str) else None
    return text


def _wait(engine: Engine, stop: threading.Event, run_for: float | None, every: float) -> None:
    deadline = math.inf if run_for is None else time.monotonic() + run_for
    period = every if every > 0 else math.inf
    while not stop.is_set():
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            break
        if not stop.wait(min(period, remaining, 3600.0)) and remaining > period:
            _print_status(engine)
    _print_status(engine)


def _print_status(engine: Engine) -> None:
    print(orjson.dumps({"event": "status", **engine.status()}).decode(), flush=True)


if __name__ == "__main__":
    sys.exit(main())
