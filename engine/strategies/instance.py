"""One strategy on one pair in the running engine: its worker, its candles, fills and intents.

Events (closed candles, the strategy's own fills) queue up and are handled one at a time. Each
call into the strategy has a time budget: an error stops the instance (`crashed`), an answer
that does not come in time kills its process (`stalled`); both are recorded and neither touches
the engine. Intents go down the command queue as `PlaceOrder`s with `strategy:<name>` as the
actor, so they meet every check a person's order meets; each is stored as a signal with its
outcome. The instance is busy until the fills its accepted orders reported have come back to it.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, Protocol

from engine.clock import now_ms
from engine.command_queue import Handle
from engine.commands import Reply
from engine.context import EngineContext
from engine.events import EventKind, Level
from engine.models import Fill, TradingPair
from engine.strategies.api import Intent, Pair, StrategyFill
from engine.strategies.config import StrategyInstance
from engine.strategies.intents import IntentRefused, to_order
from engine.strategies.ledger import Ledger
from engine.strategies.process import WorkerError, WorkerProcess, WorkerStalled
from engine.strategies.signals import Signals

log = logging.getLogger(__name__)

START_BUDGET_S = 30.0  # importing the file and building the strategy
FILL_WAIT_S = 10.0
HISTORY_BARS = 1000

History = Callable[[int | None, int, int], Awaitable[list[list[float]]]]


class Claim(Protocol):
    """The host's side: route an order's fills to the instance; publish the instances' state."""

    def __call__(self, instance: Instance, client_id: str) -> None: ...

    async def published(self) -> None: ...


@dataclass
class Stats:
    candles: int = 0
    last_candle: int | None = None
    orders: int = 0
    order_s: float = 0.0  # submit -> reply, over every order
    fills: int = 0


