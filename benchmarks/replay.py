"""A strategy replayed on the simulator's virtual clock, against a bare loop of its signals.

A year of 5m candles for one pair through the desk's own replay (`engine.replay`: a simulator
process replaying the file, the desk's engine on it, the strategy in its worker process, orders
through the command queue), then the same strategy object fed the very same stored candles in a
plain loop with no exchange at all. Prints JSON: candles per second of each, and where the
replay's time goes (the share spent in exchange round trips).

Data: the 65,741 real BTCUSDT 5m candles of 2020-12-01 .. 2021-07-17 in ../shared/data; a year
is 105,120 bars, so the simulator's replay feed plays the file on past its end, starting over
with prices scaled to continue from the last close (its documented looping).

    python -m benchmarks.replay [--bars 105120] [--file ...] [--params '{"quote_amount": 100}']
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb

from engine.replay.run import ReplaySpec, run_replay
from engine.strategies.api import Candles, Pair, Position
from engine.strategies.loading import load_class

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "candles" / "spot_BTCUSDT_5m.csv.gz"
YEAR_OF_5M = 365 * 24 * 12


def stored_candles(db: Path, first_open: int) -> list[list[float]]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return [list(r) for r in con.execute(
            "SELECT open_time, open, high, low, close, volume FROM klines WHERE interval = '5m' "
            "AND market = 'spot' AND symbol = 'BTCUSDT' "
            "ORDER BY open_time").fetchall()]  # fmt: skip
    finally:
        con.close()


def bare_loop(strategy_file: Path, params: dict[str, Any], rows: list[list[float]], first: int):
    """The strategy alone over the candles: same window, same calls; a fill is assumed at once."""
    cls = load_class(strategy_file)
    pair = Pair(market="spot", symbol="BTCUSDT", interval="5m", base="BTC", quote="USDT")
    strategy = cls(cls.Params.model_validate(params), pair)
    candles, position, signals = Candles(), Position(), []
    for row in rows[:first]:
        candles.append(row)
    started = time.perf_counter()
    for row in rows[first:]:
        candles.append(row)
        for intent in strategy.on_candle(candles, position):
            signals.append((int(row[0]), str(intent.side)))
            qty = intent.quantity or Decimal(1)
            held = position.quantity + (qty if intent.side == "BUY" else -qty)
            position = Position(quantity=max(held, Decimal(0)))
    return time.perf_counter() - started, signals


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.replay")
    p.add_argument("--bars", type=int, default=YEAR_OF_5M)
    p.add_argument("--file", type=Path, default=DATA)
    p.add_argument("--params", default='{"quote_amount": "100"}')
    args = p.parse_args(argv)
    params = json.loads(args.params)
    work = Path(tempfile.mkdtemp(prefix="replay-bench-"))
    spec = ReplaySpec(strategy="ma_crossover", symbol="BTCUSDT", file=args.file, params=params,
                      bars=args.bars, strategies_dir=ROOT / "strategies")  # fmt: skip

    def progress(line: dict[str, Any]) -> None:
        print(json.dumps(line), file=sys.stderr, flush=True)

    result = run_replay(spec, work, progress)
    s = result["stats"]
    rows = stored_candles(work / "engine" / "tradedesk.duckdb", result["first_open"])
    first = next(i for i, r in enumerate(rows) if int(r[0]) == result["first_open"])
    rows = rows[: first + result["bars"]]
    bare_s, bare_signals = bare_loop(ROOT / "strategies" / "ma_crossover.py", params, rows, first)
    exchange = s["advance_s"] + max(0.0, s["candle_s"] - s["strategy_s"]) + s["order_s"]
    exchange += s["reconcile_s"]
    print(json.dumps({
        "date": datetime.now(UTC).strftime("%Y-%m-%d"),
        "data": f"{args.file.name}: {len(rows) - first} bars of 5m (the stored history before)",
        "replay": {
            "candles": s["bars"], "seconds": round(s["total_s"], 1),
            "candles_per_s": s["candles_per_s"],
            "exchange_round_trip_share": round(exchange / s["total_s"], 3),
            "seconds_by_part": {k: round(s[k], 2) for k in (
                "advance_s", "candle_s", "strategy_s", "settle_s", "order_s", "reconcile_s")},
            "signals": len(result["signals"]), "orders": s["orders"], "trades": s["trades"],
        },
        "bare_loop": {"candles": len(rows) - first, "seconds": round(bare_s, 2),
                      "candles_per_s": round((len(rows) - first) / bare_s, 1),
                      "signals": len(bare_signals),
                      "same_signals": bare_signals == [(x["candle_time"], x["side"])
                                                       for x in result["signals"]]},
    }, indent=2))  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
