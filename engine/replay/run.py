"""One replay run: a simulator process on the file, a replay engine on it, the results.

The simulator starts on a virtual clock set 30 s into the first bar to trade, its history being
the file's bars before it (so its times are the file's), with only the replayed symbol and the
given quote balance. The engine is the desk's own assembly with a replay driver added.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import orjson

from engine.assembly import Access, build_engine
from engine.clock import now_ms
from engine.credentials import CredentialChain
from engine.engine import Engine
from engine.models import MarketType
from engine.replay import results
from engine.replay.files import CandleFile, candle_file
from engine.settings import load_settings
from engine.sim_process import SimulatorProcess, start_simulator
from engine.strategies.actors import ReplayActors
from engine.strategies.ledger import Ledger
from engine.strategies.replay_driver import REPLAY_ACTOR, ReplayDriver, ReplayPlan
from engine.vault import Vault

START_INTO_BAR_MS = 30_000
DEFAULT_HISTORY_BARS = 500
RUN_TIMEOUT_S = 24 * 3600.0

Progress = Callable[[dict[str, Any]], None]


@dataclass(frozen=True)
class ReplaySpec:
    strategy: str
    symbol: str
    file: Path
    market: MarketType = MarketType.SPOT
    params: dict[str, Any] = field(default_factory=dict)
    bars: int | None = None  # default: every bar after the history, once
    history_bars: int = DEFAULT_HISTORY_BARS
    quote_balance: Decimal = Decimal(10_000)
    quote_asset: str = "USDT"
    budget_ms: int = 1000
    strategies_dir: Path = Path("strategies")
    run_id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])


def new_run_id() -> str:
    return uuid.uuid4().hex[:12]


def plan_bars(spec: ReplaySpec, candles: CandleFile) -> tuple[int, int]:
    """(index of the first bar to trade, bars to step)."""
    history = max(1, min(spec.history_bars, len(candles) // 2))
    bars = spec.bars if spec.bars is not None else len(candles) - history
    return history, bars


def start_sim(spec: ReplaySpec, candles: CandleFile, first: int, work: Path) -> SimulatorProcess:
    first_open = int(candles.open_time[first])
    history_min = (first_open - int(candles.open_time[0])) // 60_000
    args = (
        "--clock",
        "virtual",
        "--start-ms",
        str(first_open + START_INTO_BAR_MS),
        "--symbols",
        spec.symbol,
        "--balances",
        f"{spec.quote_asset}={spec.quote_balance}",
    )
    feed = f"replay:{spec.file.resolve()}?history={history_min}m"
    return start_simulator(work / "sim", feed, 1, args)


def replay_access(work: Path) -> Access:
    """A replay's engine has no people and no keys: the driver acts as admin, the strategy as a
    trader, and the simulator's keys come with the simulator."""
    return Access(ReplayActors(REPLAY_ACTOR), Vault(work / "vault.json", None), CredentialChain([]))


def run_replay(spec: ReplaySpec, work: Path, progress: Progress = lambda _: None) -> dict:
    """Run the replay to its end and return its result (see `results`)."""
    candles = candle_file(spec.file)
    first, bars = plan_bars(spec, candles)
    first_open = int(candles.open_time[first])
    sim = start_sim(spec, candles, first, work)
    try:
        settings = load_settings(
            data_dir=work / "engine", pairs=(spec.symbol,), kline_intervals=(candles.interval,),
            strategies_dir=spec.strategies_dir.resolve(),
        )  # fmt: skip
        plan = ReplayPlan(
            spec.run_id, spec.strategy, spec.market, spec.symbol, candles.interval, spec.params,
            first_open, bars, sim.endpoints.spot_rest_root, sim.control_token, spec.budget_ms,
            progress,
        )  # fmt: skip
        engine = build_engine(settings, sim.endpoints, sim.credentials, replay_access(work),
                              replay=plan)  # fmt: skip
        engine.start()
        try:
            summary = _wait(engine)
            return _result(engine, spec, candles, first_open, bars, summary)
        finally:
            engine.stop()
    finally:
        sim.stop()


def _wait(engine: Engine) -> dict[str, Any]:
    driver = engine.component("replay-driver")
    assert isinstance(driver, ReplayDriver)
    finished = threading.Event()
    deadline = time.monotonic() + RUN_TIMEOUT_S
    while not (driver.done is not None and driver.done.done()):
        if time.monotonic() > deadline or not engine.running:
            raise RuntimeError("the replay did not finish")
        finished.wait(0.05)
    return driver.done.result()


def _result(
    engine: Engine,
    spec: ReplaySpec,
    candles: CandleFile,
    first_open: int,
    bars: int,
    summary: dict[str, Any],
) -> dict[str, Any]:
    market = spec.market.value
    pair = engine.component("venue").pair(spec.market, spec.symbol)  # type: ignore[attr-defined]
    with engine.store.reader() as cur:
        fills = results.strategy_fills(cur, spec.strategy, market, spec.symbol)
        signal_rows = results.signals(cur)
        bar_rows = results.closes(cur, market, spec.symbol, candles.interval, first_open, bars)
    lot = pair.rules.lot_size
    step = lot.step_size if lot else Decimal(0)
    ledger = Ledger(pair.base, pair.quote, step_size=step, cash=spec.quote_balance)
    curve = results.equity_curve(ledger, [results.as_fill(f) for f in fills], bar_rows)
    stats = {
        **results.figures(ledger, curve, spec.quote_balance),
        **summary,
        "candles_per_s": round(bars / summary["total_s"], 1) if summary["total_s"] else None,
    }
    return {
        "run_id": spec.run_id, "strategy": spec.strategy, "market": market,
        "symbol": spec.symbol, "interval": candles.interval, "file": str(spec.file),
        "params": spec.params, "first_open": first_open, "bars": bars, "finished_ms": now_ms(),
        "stats": stats, "fills": fills, "signals": signal_rows, "equity": curve,
    }  # fmt: skip


def dump(result: dict[str, Any], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(orjson.dumps(result, default=str))
