"""A replay's driver: steps the simulator's virtual clock one bar at a time, as fast as the
engine takes it.

Only in a replay's own engine (engine/replay/). At start it switches the strategy on through
the command queue, as an admin would. Then, for each bar: advance the clock to the bar's end
(the simulator steps its market and streams the closed kline), wait until the strategy has
handled that candle and the fills of the orders it sent, and, after a fill, reconcile the
account with the exchange (in live trading the bar's own length gives the user-data stream that
time). The engine's orders take their usual path: command queue, checks, journal, REST.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from engine.account.state import AccountReader
from engine.account.sync import AccountSync
from engine.binance.streams import interval_ms
from engine.commands import SelectPairs, SetStrategy
from engine.context import EngineContext
from engine.market.component import MarketData
from engine.models import MarketType
from engine.orders.component import Orders
from engine.strategies.config import instance_key
from engine.strategies.host import StrategyHost
from engine.strategies.instance import Instance, _answer
from engine.strategies.sim_clock import SimClock
from engine.venue import Venue

CANDLE_TIMEOUT_S = 30.0
SETTLE_TIMEOUT_S = 60.0
ACCOUNT_WAIT_S = 2.0
PROGRESS_EVERY_S = 0.5
REPLAY_ACTOR = "replay"


@dataclass(frozen=True)
class ReplayPlan:
    run_id: str
    strategy: str
    market: MarketType
    symbol: str
    interval: str
    params: dict[str, Any]
    first_open: int  # open time of the first bar the strategy trades on
    bars: int  # how many bars to step
    control_url: str
    control_token: str
    budget_ms: int = 1000
    progress: Callable[[dict[str, Any]], None] = field(default=lambda _: None, compare=False)


@dataclass
class Timings:
    advance_s: float = 0.0  # the clock advance requests (the simulator steps its market)
    candle_s: float = 0.0  # advance answered -> candle handled (stream + strategy call)
    settle_s: float = 0.0  # candle handled -> its orders answered and their fills back
    reconcile_s: float = 0.0  # after a fill: the account reading has the exchange's balances
    total_s: float = 0.0


class ReplayFailed(RuntimeError):
    pass


class ReplayDriver:
    name = "replay-driver"

    def __init__(
        self,
        plan: ReplayPlan,
        venue: Venue,
        market: MarketData,
        account: AccountReader,
        orders: Orders,
        sync: AccountSync,
        strategies: StrategyHost,
    ) -> None:
        self.plan = plan
        self.venue = venue
        self.market = market
        self.account = account
        self.orders = orders
        self.sync = sync
        self.strategies = strategies
        self.timings = Timings()
        self.bars_done = 0
        self.skipped = 0  # bars the simulator streamed nothing for (gaps in the file)
        self.done: asyncio.Future[dict[str, Any]] | None = None
        self._ctx: EngineContext | None = None

    async def start(self, ctx: EngineContext) -> None:
        self._ctx = ctx
        self.done = asyncio.get_running_loop().create_future()
        ctx.spawn(self._run(), "replay")

    async def stop(self) -> None:
        if self.done is not None and not self.done.done():
            self.done.set_exception(ReplayFailed("the engine stopped before the replay ended"))
        self._ctx = None

    def status(self) -> dict[str, Any]:
        return {"bars_done": self.bars_done, "bars": self.plan.bars}

    async def _run(self) -> None:
        assert self.done is not None
        try:
            instance = await self._switch_on()
            async with SimClock(self.plan.control_url, self.plan.control_token) as clock:
                await self._step_all(clock, instance)
            assert self._ctx is not None
            await self._ctx.writer.flush()  # every candle and fill on disk for the results
            await self.orders.recorder.batcher.flush()
        except Exception as exc:  # the run fails, the engine goes on
            if not self.done.done():
                self.done.set_exception(exc)
            return
        if not self.done.done():
            self.done.set_result(self.summary(instance))

    async def _switch_on(self) -> Instance:
        assert self._ctx is not None
        await self._market_settled()
        p = self.plan
        command = SetStrategy(
            actor=REPLAY_ACTOR, strategy=p.strategy, market=p.market,
            symbol=p.symbol, interval=p.interval, enabled=True, params=p.params,
            budget_ms=p.budget_ms,
        )  # fmt: skip
        for other in MarketType:  # the other market's streams would only cost time
            if other is not p.market and other in self.market.feeds:
                await _answer(self._ctx.submit(SelectPairs(actor=REPLAY_ACTOR, market=other,
                                                           symbols=())))  # fmt: skip
        reply = await _answer(self._ctx.submit(command))
        if not reply.ok:
            raise ReplayFailed(f"the strategy did not start: {reply.message}")
        return self.strategies.instances[instance_key(p.strategy, p.market, p.symbol)]

    async def _market_settled(self) -> None:
        async with asyncio.timeout(CANDLE_TIMEOUT_S):
            while True:
                feed = self.market.feeds.get(self.plan.market)
                summary = feed.summary() if feed else {}
                if (summary.get("state") == "connected" and summary.get("held_rows") == 0
                        and summary.get("subscribed") == summary.get("streams")):  # fmt: skip
                    return
                await asyncio.sleep(0.02)

    async def _step_all(self, clock: SimClock, instance: Instance) -> None:
        p, t = self.plan, self.timings
        step = interval_ms(p.interval)
        started = last_progress = time.perf_counter()
        now, _ = await self._advance(clock, 1000)  # the stream sees the bar before it closes
        for k in range(p.bars):
            closes = p.first_open + k * step
            now, ticks = await self._advance(clock, closes + step - now)
            if ticks:  # else a gap in the file: no stream, the bar comes as history later
                await self._bar_handled(instance, closes)
            else:
                self.skipped += 1
            self.bars_done = k + 1
            if not instance.running:
                raise ReplayFailed(f"the strategy stopped ({instance.state}): {instance.reason}")
            if time.perf_counter() - last_progress >= PROGRESS_EVERY_S:
                last_progress = time.perf_counter()
                self._progress(last_progress - started)
        t.total_s = time.perf_counter() - started
        self._progress(t.total_s)

    async def _advance(self, clock: SimClock, ms: int) -> tuple[int, int]:
        started = time.perf_counter()
        now, ticks = await clock.advance(ms)
        self.venue.rest.shift_clock(ms)
        self.timings.advance_s += time.perf_counter() - started
        return now, ticks

    async def _bar_handled(self, instance: Instance, open_time: int) -> None:
        t, fills_before = self.timings, instance.stats.fills
        started = time.perf_counter()
        async with asyncio.timeout(CANDLE_TIMEOUT_S):
            while (instance.stats.last_candle or -1) < open_time and instance.running:
                instance.handled.clear()
                await instance.handled.wait()
        handled = time.perf_counter()
        t.candle_s += handled - started
        async with asyncio.timeout(SETTLE_TIMEOUT_S):
            await self.strategies.settled()
            while self.orders.in_flight:
                await asyncio.sleep(0.001)
        settled = time.perf_counter()
        t.settle_s += settled - handled
        if instance.stats.fills != fills_before:
            await self._account_caught_up(instance)
            t.reconcile_s += time.perf_counter() - settled

    async def _account_caught_up(self, instance: Instance) -> None:
        """The account reading has the exchange's balances of the pair's assets (the user-data
        stream brings them a moment after the fill); reconcile if it does not soon."""
        assets = (instance.pair.base, instance.pair.quote)
        exchange = {b.asset: b.free for b in await self.venue.rest.spot_balances()}
        want = {a: exchange.get(a, Decimal(0)) for a in assets}
        deadline = time.monotonic() + ACCOUNT_WAIT_S
        while time.monotonic() < deadline:
            have = (await self.account.refreshed()).spot_free()
            if all(have.get(a, Decimal(0)) == want[a] for a in assets):
                return
            await asyncio.sleep(0.002)
        await self.sync.reconcile("replay: the account lagged after a fill")
        await self.account.refreshed()

    def _progress(self, elapsed_s: float) -> None:
        done = self.bars_done
        self.plan.progress(
            {
                "event": "progress",
                "run_id": self.plan.run_id,
                "done": done,
                "total": self.plan.bars,
                "candles_per_s": round(done / elapsed_s, 1) if elapsed_s else None,
            }
        )

    def summary(self, instance: Instance) -> dict[str, Any]:
        t = self.timings
        worker = instance.worker
        return {
            "bars": self.bars_done, "total_s": t.total_s, "advance_s": t.advance_s,
            "candle_s": t.candle_s, "settle_s": t.settle_s, "reconcile_s": t.reconcile_s,
            "strategy_s": worker.total_ms / 1000, "strategy_calls": worker.calls,
            "orders": instance.stats.orders, "order_s": instance.stats.order_s,
            "fills": instance.stats.fills, "bars_without_stream": self.skipped,
        }  # fmt: skip
