"""`python -m simulator`: run the Binance-compatible simulator standalone.

The first line on stdout is one JSON object with the URLs and the API key; the process then
serves until SIGINT or SIGTERM, and saves the paper account before it exits.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import signal
import sys
from decimal import Decimal, InvalidOperation
from pathlib import Path

from simulator.server import SimConfig, Simulator
from simulator.spot.balances import parse_balances


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


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m simulator", description=__doc__.splitlines()[0])
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=0, help="0 picks a free port")
    p.add_argument("--data-dir", type=Path, help="where the paper account persists")
    p.add_argument("--feed", default="synthetic", help="synthetic | replay:PATH | live:URL")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--clock", choices=("wall", "virtual"), default="wall")
    p.add_argument("--api-key", help="generated (and saved in the data dir) when absent")
    p.add_argument("--api-secret")
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


def config_from(args: argparse.Namespace) -> SimConfig:
    return SimConfig(
        host=args.host,
        port=args.port,
        data_dir=args.data_dir,
        feed=args.feed,
        seed=args.seed,
        clock=args.clock,
        api_key=args.api_key,
        api_secret=args.api_secret,
        balances=args.balances,
        maker_fee=args.maker_fee,
        taker_fee=args.taker_fee,
        weight_limit=args.weight_limit,
        orders_per_10s=args.orders_per_10s,
        futures_weight_limit=args.futures_weight_limit,
        futures_orders_per_10s=args.futures_orders_per_10s,
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
        "api_secret": sim.api_key.secret,
        "clock": config.clock,
        "feed": config.feed,
    }
    print(json.dumps(first_line), flush=True)
    try:
        await stop.wait()
    finally:
        await sim.stop()


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    logging.basicConfig(level=args.log_level.upper(), stream=sys.stderr)
    try:
        config = config_from(args)
        asyncio.run(serve(config))
    except (ValueError, OSError) as e:
        print(f"simulator: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
