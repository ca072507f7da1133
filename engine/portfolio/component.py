"""The portfolio in the running engine: P&L from fills and funding, valuation, equity history.

One source for every figure: the engine values the account here (balances and positions from
the account reading, prices from the live feeds, a REST snapshot for assets nobody streams),
stores an equity snapshot every minute and after fills, and keeps the `valuation` row current
for the pages (equity, today's P&L from 00:00 UTC, drawdown from the peak), so the Portfolio
page, the Risk page and the kill switch all see the same numbers from the same moment.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from decimal import Decimal
from typing import Any

from engine.account.state import AccountReader, AccountState
from engine.binance.errors import ExchangeError
from engine.clock import DAY_MS, now_ms, utc_day_start
from engine.context import EngineContext
from engine.events import EventKind, Level
from engine.market.prices import LivePrices
from engine.models import Fill, FundingPayment, MarketType
from engine.portfolio.book import PnlBook, rebuild
from engine.portfolio.history import max_equity, read_equity, write_equity_snapshot, write_valuation
from engine.portfolio.valuation import (
    EquitySnapshot,
    Valuation,
    asset_price,
    day_start,
    equity_snapshot,
    value_futures,
    value_spot,
)
from engine.venue import Venue

log = logging.getLogger(__name__)

SNAPSHOT_EVERY_S = 60.0
EquityListener = Callable[[Valuation], Awaitable[None]]


class Portfolio:
    """Values the account, keeps the P&L book and the equity history."""

    name = "portfolio"

    def __init__(
        self,
        venue: Venue,
        prices: LivePrices,
        account: AccountReader,
        snapshot_every_s: float = SNAPSHOT_EVERY_S,
    ) -> None:
        self.venue = venue
        self.prices = prices
        self.account = account
        self.snapshot_every_s = snapshot_every_s
        self.book = PnlBook()
        self.last: Valuation | None = None
        self._listeners: list[EquityListener] = []
        self._ctx: EngineContext | None = None
        self._day_start: EquitySnapshot | None = None
        self._day = 0  # 00:00 UTC of the day `_day_start` belongs to
        self._last_stored: EquitySnapshot | None = None
        self._peak: Decimal | None = None
        self._prices_read = False  # the exchange's whole spot price list has been read once
        self._rebuilding = False
        self._arrived: list[Fill | FundingPayment] = []
        self._snapshot_lock = asyncio.Lock()
        self._snapshot_due = False
        self._after_fill: asyncio.Task[None] | None = None

    def subscribe(self, listener: EquityListener) -> None:
        """Call `listener` with every valuation (every few seconds, and after fills): the
        kill switch's limits and the published use of limits."""
        self._listeners.append(listener)

    # --- lifecycle ------------------------------------------------------------------------------

    async def start(self, ctx: EngineContext) -> None:
        self._ctx = ctx
        now = now_ms()
        with ctx.store.reader() as cur:
            self._peak = max_equity(cur)
            history = read_equity(cur, since_ms=utc_day_start(now) - DAY_MS)
        self._day_start, self._day = day_start(history, now), utc_day_start(now)
        self._last_stored = history[-1] if history else None
        ctx.supervise("equity", self._snapshot_periodically)
        ctx.supervise("valuation", self._publish_periodically)

    async def stop(self) -> None:
        self._ctx = None

    @property
    def _context(self) -> EngineContext:
        if self._ctx is None:
            raise RuntimeError("The portfolio is not running.")
        return self._ctx

    # --- fills and funding ----------------------------------------------------------------------

    async def on_fills(self, fills: Sequence[Fill]) -> None:
        """Apply new fills to the P&L book and take one equity snapshot after the burst."""
        for fill in fills:
            self._apply(fill)
        if fills:
            self._snapshot_soon()

    async def on_funding(self, payments: Sequence[FundingPayment]) -> None:
        for payment in payments:
            self._apply(payment)
        if payments:
            self._snapshot_soon()

    def _apply(self, item: Fill | FundingPayment) -> None:
        if self._rebuilding:
            self._arrived.append(item)
        elif isinstance(item, Fill):
            self.book.apply_fill(item, self.venue.pair)
        else:
            self.book.apply_funding(item)

    def _snapshot_soon(self) -> None:
        self._snapshot_due = True
        if self._after_fill is None or self._after_fill.done():
            self._after_fill = self._context.spawn(
                self._snapshot_after_fills(), "equity-after-fill"
            )

    async def _snapshot_after_fills(self) -> None:
        while self._snapshot_due:
            self._snapshot_due = False
            await self.take_snapshot()

    async def _rebuild_book(self) -> None:
        """Rebuild the book from every stored fill, off the event loop (it can be large)."""
        self._rebuilding = True
        try:
            book = await asyncio.to_thread(self._read_book)
        finally:
            self._rebuilding = False
        self.book = book
        arrived, self._arrived = self._arrived, []
        for item in arrived:
            self._apply(item)

    def _read_book(self) -> PnlBook:
        with self._context.store.reader() as cur:
            return rebuild(cur, self.venue.pair)

    # --- valuation ------------------------------------------------------------------------------

    def value(self, state: AccountState | None = None) -> Valuation:
        """The account valued now at the freshest prices held (no I/O)."""
        state = state or self.account.state()
        spot_prices = self.prices.of(MarketType.SPOT)
        marks = self.prices.of(MarketType.FUTURES)
        spot = value_spot(state.spot, spot_prices)
        futures = value_futures(state.wallets, state.positions, marks, spot_prices)
        quotes = {q: asset_price(q, spot_prices) for q in self.book.quotes()}
        snapshot = equity_snapshot(now_ms(), spot, futures, self.book.realized_usdt(quotes))
        assets = {b.asset: asset_price(b.asset, spot_prices) for b in state.spot}
        priced = self._prices_read or not (spot.unpriced or futures.unpriced)
        start = self._day_start_for(snapshot, priced)
        peak = self._peak
        if priced:
            peak = snapshot.equity if peak is None else max(peak, snapshot.equity)
        return Valuation(
            snapshot=snapshot, spot=spot, futures=futures,
            asset_prices={a: p for a, p in assets.items() if p is not None},
            day_start_equity=start.equity if start else None,
            day_start_time=start.time if start else None, peak_equity=peak, priced=priced,
        )  # fmt: skip

    def _day_start_for(self, snapshot: EquitySnapshot, priced: bool) -> EquitySnapshot | None:
        """Today's baseline: the last stored snapshot at or before 00:00 UTC, else the day's
        first priced one (the desk started during the day). A kill-switch reset does not move
        it. None until a priced valuation comes."""
        midnight = utc_day_start(snapshot.time)
        if midnight != self._day:
            last = self._last_stored
            self._day_start = last if last is not None and last.time <= midnight else None
            self._day = midnight
        if self._day_start is None and priced:
            self._day_start = snapshot
        return self._day_start

    async def _refresh_spot_prices(self) -> None:
        """Prices of every spot symbol from REST, for assets whose pair nobody streams."""
        if not self.venue.serves(MarketType.SPOT):
            self._prices_read = True  # no spot prices to wait for
            return
        try:
            self.prices.set_many(MarketType.SPOT, await self.venue.rest.spot_prices())
            self._prices_read = True
        except ExchangeError as exc:
            log.warning("Spot prices could not be refreshed: %s", exc)

    async def take_snapshot(self) -> Valuation:
        """Value the account, store the equity row, and tell the listeners."""
        async with self._snapshot_lock:
            valuation = self.value()
            if valuation.priced:
                snapshot = valuation.snapshot
                await self._context.store.write(lambda con: write_equity_snapshot(con, snapshot))
                self._peak = valuation.peak_equity
                self._last_stored = snapshot
            self.last = valuation
            await self._publish(valuation)
        await self._tell(valuation)
        return valuation

    async def _tell(self, valuation: Valuation) -> None:
        for listener in self._listeners:
            await listener(valuation)

    async def _publish(self, valuation: Valuation) -> None:
        await self._context.store.write(lambda con: write_valuation(con, valuation))

    async def _snapshot_periodically(self) -> None:
        await self.account.synced.wait()  # no valuation of an account not read yet
        await self._rebuild_book()
        while True:
            await self._refresh_spot_prices()
            await self.take_snapshot()
            await asyncio.sleep(self.snapshot_every_s)

    async def _publish_periodically(self) -> None:
        """Keep the pages' `valuation` row current between snapshots."""
        period = self._context.settings.status_refresh_s
        await self.account.synced.wait()
        while True:
            await asyncio.sleep(period)
            valuation = self.value()
            self.last = valuation
            await self._publish(valuation)
            await self._tell(valuation)

    def record_funding_event(self, payments: Sequence[FundingPayment]) -> None:
        total = sum((p.amount for p in payments), Decimal(0))
        self._context.record(
            Level.INFO, EventKind.FUNDING_RECORDED,
            f"Funding: {total:+.8f} USDT over {len(payments)} payment(s).",
            {"payments": len(payments), "total": str(total)},
        )  # fmt: skip

    def status(self) -> dict[str, Any]:
        last = self.last
        if last is None:
            return {"equity": None}
        return {
            "equity": str(last.equity),
            "equity_time": last.snapshot.time,
            "day_start_equity": str(last.day_start_equity) if last.day_start_equity else None,
            "daily_pnl": str(last.daily_pnl) if last.daily_pnl is not None else None,
            "funding": str(self.book.funding_total()),
        }
