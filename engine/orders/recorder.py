"""Keeps the `orders` and `fills` tables true, from every source: answers, events, queries.

Writes are batched (engine/store/batcher.py): a reply never waits for the database. Whoever needs
the row on disk awaits the future `record` returns. New fills go to the fill listeners at once
(the portfolio's P&L), each fill once however many times it arrives.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from decimal import Decimal
from typing import Any

from engine.account.state import AccountReader, Part
from engine.clock import now_ms
from engine.context import EngineContext
from engine.models import Fill, MarketType, OrderStatus, OrderUpdate
from engine.store import trading
from engine.store.batcher import WriteBatcher

FillListener = Callable[[Sequence[Fill]], Awaitable[None]]
MAX_SEEN_FILLS = 100_000
MAX_KNOWN_LEGS = 10_000


class OrderRecorder:
    def __init__(self, account: AccountReader) -> None:
        self.account = account
        self.conditional_ids: set[str] = set()  # USD-M algo orders, known before their row lands
        # An OCO leg's list, from its write-ahead row on: the account is read again only once
        # the rows land, and a cancel of a leg in between must still cancel the list.
        self._lists: dict[str, str] = {}
        self._listeners: list[FillListener] = []
        self._seen_fills: dict[tuple[str, str, int], None] = {}
        self._ctx: EngineContext | None = None
        self._batcher: WriteBatcher | None = None

    def subscribe(self, listener: FillListener) -> None:
        self._listeners.append(listener)

    def attach(self, ctx: EngineContext) -> None:
        self._ctx = ctx
        self._batcher = WriteBatcher(ctx.store)

    @property
    def batcher(self) -> WriteBatcher:
        if self._batcher is None:
            raise RuntimeError("The order recorder is not running.")
        return self._batcher

    def write(self, work: Callable[[Any], None], part: Part = "orders") -> asyncio.Future[None]:
        """Queue a write of the trading tables; the account is read again once it lands."""
        future = self.batcher.submit(work)
        future.add_done_callback(lambda _: self.account.changed(part))
        return future

    def pending(self, row: dict[str, Any]) -> asyncio.Future[None]:
        """The write-ahead row of an order about to be sent."""
        if row.get("list_client_id"):
            self._lists[row["client_order_id"]] = row["list_client_id"]
            while len(self._lists) > MAX_KNOWN_LEGS:
                self._lists.pop(next(iter(self._lists)))
        return self.write(lambda con: trading.upsert_orders(con, [row]))

    def list_of(self, client_id: str) -> str:
        """The OCO list a leg placed by this engine belongs to ("" if none known)."""
        return self._lists.get(client_id, "")

    def set_status(self, client_id: str, status: OrderStatus, reason: str) -> asyncio.Future[None]:
        stamp = now_ms()
        return self.write(
            lambda con: trading.set_order_status(con, client_id, status, reason, stamp)
        )

    def record(
        self, update: OrderUpdate, fills: Sequence[Fill] = (), actor: str | None = None
    ) -> asyncio.Future[None]:
        """Write an order update and its fills; tell the listeners about fills not seen yet."""
        row = trading.order_row(update, actor=actor, created_ms=update.update_time)
        fills = list(fills)

        def work(con: Any) -> None:
            trading.upsert_orders(con, [row])
            trading.upsert_fills(con, fills)

        if update.is_algo:
            self.conditional_ids.add(update.client_order_id)
        written = self.write(work)
        fresh = self._fresh(fills)
        if fresh and self._ctx is not None:
            self._ctx.spawn(self._tell(fresh), f"fills-{update.client_order_id}")
        return written

    def record_fills(self, fills: Sequence[Fill]) -> asyncio.Future[None]:
        """Fills from trade history (reconciliation)."""
        fills = list(fills)
        written = self.write(lambda con: trading.upsert_fills(con, fills))
        fresh = self._fresh(fills)
        if fresh and self._ctx is not None:
            self._ctx.spawn(self._tell(fresh), "fills-history")
        return written

    def _fresh(self, fills: Sequence[Fill]) -> list[Fill]:
        fresh = []
        for fill in fills:
            key = (fill.market.value, fill.symbol, fill.trade_id)
            if key not in self._seen_fills:
                self._seen_fills[key] = None
                fresh.append(fill)
        while len(self._seen_fills) > MAX_SEEN_FILLS:
            self._seen_fills.pop(next(iter(self._seen_fills)))
        return fresh

    async def _tell(self, fills: list[Fill]) -> None:
        for listener in self._listeners:
            await listener(fills)

    def is_conditional(self, market: MarketType, client_id: str, order_type: str | None) -> bool:
        """USD-M conditional orders live in Binance's algo service, under `clientAlgoId`."""
        if market is not MarketType.FUTURES:
            return False
        return client_id in self.conditional_ids or order_type in CONDITIONAL_TYPES


CONDITIONAL_TYPES = frozenset(
    {"STOP_MARKET", "STOP_LIMIT", "TAKE_PROFIT_MARKET", "TAKE_PROFIT_LIMIT",
     "TRAILING_STOP_MARKET"}
)  # fmt: skip


def journal_row(entry: dict[str, Any]) -> dict[str, Any]:
    """A journal line back into an `orders` row (decimals were written as strings)."""
    decimals = ("quantity", "quote_quantity", "price", "stop_price", "executed_qty")
    return {k: (Decimal(v) if k in decimals and v is not None else v) for k, v in entry.items()}
