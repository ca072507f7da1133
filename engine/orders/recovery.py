"""Orders whose outcome is not known: resolved by asking the exchange, never by sending again.

- `resolve` queries an order by our client id until the exchange knows it (a lost answer, a
  timeout, a 5xx), and records what it says; a few misses in a row over several seconds mean
  the request never arrived.
- At start, journaled orders missing from DuckDB are put back (a crash between the journal and
  the database), and every order left PENDING_NEW or UNKNOWN is resolved.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable

from engine.binance.errors import ExchangeError, NotFound
from engine.binance.rest import BinanceRest
from engine.context import EngineContext
from engine.events import EventKind, Level
from engine.models import MarketType, OrderStatus
from engine.orders.recorder import OrderRecorder, journal_row
from engine.store import trading
from engine.store.journal import OrderJournal

RESOLVE_DEADLINE_S = 120.0


class Recovery:
    def __init__(self, rest: BinanceRest, recorder: OrderRecorder) -> None:
        self.rest = rest
        self.recorder = recorder
        self.resolving: set[str] = set()

    async def resolve(
        self, market: MarketType, symbol: str, client_id: str, order_type: str | None = None
    ) -> OrderStatus | None:
        """Query an order of unknown outcome by its client id until the exchange knows it."""
        if client_id in self.resolving:
            return None
        self.resolving.add(client_id)
        try:
            conditional = self.recorder.is_conditional(market, client_id, order_type)
            return await self._resolve_loop(market, symbol, client_id, conditional)
        finally:
            self.resolving.discard(client_id)

    async def _resolve_loop(
        self, market: MarketType, symbol: str, client_id: str, conditional: bool
    ) -> OrderStatus | None:
        deadline = time.monotonic() + RESOLVE_DEADLINE_S
        delay = 0.2
        not_found = 0
        while time.monotonic() < deadline:
            try:
                update = await self.rest.query_order(
                    market, symbol, client_id, conditional=conditional
                )
            except NotFound:
                not_found += 1
                # Binance may take a moment to show an order it accepted; a few misses in a row
                # across more than a few seconds mean it never arrived.
                if not_found >= 3 and delay >= 0.8:
                    await self.recorder.set_status(
                        client_id,
                        OrderStatus.REJECTED,
                        "Never reached the exchange (the request was lost).",
                    )
                    return OrderStatus.REJECTED
            except ExchangeError:
                pass  # the exchange is still unwell; keep asking
            else:
                await self.recorder.record(update)
                return update.status
            await asyncio.sleep(delay)
            delay = min(delay * 2, 5.0)
        return None

    async def replay_journal(self, ctx: EngineContext, journal: OrderJournal) -> None:
        """Orders journaled before a crash but missing from DuckDB are put back."""
        entries = {e["client_order_id"]: e for e in journal.entries()}
        if not entries:
            return
        with ctx.store.reader() as cur:
            known = {
                cid
                for (cid,) in cur.execute(
                    "SELECT client_order_id FROM orders WHERE client_order_id IN "
                    "(SELECT unnest(?))",
                    [list(entries)],
                ).fetchall()
            }
        missing = [journal_row(e) for cid, e in entries.items() if cid not in known]
        if missing:
            await self.recorder.write(lambda con: trading.upsert_orders(con, missing))
            ctx.record(
                Level.WARNING, EventKind.JOURNAL_REPLAYED,
                f"{len(missing)} journaled orders were missing from the database after a "
                "stop; they are being resolved with the exchange.",
            )  # fmt: skip
        journal.truncate()

    def resume_unknown(self, ctx: EngineContext) -> None:
        """After a restart: orders left PENDING_NEW or UNKNOWN are resolved, never re-sent."""
        with ctx.store.reader() as cur:
            rows = cur.execute(
                "SELECT market, symbol, client_order_id, order_type FROM orders "
                "WHERE status IN ('PENDING_NEW', 'UNKNOWN')"
            ).fetchall()
        for market, symbol, client_id, order_type in rows:
            ctx.spawn(
                self.resolve(MarketType(market), symbol, client_id, order_type),
                f"resolve-{client_id}",
            )


async def compact_journal(
    ctx: EngineContext, journal: OrderJournal, recorder: OrderRecorder, in_flight: Iterable[str]
) -> bool:
    """Truncate the journal when no order is in flight and DuckDB holds every entry."""
    if any(True for _ in in_flight):
        return False
    ids = [e["client_order_id"] for e in journal.entries()]
    await recorder.batcher.flush()
    await ctx.store.write(lambda con: None)  # every queued write has landed after this
    with ctx.store.reader() as cur:
        rows = cur.execute(
            "SELECT count(*) FROM orders WHERE client_order_id IN (SELECT unnest(?))", [ids]
        ).fetchall()
    if any(True for _ in in_flight) or rows[0][0] != len(set(ids)):
        return False
    journal.truncate()
    return True
