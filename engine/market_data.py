"""Market data for the selected pairs, as an engine component.

One `MarketFeed` per available market (spot, USD-M) streams klines for the configured intervals,
24 h tickers and (futures) mark prices into DuckDB through the engine's batch writer, with REST
backfill on every connect. The pair selection is a versioned configuration (`pairs:<market>` in
`config_versions`); `SelectPairs` changes it at run time, on the live connection.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import duckdb
from pydantic import BaseModel, ConfigDict

from engine.backfill import rest_fetcher
from engine.commands import Reply, SelectPairs
from engine.config_versions import load_latest_config, save_config_version
from engine.market_feed import FeedSinks, MarketDataConfig, MarketFeed
from engine.models import MarketType

if TYPE_CHECKING:
    from engine.engine import Engine


class PairSelection(BaseModel):
    """The pairs streamed for one market, as stored in `config_versions`."""

    model_config = ConfigDict(frozen=True)

    symbols: tuple[str, ...]


def selection_kind(market: MarketType) -> str:
    return f"pairs:{market}"


class MarketDataComponent:
    """Streams, backfill and pair selection of both markets."""

    name = "market-data"

    def __init__(self, config: MarketDataConfig | None = None) -> None:
        self.config = config or MarketDataConfig()
        self.feeds: dict[MarketType, MarketFeed] = {}
        self.unavailable: dict[MarketType, str] = {}
        self._engine: Engine | None = None

    async def start(self, engine: Engine) -> None:
        if engine.exchange is None:
            raise RuntimeError("market data needs the exchange component to start before it")
        self._engine = engine
        engine.register_handler(SelectPairs, self._on_select_pairs)
        for market in MarketType:
            reason = engine.exchange.unavailable.get(market)
            if reason is not None:
                self.unavailable[market] = reason
                continue
            feed = self._build_feed(engine, market)
            feed.set_symbols(await self._initial_symbols(engine, market))
            self.feeds[market] = feed
            engine.supervise(f"market-data:{market}", feed.run)

    async def stop(self) -> None:
        # The engine has cancelled the feed tasks by now (a task cancelled before it ever ran
        # never sets `finished`, so nothing here may wait on it).
        for feed in self.feeds.values():
            feed.request_stop()

    def _build_feed(self, engine: Engine, market: MarketType) -> MarketFeed:
        endpoints = engine.exchange.endpoints
        root = (
            endpoints.futures_ws_market
            if market is MarketType.FUTURES
            else endpoints.spot_stream_root
        )
        assert engine.writer is not None
        sinks = FeedSinks(
            add=engine.writer.add,
            add_many=engine.writer.add_many,
            record_event=lambda level, kind, message, data: engine.record_event(
                level, kind, message, data
            ),
            fetch_klines=rest_fetcher(engine.exchange.client, market),
            stored_open_times=lambda: self._stored_open_times(engine, market),
        )
        return MarketFeed(market, root, engine.settings.kline_intervals, self.config, sinks)

    # --- selection ------------------------------------------------------------------------------

    async def _initial_symbols(self, engine: Engine, market: MarketType) -> tuple[str, ...]:
        """The latest stored selection, else the configured pairs that this market lists."""
        assert engine.store is not None
        kind = selection_kind(market)
        saved = await engine.store.write(lambda con: load_latest_config(con, kind))
        wanted = saved.parse(PairSelection).symbols if saved else engine.settings.pairs
        known = tuple(s for s in wanted if engine.exchange.pair(market, s) is not None)
        missing = sorted(set(wanted) - set(known))
        if missing:
            engine.record_event(
                "warning",
                "pairs_missing",
                f"{market}: {', '.join(missing)} not listed by the exchange; not streamed.",
                {"market": str(market), "symbols": missing},
            )
        return known

    async def _on_select_pairs(self, command: SelectPairs) -> Reply:
        engine = self._engine
        assert engine is not None and engine.store is not None
        market = command.market
        symbols = tuple(dict.fromkeys(s.strip().upper() for s in command.symbols))
        refusal = self._refusal(market, symbols)
        if refusal is not None:
            code, message = refusal
            return Reply(command_id=command.command_id, ok=False, code=code, message=message)
        feed = self.feeds[market]
        before = set(feed.symbols)
        selection = PairSelection(symbols=symbols)
        now_ms = int(time.time() * 1000)
        version = await engine.store.write(
            lambda con: save_config_version(
                con, selection_kind(market), selection, command.actor, now_ms
            )
        )
        feed.set_symbols(symbols)
        added = [s for s in symbols if s not in before]
        removed = sorted(before - set(symbols))
        engine.record_event(
            "info",
            "pairs_selected",
            f"{command.actor} selected {market} pairs: {', '.join(symbols) or 'none'}.",
            {"market": str(market), "added": added, "removed": removed, "version": version},
        )
        return Reply(
            command_id=command.command_id,
            ok=True,
            message=f"{len(symbols)} {market} pairs selected (version {version}).",
            data={
                "market": str(market),
                "symbols": list(symbols),
                "added": added,
                "removed": removed,
                "version": version,
            },
        )

    def _refusal(self, market: MarketType, symbols: Sequence[str]) -> tuple[str, str] | None:
        engine = self._engine
        assert engine is not None
        if market in self.unavailable or market not in self.feeds:
            reason = self.unavailable.get(market, "not started")
            return "market_unavailable", f"The {market} market is unavailable: {reason}"
        unknown = [s for s in symbols if engine.exchange.pair(market, s) is None]
        if unknown:
            return "unknown_symbols", f"Unknown {market} symbols: {', '.join(unknown)}."
        if not self.feeds[market].fits(symbols):
            return (
                "too_many_streams",
                f"{len(symbols)} {market} pairs need more than one connection's 1024 streams.",
            )
        return None

    # --- reads ----------------------------------------------------------------------------------

    async def _stored_open_times(
        self, engine: Engine, market: MarketType
    ) -> dict[tuple[str, str], int]:
        """Open time of the newest stored bar of each (symbol, interval) of `market`."""
        assert engine.store is not None

        def query(con: duckdb.DuckDBPyConnection) -> list[tuple[Any, ...]]:
            return con.execute(
                "SELECT symbol, interval, max(open_time) FROM klines WHERE market = ? "
                "GROUP BY symbol, interval",
                [str(market)],
            ).fetchall()

        rows = await engine.store.write(query)
        return {(symbol, interval): int(open_time) for symbol, interval, open_time in rows}

    def selected(self, market: MarketType) -> tuple[str, ...]:
        feed = self.feeds.get(market)
        return feed.symbols if feed else ()

    def stream_status(self) -> list[dict[str, Any]]:
        """Every wanted stream: market, name, state, last message age, messages, reconnects."""
        return [row for feed in self.feeds.values() for row in feed.stream_status()]

    def status(self) -> dict[str, Any]:
        """Connections, streams and unavailable markets, as plain data for the Status page."""
        return {
            "connections": [feed.summary() for feed in self.feeds.values()],
            "streams": self.stream_status(),
            "unavailable": {str(m): reason for m, reason in self.unavailable.items()},
        }
