"""Market data for the selected pairs, as an engine component.

One `MarketFeed` per available market (spot, USD-M) streams klines for the configured intervals,
24 h tickers and (futures) mark prices into DuckDB through the engine's batch writer, with REST
backfill on every connect, and keeps the live prices the order path reads. The pair selection
is a versioned configuration (`pairs:<market>` in `config_versions`); `SelectPairs` (or
`select`, for other components) changes it at run time, on the live connection.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import duckdb

from engine.binance.streams import Row
from engine.clock import now_ms
from engine.commands import Reply, SelectPairs
from engine.context import EngineContext
from engine.events import EventKind, Level
from engine.market.backfill import rest_fetcher
from engine.market.feed import MarketFeed
from engine.market.feed_types import FeedSinks, MarketDataConfig
from engine.market.prices import LivePrices
from engine.market.selection import PairSelection, selection_kind
from engine.models import MarketType
from engine.store.config_versions import load_latest_config, save_config_version
from engine.store.tables import KLINES
from engine.venue import Venue

ClosedListener = Callable[[MarketType, Row], None]
RowSink = Callable[[Any, Row], None]


class SelectionRefused(ValueError):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


class MarketData:
    """Streams, backfill and pair selection of both markets."""

    name = "market-data"

    def __init__(
        self, venue: Venue, prices: LivePrices, config: MarketDataConfig | None = None
    ) -> None:
        self.venue = venue
        self.prices = prices
        self.config = config or MarketDataConfig()
        self.feeds: dict[MarketType, MarketFeed] = {}
        self.unavailable: dict[MarketType, str] = {}
        self._closed_listeners: list[ClosedListener] = []
        self._ctx: EngineContext | None = None

    async def start(self, ctx: EngineContext) -> None:
        self._ctx = ctx
        ctx.register_handler(SelectPairs, self._on_select_pairs)
        for market in MarketType:
            reason = self.venue.unavailable.get(market)
            if reason is not None:
                self.unavailable[market] = reason
                continue
            feed = self._build_feed(ctx, market)
            feed.set_symbols(await self._initial_symbols(ctx, market))
            self.feeds[market] = feed
            ctx.supervise(f"market-data:{market}", feed.run)

    async def stop(self) -> None:
        # The engine has cancelled the feed tasks by now (a task cancelled before it ever ran
        # never sets `finished`, so nothing here may wait on it).
        for feed in self.feeds.values():
            feed.request_stop()
        self._ctx = None

    @property
    def _context(self) -> EngineContext:
        if self._ctx is None:
            raise RuntimeError("Market data is not running.")
        return self._ctx

    def _build_feed(self, ctx: EngineContext, market: MarketType) -> MarketFeed:
        endpoints = self.venue.rest.endpoints
        root = (
            endpoints.futures_ws_market
            if market is MarketType.FUTURES
            else endpoints.spot_stream_root
        )
        sinks = FeedSinks(
            add=self._watch_closed(market, ctx.writer.add),
            add_many=ctx.writer.add_many,
            record_event=ctx.record,
            fetch_klines=rest_fetcher(self.venue.rest, market),
            stored_open_times=lambda: self._stored_open_times(market),
            set_price=self.prices.set,
        )
        return MarketFeed(market, root, ctx.settings.kline_intervals, self.config, sinks)

    def subscribe_closed(self, listener: ClosedListener) -> None:
        """Call `listener(market, row)` with each bar the stream closes (a `KLINES` row)."""
        self._closed_listeners.append(listener)

    def _watch_closed(self, market: MarketType, add: RowSink) -> RowSink:
        """The writer's `add`, telling the closed-bar listeners of each streamed bar that
        closes (once per bar: the stream may repeat it after a reconnect)."""
        last: dict[tuple[str, str], int] = {}
        listeners = self._closed_listeners

        def add_row(spec: Any, row: Row) -> None:
            add(spec, row)
            if spec is KLINES and row[12] and row[3] > last.get((row[1], row[2]), -1):
                last[(row[1], row[2])] = row[3]
                for listener in listeners:
                    listener(market, row)

        return add_row

    # --- selection ------------------------------------------------------------------------------

    async def _initial_symbols(self, ctx: EngineContext, market: MarketType) -> tuple[str, ...]:
        """The latest stored selection, else the configured pairs that this market lists."""
        kind = selection_kind(market)
        saved = await ctx.store.write(lambda con: load_latest_config(con, kind))
        wanted = saved.parse(PairSelection).symbols if saved else ctx.settings.pairs
        known = tuple(s for s in wanted if self.venue.pair(market, s) is not None)
        missing = sorted(set(wanted) - set(known))
        if missing:
            ctx.record(
                Level.WARNING,
                EventKind.PAIRS_MISSING,
                f"{market}: {', '.join(missing)} not listed by the exchange; not streamed.",
                {"market": str(market), "symbols": missing},
            )
        return known

    async def _on_select_pairs(self, command: SelectPairs) -> Reply:
        try:
            data = await self.select(command.market, command.symbols, command.actor)
        except SelectionRefused as exc:
            return Reply(command_id=command.command_id, ok=False, code=exc.code, message=str(exc))
        count = len(data["symbols"])
        noun = "pair" if count == 1 else "pairs"
        return Reply(
            command_id=command.command_id,
            ok=True,
            message=f"{count} {command.market} {noun} selected (version {data['version']}).",
            data=data,
        )

    async def select(
        self, market: MarketType, symbols: Sequence[str], actor: str
    ) -> dict[str, Any]:
        """Replace the selection of `market`: store it, stream it, backfill what is new."""
        symbols = tuple(dict.fromkeys(s.strip().upper() for s in symbols))
        self._check_selection(market, symbols)
        feed = self.feeds[market]
        before = set(feed.symbols)
        selection, stamp = PairSelection(symbols=symbols), now_ms()
        version = await self._context.store.write(
            lambda con: save_config_version(con, selection_kind(market), selection, actor, stamp)
        )
        feed.set_symbols(symbols)
        added = [s for s in symbols if s not in before]
        removed = sorted(before - set(symbols))
        data = {"market": str(market), "symbols": list(symbols), "added": added,
                "removed": removed, "version": version}  # fmt: skip
        self._context.record(
            Level.INFO,
            EventKind.PAIRS_SELECTED,
            f"{actor} selected {market} pairs: {', '.join(symbols) or 'none'}.",
            data,
        )
        return data

    def _check_selection(self, market: MarketType, symbols: Sequence[str]) -> None:
        if market in self.unavailable or market not in self.feeds:
            reason = self.unavailable.get(market, "not started")
            raise SelectionRefused(
                "market_unavailable", f"The {market} market is unavailable: {reason}"
            )
        unknown = [s for s in symbols if self.venue.pair(market, s) is None]
        if unknown:
            raise SelectionRefused(
                "unknown_symbols", f"Unknown {market} symbols: {', '.join(unknown)}."
            )
        if not self.feeds[market].fits(symbols):
            raise SelectionRefused(
                "too_many_streams",
                f"{len(symbols)} {market} pairs need more than one connection's 1024 streams.",
            )

    # --- reads ----------------------------------------------------------------------------------

    async def _stored_open_times(self, market: MarketType) -> dict[tuple[str, str], int]:
        """Open time of the newest stored bar of each (symbol, interval) of `market`."""

        def query(con: duckdb.DuckDBPyConnection) -> list[tuple[Any, ...]]:
            return con.execute(
                "SELECT symbol, interval, max(open_time) FROM klines WHERE market = ? "
                "GROUP BY symbol, interval",
                [str(market)],
            ).fetchall()

        rows = await self._context.store.write(query)
        return {(symbol, interval): int(open_time) for symbol, interval, open_time in rows}

    def selected(self, market: MarketType) -> tuple[str, ...]:
        feed = self.feeds.get(market)
        return feed.symbols if feed else ()

    def stream_status(self) -> list[dict[str, Any]]:
        """Every wanted stream: market, name, state, last message age, messages, reconnects."""
        return [row for feed in self.feeds.values() for row in feed.stream_status()]

    def status(self) -> Mapping[str, Any]:
        """Connections, streams and unavailable markets, as plain data for the Status page."""
        return {
            "connections": [feed.summary() for feed in self.feeds.values()],
            "streams": self.stream_status(),
            "unavailable": {str(m): reason for m, reason in self.unavailable.items()},
        }
