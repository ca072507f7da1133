"""`python -m engine.replay`: run a strategy over a candle file on the simulator's virtual clock.

Prints one JSON line per progress step (`--progress`) and a last line with the result's
figures; the full result (fills, signals, equity curve) is written to OUT/result.json, and with
`--db` stored into that desk database, tagged by the run's id, beside the live results.
"""

from __future__ import annotations

import argparse
import json
import logging
import signal
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import orjson

from engine.models import MarketType
from engine.replay.run import ReplaySpec, dump, new_run_id, run_replay
from engine.replay.storing import store_result


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m engine.replay", description=__doc__.splitlines()[0])
    p.add_argument("--strategy", required=True, help="a strategy's name (its file's, by default)")
    p.add_argument("--file", required=True, type=Path, help="kline CSV (.csv, .csv.gz, .zip)")
    p.add_argument("--symbol", required=True, help="the pair the file holds, e.g. BTCUSDT")
    p.add_argument("--market", choices=["spot", "futures"], default="spot")
    p.add_argument("--params", default="{}", help='parameters as JSON, e.g. {"fast": 10}')
    p.add_argument("--bars", type=int, help="bars to trade (default: the file after its history)")
    p.add_argument("--history-bars", type=int, default=500, help="bars before the first traded")
    p.add_argument("--quote-balance", type=Decimal, default=Decimal(10_000))
    p.add_argument("--budget-ms", type=int, default=1000, help="time budget of one strategy call")
    p.add_argument("--strategies-dir", type=Path, default=Path("strategies"))
    p.add_argument("--run-id", default=None)
    p.add_argument("--out", type=Path, help="where the run's files go (default data/replays/ID)")
    p.add_argument("--db", type=Path, help="store the result in this desk database too")
    p.add_argument("--progress", action="store_true", help="print JSON progress lines")
    p.add_argument("--log-level", default="WARNING")
    return p.parse_args(argv)


def _print(line: dict[str, Any]) -> None:
    sys.stdout.write(orjson.dumps(line, default=str).decode() + "\n")
    sys.stdout.flush()


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    # A cancel (SIGTERM) unwinds like Ctrl-C: the engine, its workers and the simulator stop.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    logging.basicConfig(level=args.log_level)
    try:
        params = json.loads(args.params)
    except ValueError as exc:
        print(f"--params is not JSON: {exc}", file=sys.stderr)
        return 2
    run_id = args.run_id or new_run_id()
    out = args.out or Path("data") / "replays" / run_id
    spec = ReplaySpec(
        strategy=args.strategy, symbol=args.symbol.upper(), file=args.file,
        market=MarketType(args.market), params=params, bars=args.bars,
        history_bars=args.history_bars, quote_balance=args.quote_balance,
        budget_ms=args.budget_ms, strategies_dir=args.strategies_dir, run_id=run_id,
    )  # fmt: skip
    _print({"event": "started", "run_id": run_id, "out": str(out)})
    try:
        result = run_replay(spec, out, _print if args.progress else lambda _: None)
    except Exception as exc:
        _print({"event": "failed", "run_id": run_id, "error": f"{type(exc).__name__}: {exc}"})
        return 1
    dump(result, out / "result.json")
    if args.db is not None:
        store_result(args.db, result, actor="cli")
    _print({"event": "finished", "run_id": run_id, "result": str(out / "result.json"),
            "stats": result["stats"]})  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
