"""`python -m simulator`: run the Binance-compatible simulator standalone.

The first line on stdout is one JSON object with the URLs, the API key and the path of the keys
file (0600) that holds the API secret and the control-plane token; secrets never go to stdout
or argv. The process then serves until SIGINT or SIGTERM, and saves the paper account before it
exits. Without --data-dir the keys file lives in a private temporary directory, removed at exit.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import shutil
import signal
import sys
import tempfile
from decimal import Decimal, InvalidOperation
from pathlib import Path

from simulator.core.keyfile import KEYS_FILE
from simulator.server import SimConfig, Simulator
from simulator.spot.balances import parse_balances
from simulator.spot.symbols import DEFAULT_SYMBOLS, SymbolSpec


def fee(text: str) -> Decimal:
    try:
        value = Decimal(text)
    except InvalidOperation as e:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from e
    if not value.is_finite() or not 0 <= value < 1:
        raise argparse.ArgumentTypeError("a fee is a fraction in [0, 1), e.g. 0.001 for 0.1%")
    return value


def balances(text: str) -> dict[str, Decimal]:
    try:
        return parse_balances(text)
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from e


SECRET_ENV = "TRADEDESK_SIM_API_SECRET"
LOOPBACK = ("127.0.0.1", "localhost", "::1")


def read_secret(path: Path) -> str:
    """A secret file: the secret alone, or a simulator keys file (its "api_secret")."""
    text = path.read_text(encoding="utf-8").strip()
    if text.startswith("{"):
        secret = json.loads(text).get("api_secret")
        if not isinstance(secret, str):
            raise ValueError(f"{path} has no api_secret")
        return secret
    return text


def api_secret(args: argparse.Namespace) -> str | None:
    if args.api_secret_file is not None:
        return read_secret(args.api_secret_file)
    return os.environ.get(SECRET_ENV) or None


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m simulator",
        description=__doc__.splitlines()[0],
        allow_abbrev=False,  # "--api-secret S" must not be taken for --api-secret-file
    )
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=0, help="0 picks a free port")
    p.add_argument("--data-dir", type=Path, help="where the paper account persists")
    p.add_argument("--feed", default="synthetic", help="synthetic | replay:PATH | live:URL")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--clock", choices=("wall", "virtual"), default="wall")
    p.add_argument(
        "--start-ms", type=int, help="where a virtual clock starts (epoch ms; default now)"
    )
    p.add_argument(
        "--symbols", type=symbols, default=None,
        help="serve only these of the built-in symbols, e.g. BTCUSDT,ETHUSDT (default: all)",
    )  # fmt: skip
    p.add_argument("--api-key", help="generated (and saved in the keys file) when absent")
    p.add_argument(
        "--api-secret-file",
        type=Path,
        help=f"file holding the key's secret (or a {KEYS_FILE}); default ${SECRET_ENV}",
    )
    p.add_argument(
        "--balances",
        type=balances,
        default="USDT=10000",
        help="initial balances, e.g. USDT=10000,BTC=0.5",
    )
    p.add_argument("--maker-fee", type=fee, default=Decimal("0.001"))
    p.add_argument("--taker-fee", type=fee, default=Decimal("0.001"))
    p.add_argument("--weight-limit", type=int, default=6000, help="REQUEST_WEIGHT per minute")
    p.add_argument("--orders-per-10s", type=int, default=50, help="ORDERS per 10 seconds")
    p.add_argument(
        "--futures-weight-limit", type=int, default=2400, help="USD-M REQUEST_WEIGHT per minute"
    )
    p.add_argument(
        "--futures-orders-per-10s", type=int, default=300, help="USD-M ORDERS per 10 seconds"
    )
    p.add_argument("--log-level", default="WARNING")
    return p


def symbols(text: str) -> tuple[SymbolSpec, ...]:
    wanted = [s.strip().upper() for s in text.split(",") if s.strip()]
    known = {s.symbol: s for s in DEFAULT_SYMBOLS}
    unknown = [s for s in wanted if s not in known]
    if unknown or not wanted:
        raise argparse.ArgumentTypeError(
            f"unknown symbols {unknown or text!r}; known: {', '.join(known)}"
        )
    return tuple(known[s] for s in wanted)


def config_from(args: argparse.Namespace, keys_file: Path | None = None) -> SimConfig:
    extra = {"symbols": args.symbols} if args.symbols else {}
    return SimConfig(
        host=args.host,
        port=args.port,
        data_dir=args.data_dir,
        feed=args.feed,
        seed=args.seed,
        clock=args.clock,
        start_ms=args.start_ms,
        api_key=args.api_key,
        api_secret=api_secret(args),
        keys_file=keys_file,
        balances=args.balances,
        maker_fee=args.maker_fee,
        taker_fee=args.taker_fee,
        weight_limit=args.weight_limit,
        orders_per_10s=args.orders_per_10s,
        futures_weight_limit=args.futures_weight_limit,
        futures_orders_per_10s=args.futures_orders_per_10s,
        **extra,
    )


async def serve(config: SimConfig) -> None:
    sim = Simulator(config)
    urls = await sim.start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    first_line = {
        "rest": urls.base_url,
        "api_url": urls.api_url,
        "fapi_url": urls.fapi_url,
        "ws": urls.ws_url,
        "fstream": urls.fstream_url,
        "ws_api": urls.ws_api_url,
        "api_key": sim.api_key.key,
        "keys_file": str(sim.secrets.path.resolve()) if sim.secrets and sim.secrets.path else None,
        "clock": config.clock,
        "feed": config.feed,
    }
    print(json.dumps(first_line), flush=True)
    if config.host not in LOOPBACK:
        print(f"simulator: serving on {config.host}, not loopback: whoever reaches it can "
              "trade its paper account with the key", file=sys.stderr)  # fmt: skip
    try:
        await stop.wait()
    finally:
        await sim.stop()


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    logging.basicConfig(level=args.log_level.upper(), stream=sys.stderr)
    scratch = None if args.data_dir else Path(tempfile.mkdtemp(prefix="tradedesk-sim-"))
    try:
        config = config_from(args, scratch / KEYS_FILE if scratch else None)
        asyncio.run(serve(config))
    except (ValueError, OSError) as e:
        print(f"simulator: {e}", file=sys.stderr)
        return 2
    finally:
        if scratch is not None:
            shutil.rmtree(scratch, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
