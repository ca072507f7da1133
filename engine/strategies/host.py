"""The strategies in the running engine: the folder's catalogue, the switched-on instances.

Closed candles come from market data as the stream closes them; fills come from the order
recorder and go to the instance whose order they fill. `SetStrategy` (admin) stores a new version
of the `strategies` configuration and starts or stops the instance; `RescanStrategies` reads the
folder again. The instances' state and timings go to `strategy_status` every few seconds.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from engine.binance.streams import interval_ms
from engine.clock import now_ms
from engine.commands import Reply, RescanStrategies, SetStrategy
from engine.context import EngineContext
from engine.events import EventKind, Level
from engine.market.component import MarketData
from engine.models import Fill
from engine.store.config_versions import load_latest_config, save_config_version
from engine.store.strategy_rows import replace_catalogue, upsert_status
from engine.strategies.catalogue import Entry, scan
from engine.strategies.config import CONFIG_KIND, StrategiesConfig, StrategyInstance
from engine.strategies.instance import History, Instance
from engine.strategies.process import WorkerError
from engine.strategies.signals import Signals
from engine.strategies.switching import Desk, SwitchRefused, check_switch
from engine.venue import Venue

STATUS_EVERY_S = 2.0
UNCLAIMED_FILLS = 1000


class StrategyHost:
    name = "strategies"

    def __init__(self, venue: Venue, market: MarketData, folder: Path | None = None) -> None:
        self.venue = venue
        self.market = market
        self.folder = folder
        self.catalogue: dict[str, Entry] = {}
        self.config = StrategiesConfig()
        self.instances: dict[str, Instance] = {}
        self.signals = Signals()
        self.ready = asyncio.Event()  # the catalogue is read and enabled instances started
        self._owners: dict[str, Instance] = {}  # client order id -> instance
        self._unclaimed: deque[Fill] = deque(maxlen=UNCLAIMED_FILLS)
        self._ctx: EngineContext | None = None

    # --- lifecycle ------------------------------------------------------------------------------

    async def start(self, ctx: EngineContext) -> None:
        self._ctx = ctx
        self.ready = asyncio.Event()
        if self.folder is None:
            self.folder = ctx.settings.strategies_dir
        with ctx.store.reader() as cur:
            saved = load_latest_config(cur, CONFIG_KIND)
        if saved is not None:
            self.config = saved.parse(StrategiesConfig)
        await self.signals.start(ctx)
        ctx.register_handler(SetStrategy, self._on_set)
        ctx.register_handler(RescanStrategies, self._on_rescan)
        self.market.subscribe_closed(self.on_closed_candle)
        ctx.spawn(self._start_enabled(), "strategies-start")
        ctx.supervise("strategy-status", self._publish_status_periodically)

    async def stop(self) -> None:
        await asyncio.gather(*(i.stop("engine stopped") for i in self.instances.values()))
        if self._ctx is not None and self.instances:
            rows = [i.status_row() for i in self.instances.values()]
            await self._ctx.store.write(lambda con: upsert_status(con, rows))
        self.instances.clear()
        self._ctx = None

    @property
    def _context(self) -> EngineContext:
        if self._ctx is None:
            raise RuntimeError("The strategy host is not running.")
        return self._ctx

    async def _start_enabled(self) -> None:
        await self.rescan()
        for config in self.config.instances:
            if config.enabled:
                try:
                    await self._launch(config)
                except (WorkerError, SwitchRefused) as exc:
                    self._context.record(
                        Level.ERROR, EventKind.STRATEGY_UNAVAILABLE,
                        f"Strategy {config.strategy} on {config.market} {config.symbol} could "
                        f"not start: {exc}", {"instance": config.key},
                    )  # fmt: skip
        self.ready.set()

    async def rescan(self) -> dict[str, Entry]:
        assert self.folder is not None
        self.catalogue = await scan(self.folder)
        rows = [entry.row() for entry in self.catalogue.values()]
        await self._context.store.write(lambda con: replace_catalogue(con, rows))
        return self.catalogue

    # --- commands -------------------------------------------------------------------------------

    async def _on_set(self, command: SetStrategy) -> Reply:
        config = StrategyInstance(
            strategy=command.strategy, market=command.market, symbol=command.symbol,
            interval=command.interval, enabled=command.enabled, params=command.params,
            budget_ms=command.budget_ms,
        )  # fmt: skip
        await self.ready.wait()
        try:
            desk = Desk(self.catalogue, self.folder, self.venue, self.market,
                        self._context.settings.kline_intervals)  # fmt: skip
            check_switch(command, config, desk)
            await self._stop_instance(config.key, f"switched off by {command.actor}")
            if config.enabled:
                await self._launch(config)
            else:
                await self._validate(config)
        except SwitchRefused as exc:
            return _reply(command, False, str(exc), exc.code)
        except WorkerError as exc:
            return _reply(command, False, f"The strategy did not start: {exc}", "strategy.invalid")
        return await self._save(command, config)

    async def _save(self, command: SetStrategy, config: StrategyInstance) -> Reply:
        self.config = self.config.with_instance(config)
        new, stamp = self.config, now_ms()
        version = await self._context.store.write(
            lambda con: save_config_version(con, CONFIG_KIND, new, command.actor, stamp)
        )
        on = "on" if config.enabled else "off"
        kind = EventKind.STRATEGY_ENABLED if config.enabled else EventKind.STRATEGY_DISABLED
        message = (f"{command.actor} switched {config.strategy} {on} for {config.market} "
                   f"{config.symbol} {config.interval} (version {version}).")  # fmt: skip
        self._context.record(Level.INFO, kind, message, {"instance": config.key})
        await self.publish_status()
        return _reply(command, True, message, version=version, instance=config.key)

    async def _on_rescan(self, command: RescanStrategies) -> Reply:
        found = await self.rescan()
        names = ", ".join(sorted(found)) or "none"
        return _reply(command, True, f"{len(found)} strategies found: {names}.")

    # --- instances ------------------------------------------------------------------------------

    async def _launch(self, config: StrategyInstance) -> Instance:
        instance = self._instance(config)
        await instance.start(self._context)
        self.instances[config.key] = instance
        self._context.spawn(instance.run(), f"strategy-{config.key}")
        return instance

    async def _validate(self, config: StrategyInstance) -> None:
        """Build the strategy once with these parameters (a switched-off one is checked too)."""
        entry = self.catalogue.get(config.strategy)
        if entry is None or not entry.ok or self.venue.pair(config.market, config.symbol) is None:
            return
        instance = self._instance(config)
        await instance.start(self._context)
        await instance.stop("checked")

    def _instance(self, config: StrategyInstance) -> Instance:
        entry = self.catalogue[config.strategy]
        pair = self.venue.pair(config.market, config.symbol)
        assert pair is not None
        log_dir = self._context.settings.data_dir / "strategies"
        return Instance(
            config, entry.file, pair, interval_ms(config.interval), self._history_for(config),
            self.signals, _Claim(self), log_dir / f"{config.key.replace(':', '_')}.log",
        )  # fmt: skip

    async def _stop_instance(self, key: str, reason: str) -> None:
        instance = self.instances.pop(key, None)
        if instance is not None:
            await instance.stop(reason)
            row = instance.status_row()
            await self._context.store.write(lambda con: upsert_status(con, [row]))

    def _history_for(self, config: StrategyInstance) -> History:
        async def history(after: int | None, before: int, limit: int) -> list[list[float]]:
            """The stored bars of the series after `after` and before `before` (the newest
            `limit`): history before the first candle, or bars the stream skipped."""
            ctx = self._context
            await ctx.writer.flush()  # what a backfill fetched is in the table
            with ctx.store.reader() as cur:
                rows = cur.execute(
                    "SELECT open_time, open, high, low, close, volume FROM klines "
                    "WHERE market = ? AND symbol = ? AND interval = ? AND open_time < ? "
                    "AND open_time > ? ORDER BY open_time DESC LIMIT ?",
                    [config.market.value, config.symbol, config.interval, before,
                     -1 if after is None else after, limit],
                ).fetchall()  # fmt: skip
            return [list(r) for r in reversed(rows)]

        return history

    # --- events in ------------------------------------------------------------------------------

    def on_closed_candle(self, market: Any, row: Sequence[Any]) -> None:
        symbol, interval = row[1], row[2]
        for instance in self.instances.values():
            c = instance.config
            if c.market is market and c.symbol == symbol and c.interval == interval:
                instance.offer_candle(row)

    async def on_fills(self, fills: Sequence[Fill]) -> None:
        by_owner: dict[str, list[Fill]] = {}
        for fill in fills:
            owner = self._owners.get(fill.client_order_id)
            if owner is None:
                self._unclaimed.append(fill)
            else:
                by_owner.setdefault(owner.key, []).append(fill)
        for key, own in by_owner.items():
            self._owners_instance(key, own)

    def _owners_instance(self, key: str, fills: list[Fill]) -> None:
        instance = self.instances.get(key)
        if instance is not None:
            instance.offer_fills(fills)

    def _claim(self, instance: Instance, client_id: str) -> None:
        self._owners[client_id] = instance
        mine = [f for f in self._unclaimed if f.client_order_id == client_id]
        if mine:
            for fill in mine:
                self._unclaimed.remove(fill)
            instance.offer_fills(mine)

    async def settled(self) -> None:
        """Every running instance has handled what it was given (for the replay driver)."""
        for instance in list(self.instances.values()):
            if instance.running:
                await instance.idle.wait()

    # --- status ---------------------------------------------------------------------------------

    async def publish_status(self) -> None:
        rows = [i.status_row() for i in self.instances.values()]
        if rows:
            await self._context.store.write(lambda con: upsert_status(con, rows))

    async def _publish_status_periodically(self) -> None:
        while True:
            await asyncio.sleep(STATUS_EVERY_S)
            await self.publish_status()

    def status(self) -> dict[str, Any]:
        return {"instances": {k: i.state for k, i in self.instances.items()},
                "catalogue": sorted(self.catalogue)}  # fmt: skip


class _Claim:
    def __init__(self, host: StrategyHost) -> None:
        self.host = host

    def __call__(self, instance: Instance, client_id: str) -> None:
        self.host._claim(instance, client_id)

    async def published(self) -> None:
        await self.host.publish_status()


def _reply(command: Any, ok: bool, message: str, code: str | None = None, **data: Any) -> Reply:
    return Reply(command_id=command.command_id, ok=ok, message=message, code=code, data=data)