class Instance:
    def __init__(
        self,
        config: StrategyInstance,
        file: Path,
        pair: TradingPair,
        interval_ms: int,
        history: History,
        signals: Signals,
        claim: Claim,
        log_path: Path | None = None,
    ) -> None:
        self.config = config
        self.file = file
        self.pair = pair
        self.interval_ms = interval_ms
        self.history = history
        self.signals = signals
        self.claim = claim
        self.worker = WorkerProcess(log_path)
        self.ledger = Ledger(pair.base, pair.quote, _step(pair))
        self.state = "starting"
        self.reason = ""
        self.stats = Stats()
        self._events: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()
        self._expected: dict[str, Decimal] = {}  # fills still to come, by client order id
        self._busy = 0
        self.idle = asyncio.Event()
        self.idle.set()
        self.handled = asyncio.Event()  # set after each event handled (and when it stops)
        self._ctx: EngineContext | None = None

    @property
    def key(self) -> str:
        return self.config.key

    @property
    def running(self) -> bool:
        return self.state in ("starting", "running")

    # --- lifecycle ------------------------------------------------------------------------------

    async def start(self, ctx: EngineContext) -> None:
        """Start the worker and build the strategy; raises WorkerError (bad params, bad file)."""
        self._ctx = ctx
        await self.worker.start()
        request = {
            "op": "init",
            "file": str(self.file),
            "params": self.config.params,
            "pair": self._pair_info().model_dump(mode="json"),
            "capacity": HISTORY_BARS,
        }
        try:
            await self.worker.call(request, START_BUDGET_S)
        except WorkerError:
            await self.worker.stop()
            self.state = "stopped"
            raise
        self.state = "running"

    def _pair_info(self) -> Pair:
        lot, price = self.pair.rules.lot_size, self.pair.rules.price_filter
        return Pair(
            market=self.pair.market, symbol=self.pair.symbol, interval=self.config.interval,
            base=self.pair.base, quote=self.pair.quote,
            step_size=lot.step_size if lot else Decimal(0),
            tick_size=price.tick_size if price else Decimal(0),
        )  # fmt: skip

    async def run(self) -> None:
        """Handle events until stopped (a task of the engine)."""
        while self.running:
            kind, payload = await self._events.get()
            try:
                if kind == "candle":
                    await self._on_candle(payload)
                elif kind == "fills":
                    await self._on_fills(payload)
            except WorkerStalled as exc:
                await self._halt("stalled", EventKind.STRATEGY_STALLED, str(exc), "")
            except WorkerError as exc:
                await self._halt("crashed", EventKind.STRATEGY_CRASHED, str(exc), exc.traceback)
            except Exception as exc:  # ours, not the strategy's: stop it all the same, say so
                log.exception("%s: handling an event failed", self.key)
                await self._halt("crashed", EventKind.STRATEGY_CRASHED, f"internal: {exc}", "")
            finally:
                self._done()

    async def stop(self, reason: str = "switched off") -> None:
        if self.running:
            self.state, self.reason = "stopped", reason
        await self.worker.stop()
        self._expected.clear()
        self._busy = 0
        self.idle.set()
        self.handled.set()

    async def _halt(self, state: str, kind: EventKind, error: str, traceback: str) -> None:
        await self.worker.stop()
        self.state, self.reason = state, error
        what = "raised" if state == "crashed" else "stalled"
        message = (
            f"Strategy {self.config.strategy} on {self.pair.market} {self.pair.symbol} "
            f"{what} ({error}); it is stopped. Switch it on again to restart it."
        )
        data = {"instance": self.key, "actor": self.config.actor, "traceback": traceback[-4000:]}
        self._context.record(Level.ERROR, kind, message, data)
        await self.claim.published()

    @property
    def _context(self) -> EngineContext:
        assert self._ctx is not None, "start first"
        return self._ctx

    # --- events in ------------------------------------------------------------------------------

    def offer_candle(self, row: Sequence[Any]) -> None:
        open_time = int(row[3])
        if not self.running or (self.stats.last_candle or -1) >= open_time:
            return
        self._put("candle", row)

    def offer_fills(self, fills: list[Fill]) -> None:
        if self.running:
            self._put("fills", fills)

    def _put(self, kind: str, payload: Any) -> None:
        self._busy += 1
        self.idle.clear()
        self._events.put_nowait((kind, payload))

    def _done(self) -> None:
        self._busy = max(0, self._busy - 1)
        self._check_idle()
        self.handled.set()

    def _check_idle(self) -> None:
        if self._busy == 0 and not self._expected:
            self.idle.set()

    # --- candles --------------------------------------------------------------------------------

    async def _on_candle(self, row: Sequence[Any]) -> None:
        open_time = int(row[3])
        last = self.stats.last_candle
        if last is None or open_time != last + self.interval_ms:
            rows = await self.history(last, open_time, HISTORY_BARS)
            if rows:
                await self.worker.call({"op": "history", "rows": rows}, START_BUDGET_S)
        candle = [open_time, float(row[4]), float(row[5]), float(row[6]), float(row[7]),
                  float(row[8])]  # fmt: skip
        reply = await self.worker.call(
            {"op": "candle", "row": candle, "position": self._position()}, self._budget_s
        )
        self.stats.last_candle = open_time
        self.stats.candles += 1
        await self._act(reply, open_time)

    @property
    def _budget_s(self) -> float:
        return self.config.budget_ms / 1000

    def _position(self) -> dict[str, Any]:
        return self.ledger.position().model_dump(mode="json")

    # --- fills ----------------------------------------------------------------------------------

    async def _on_fills(self, fills: list[Fill]) -> None:
        for fill in sorted(fills, key=lambda f: f.time):
            own = StrategyFill(
                client_order_id=fill.client_order_id, side=fill.side, price=fill.price,
                qty=fill.qty, commission=fill.commission,
                commission_asset=fill.commission_asset, time=fill.time,
            )  # fmt: skip
            self.ledger.apply(own)
            self.stats.fills += 1
            self._fill_arrived(fill.client_order_id, fill.qty)
            reply = await self.worker.call(
                {"op": "fill", "fill": own.model_dump(mode="json"), "position": self._position()},
                self._budget_s,
            )
            await self._act(reply, self.stats.last_candle or 0)

    def _fill_arrived(self, client_id: str, qty: Decimal) -> None:
        left = self._expected.get(client_id)
        if left is None:
            return
        if left - qty <= 0:
            del self._expected[client_id]
        else:
            self._expected[client_id] = left - qty

    # --- intents out ----------------------------------------------------------------------------

    async def _act(self, reply: dict[str, Any], candle_time: int) -> None:
        for raw in reply.get("intents", []):
            intent = Intent.model_validate(raw)
            await self._place(intent, candle_time)

    async def _place(self, intent: Intent, candle_time: int) -> None:
        signal = self.signals.new(self.config, intent, candle_time)
        try:
            command = to_order(intent, self.pair, self.config.actor)
        except IntentRefused as exc:
            await self.signals.store(signal, "invalid", "strategy.invalid_intent", str(exc))
            return
        started = time.perf_counter()
        reply = await _answer(self._context.submit(command))
        self.stats.orders += 1
        self.stats.order_s += time.perf_counter() - started
        client_id = str(reply.data.get("client_order_id") or "") or None
        outcome = "placed" if reply.ok else ("rejected" if reply.data.get("sent") else "refused")
        await self.signals.store(signal, outcome, reply.code, reply.message, client_id)
        executed = Decimal(str(reply.data.get("executed_qty") or 0))
        if client_id is None:
            return
        if executed > 0:
            self._expected[client_id] = executed
            self._context.spawn(self._forget_missing(client_id), f"fill-wait-{client_id}")
        self.claim(self, client_id)

    async def _forget_missing(self, client_id: str) -> None:
        await asyncio.sleep(FILL_WAIT_S)
        if self._expected.pop(client_id, None) is not None:
            log.warning("%s: fills of %s did not all arrive in %s s", self.key, client_id,
                        FILL_WAIT_S)  # fmt: skip
            self._check_idle()

    def status_row(self) -> dict[str, Any]:
        worker = self.worker
        return {
            "instance": self.key, "strategy": self.config.strategy,
            "market": self.pair.market.value, "symbol": self.pair.symbol,
            "interval": self.config.interval, "state": self.state, "reason": self.reason,
            "candles": self.stats.candles, "calls": worker.calls,
            "mean_ms": worker.total_ms / worker.calls if worker.calls else None,
            "max_ms": worker.max_ms or None, "last_candle": self.stats.last_candle,
            "updated_ms": now_ms(),
        }  # fmt: skip


async def _answer(handle: Handle) -> Reply:
    """The reply to a submitted command, awaited on this loop."""
    loop = asyncio.get_running_loop()
    future: asyncio.Future[Reply | None] = loop.create_future()

    def resolved(reply: Reply | None) -> None:
        loop.call_soon_threadsafe(_set, future, reply)

    handle.when_done(resolved)
    reply = await future
    if reply is None:
        return Reply(command_id=handle.command.command_id, ok=False, code="internal",
                     message="The engine failed this order.")  # fmt: skip
    return reply


def _set(future: asyncio.Future[Reply | None], reply: Reply | None) -> None:
    if not future.done():
        future.set_result(reply)


def _step(pair: TradingPair) -> Decimal:
    lot = pair.rules.lot_size
    return lot.step_size if lot else Decimal(0)
