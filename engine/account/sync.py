"""Keep orders, fills, balances, positions and funding in DuckDB equal to the exchange's.

Two paths, both supervised by the engine:
- user-data streams (engine/binance/user_streams.py): events are applied as they come;
- reconciliation against REST: at start, after every stream (re)connect (it covers the time the
  stream was down), and periodically.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

from engine.account.state import AccountReader
from engine.binance import user_streams
from engine.binance.errors import ExchangeError
from engine.binance.user_streams import (
    Connected,
    FuturesAccount,
    ListEvent,
    MalformedEvent,
    OrderEvent,
    SpotBalances,
    SubscriptionRefused,
    UserEvent,
)
from engine.clock import now_ms
from engine.commands import Reconcile, Reply
from engine.context import EngineContext
from engine.events import EventKind, Level
from engine.models import OPEN_STATUSES, MarketType, OrderUpdate
from engine.order_lists import OrderListUpdate
from engine.orders import position_mode
from engine.orders.component import Orders
from engine.portfolio.component import Portfolio
from engine.store import funding, holdings, trading
from engine.venue import Venue

RECONCILE_EVERY_S = 60.0
FUNDING_REASON = "FUNDING_FEE"

EventSource = Callable[[], AsyncIterator[UserEvent]]


class AccountSync:
    """User-data streams and reconciliation for both markets."""

    name = "account"

    def __init__(
        self,
        venue: Venue,
        orders: Orders,
        account: AccountReader,
        portfolio: Portfolio,
        reconcile_every_s: float = RECONCILE_EVERY_S,
    ) -> None:
        self.venue = venue
        self.orders = orders
        self.account = account
        self.portfolio = portfolio
        self.reconcile_every_s = reconcile_every_s
        self.reconciliations = 0
        self.stream_state: dict[str, str] = {}
        self.down_since_ms: dict[str, int] = {}  # market -> since when its stream is not up
        self.last_event_ms: dict[str, int] = {}
        self._position_changed_at: dict[str, float] = {}  # symbol -> monotonic time of the event
        self._lock = asyncio.Lock()
        self._positions_reading: asyncio.Task[None] | None = None
        self._positions_moved_again = False
        self._ctx: EngineContext | None = None

    async def start(self, ctx: EngineContext) -> None:
        self._ctx = ctx
        ctx.register_handler(Reconcile, self._on_reconcile)
        if not self.venue.has_keys:
            ctx.record(Level.WARNING, EventKind.NO_KEYS, "No API keys: account data is not synced.")
            self.account.synced.set()
            return
        await self.reconcile("start")
        self.account.synced.set()
        ctx.supervise("user-stream-spot", lambda: self._stream("spot", self._spot_events))
        if self.venue.serves(MarketType.FUTURES):
            ctx.supervise(
                "user-stream-futures", lambda: self._stream("futures", self._futures_events)
            )
        ctx.supervise("reconcile", self._reconcile_periodically)

    async def stop(self) -> None:
        self._ctx = None

    @property
    def _context(self) -> EngineContext:
        if self._ctx is None:
            raise RuntimeError("Account sync is not running.")
        return self._ctx

    def status(self) -> dict[str, Any]:
        now = now_ms()
        return {
            "user_streams": {
                market: {"state": s, "last_event_age_s": _age_s(self.last_event_ms, market, now)}
                for market, s in self.stream_state.items()
            },
            "reconciliations": self.reconciliations,
        }

    # --- commands -------------------------------------------------------------------------------

    async def _on_reconcile(self, command: Reconcile) -> Reply:
        try:
            await self.reconcile(f"asked by {command.actor}")
        except ExchangeError as exc:
            return Reply(command_id=command.command_id, ok=False, message=exc.reason)
        return Reply(command_id=command.command_id, ok=True, message="Account reconciled.")

    # --- reconciliation -------------------------------------------------------------------------

    async def _reconcile_periodically(self) -> None:
        while True:
            await asyncio.sleep(self.reconcile_every_s)
            await self.reconcile("periodic")

    async def reconcile(self, why: str) -> None:
        """Bring every trading table in line with the exchange's REST answers."""
        if not self.venue.has_keys:
            return
        async with self._lock:
            await self._reconcile_spot()
            if self.venue.serves(MarketType.FUTURES):
                await self._reconcile_futures()
            self.reconciliations += 1
        if why != "periodic":
            self._context.record(
                Level.INFO, EventKind.RECONCILED, f"Account reconciled with REST ({why})."
            )

    async def _reconcile_spot(self) -> None:
        rest = self.venue.rest
        balances = await rest.spot_balances()
        open_orders = await rest.open_orders(MarketType.SPOT)
        await self._write(
            lambda con: holdings.upsert_spot_balances(con, balances, now_ms(), replace_all=True)
        )
        await self._settle_orders(MarketType.SPOT, open_orders)
        await self._sync_fills(MarketType.SPOT)

    async def _reconcile_futures(self) -> None:
        rest = self.venue.rest
        await position_mode.read_mode(rest, self.orders.recorder)  # changed elsewhere, maybe
        asked_at = time.monotonic()
        wallet = await rest.futures_wallet()
        positions = await rest.futures_positions()
        open_orders = await rest.open_orders(MarketType.FUTURES)
        streamed = self.positions_changed_since(asked_at)

        def work(con: Any) -> None:
            holdings.upsert_futures_balances(con, wallet, now_ms())
            holdings.upsert_positions(con, positions, now_ms(), replace_all=True, keep=streamed)

        await self._write(work)
        await self._settle_orders(MarketType.FUTURES, open_orders)
        await self._sync_fills(MarketType.FUTURES)
        await self._sync_funding()

    def positions_changed_since(self, moment: float) -> frozenset[str]:
        """Symbols whose position the stream changed at or after `moment` (monotonic seconds)."""
        changed = self._position_changed_at.items()
        return frozenset(symbol for symbol, at in changed if at >= moment)

    async def _settle_orders(self, market: MarketType, open_now: list[OrderUpdate]) -> None:
        """Record the exchange's open orders; query every order we think open that is not."""
        for update in open_now:
            self.orders.recorder.record(update)
        still_open = {u.client_order_id for u in open_now}
        for symbol, client_id, order_type in self._locally_open(market):
            if client_id not in still_open:
                await self.orders.recovery.resolve(market, symbol, client_id, order_type)

    def _locally_open(self, market: MarketType) -> list[tuple[str, str, str]]:
        with self._context.store.reader() as cur:
            return cur.execute(
                "SELECT symbol, client_order_id, order_type FROM orders WHERE market = ? AND "
                "status IN (SELECT unnest(?))",
                [market.value, sorted(OPEN_STATUSES)],
            ).fetchall()

    async def _sync_fills(self, market: MarketType) -> None:
        """Fetch the trades of every symbol we have orders on, from a cursor that cannot skip
        a fill: the oldest order whose fills we may not hold yet (see `fill_cursors`)."""
        rest = self.venue.rest
        for symbol, since in await asyncio.to_thread(self._fill_cursors, market):
            fills = await rest.trades(market, symbol, since)
            if not fills:
                continue
            ids = self._client_ids(market, symbol, [f.exchange_order_id for f in fills])
            named = [f.model_copy(update={"client_order_id": ids.get(f.exchange_order_id, "")})
                     for f in fills]  # fmt: skip
            await self.orders.recorder.record_fills(named)

    def _fill_cursors(self, market: MarketType) -> list[tuple[str, int]]:
        with self._context.store.reader() as cur:
            return trading.fill_cursors(cur, market)

    def _client_ids(self, market: MarketType, symbol: str, order_ids: list[str]) -> dict[str, str]:
        with self._context.store.reader() as cur:
            return trading.client_ids(cur, market, symbol, order_ids)

    async def _sync_funding(self) -> None:
        """Funding payments since the newest we hold (the last 7 days on a first run)."""
        with self._context.store.reader() as cur:
            since = funding.funding_cursor(cur, now_ms())
        payments = await self.venue.rest.funding_payments(since)
        if not payments:
            return
        fresh = await self._context.store.write(lambda con: funding.insert_funding(con, payments))
        if fresh:
            await self.portfolio.on_funding(fresh)
            self.portfolio.record_funding_event(fresh)

    # --- streams --------------------------------------------------------------------------------

    def _spot_events(self) -> AsyncIterator[UserEvent]:
        return user_streams.spot_events(self.venue.rest)

    def _futures_events(self) -> AsyncIterator[UserEvent]:
        return user_streams.futures_events(self.venue.rest)

    async def _stream(self, market: str, events: EventSource) -> None:
        """Reconcile once connected (the stream was down until now), then apply events."""
        self._set_state(market, "connecting")
        try:
            async for event in events():
                await self._apply(market, event)
        except MalformedEvent as exc:
            # A frame that does not parse is reported, and the stream starts over with a
            # reconcile: state stays right even if Binance changed a payload.
            self._context.record(
                Level.ERROR, EventKind.USER_STREAM_DOWN,
                f"{market} user-data event not understood: {exc}; reconnecting.",
            )  # fmt: skip
            raise
        except SubscriptionRefused as exc:
            if exc.clock_skew:  # our clock drifted: measure it again before the retry
                await self.venue.rest.sync_time()
            raise
        finally:
            self._set_state(market, "reconnecting")

    def _set_state(self, market: str, state: str) -> None:
        self.stream_state[market] = state
        if state == "connected":
            self.down_since_ms.pop(market, None)
        else:
            self.down_since_ms.setdefault(market, now_ms())

    async def _apply(self, market: str, event: UserEvent) -> None:
        if isinstance(event, Connected):
            self._set_state(market, "connected")
            await self.reconcile(f"{market} user stream connected")
            return
        self.last_event_ms[market] = now_ms()
        if isinstance(event, OrderEvent):
            self.orders.recorder.record(event.update, [event.fill] if event.fill else [])
        elif isinstance(event, ListEvent):
            await self._on_list_status(event.update)
        elif isinstance(event, SpotBalances):
            stamp, balances = now_ms(), event.balances
            await self._write(
                lambda con: holdings.upsert_spot_balances(con, balances, stamp, replace_all=False)
            )
        elif isinstance(event, FuturesAccount):
            await self._apply_futures_account(event)

    async def _on_list_status(self, update: OrderListUpdate) -> None:
        """An OCO is over: its legs' executionReports came first. A leg still open here (a
        report missed or not parsed) is asked for at the exchange, so one leg filled shows the
        other expired or cancelled."""
        if not update.done:
            return
        await self.orders.recorder.batcher.flush()  # the legs' reports are written first
        ids = [cid for cid, _ in update.legs]
        with self._context.store.reader() as cur:
            still_open = cur.execute(
                "SELECT client_order_id FROM orders WHERE client_order_id IN (SELECT unnest(?)) "
                "AND status IN (SELECT unnest(?))",
                [ids, sorted(OPEN_STATUSES)],
            ).fetchall()
        for (cid,) in still_open:
            self._context.spawn(
                self.orders.recovery.resolve(MarketType.SPOT, update.symbol, cid), f"resolve-{cid}"
            )

    async def _apply_futures_account(self, event: FuturesAccount) -> None:
        for position in event.positions:
            self._position_changed_at[position.symbol] = time.monotonic()

        def work(con: Any) -> None:
            holdings.upsert_futures_balances(con, event.wallets, now_ms())
            holdings.upsert_positions(con, event.positions, now_ms(), replace_all=False)

        await self._write(work)
        if event.reason == FUNDING_REASON:
            self._context.spawn(self._sync_funding(), "funding-sync")
        elif event.positions:
            self._read_positions_soon()

    def _read_positions_soon(self) -> None:
        """An event moved a position: read the exchange's own figures for it (the liquidation
        price and margin are not in the event). One reading at a time; moves meanwhile are
        covered by one more."""
        if self._positions_reading is not None and not self._positions_reading.done():
            self._positions_moved_again = True
            return
        self._positions_reading = self._context.spawn(self._read_positions(), "positions-read")

    async def _read_positions(self) -> None:
        while True:
            self._positions_moved_again = False
            asked_at = time.monotonic()
            try:
                positions = await self.venue.rest.futures_positions()
            except ExchangeError:  # the periodic reconcile reads them again
                return
            streamed = self.positions_changed_since(asked_at)
            await self._write(lambda con, p=positions, k=streamed: holdings.upsert_positions(
                con, p, now_ms(), replace_all=True, keep=k))  # fmt: skip
            if not self._positions_moved_again:
                return

    async def _write(self, work: Callable[[Any], Any]) -> Any:
        result = await self._context.store.write(work)
        self.account.changed("holdings")  # balances or positions may have moved
        return result


def _age_s(last: dict[str, int], market: str, now: int) -> float | None:
    return round((now - last[market]) / 1000, 1) if market in last else None
