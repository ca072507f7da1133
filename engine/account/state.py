"""The account as the database holds it, kept in memory for the order path.

One reading serves the engine's pre-trade checks, the balance and margin checks and the
valuation, so they all see the same figures. Whoever writes balances, positions or orders calls
`changed()`: the tables are read again in the background, off the event loop, and the new
reading replaces the old one when it is complete. A reader never waits for the database; it
gets the newest complete reading (a few milliseconds behind a write at most). The exchange
checks every order again, so a check against a reading that is a moment old is safe.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any, Literal

import duckdb

from engine.context import EngineContext
from engine.models import (
    OPEN_STATUSES,
    Balance,
    MarginBalance,
    MarginType,
    MarketType,
    OpenOrder,
    Position,
    Side,
)

# What a write touched: the orders table, or balances, wallets, positions and settings.
Part = Literal["orders", "holdings", "all"]


@dataclass(frozen=True)
class AccountState:
    spot: list[Balance]
    wallets: list[MarginBalance]  # USD-M: available = free, the rest of the wallet is in use
    positions: list[Position]
    leverage: dict[str, int]  # futures symbol -> leverage (known even without a position)
    open_orders: list[OpenOrder]
    margin_types: dict[str, MarginType] = field(default_factory=dict)  # as last set or reported
    hedge_mode: bool = False  # USD-M: a LONG and a SHORT per symbol (as the exchange last said)

    def spot_free(self) -> dict[str, Decimal]:
        return {b.asset: b.free for b in self.spot}

    def futures_available(self, asset: str = "USDT") -> Decimal:
        wallet = next((w for w in self.wallets if w.asset == asset), None)
        return wallet.available or Decimal(0) if wallet else Decimal(0)

    def position(self, symbol: str, side: str | None = None) -> Position | None:
        """The symbol's open position (of `side` in hedge mode: LONG or SHORT)."""
        return next(
            (p for p in self.positions
             if p.symbol == symbol and p.amount and side in (None, p.position_side)),
            None,
        )  # fmt: skip

    def open_sides(self, symbol: str) -> list[Position]:
        return [p for p in self.positions if p.symbol == symbol and p.amount]


class AccountReader:
    """The cached reading of the account tables (a component only to reach the database)."""

    name = "account-state"

    def __init__(self) -> None:
        self._ctx: EngineContext | None = None
        self._state: AccountState | None = None
        self._dirty = False
        self._refreshing: asyncio.Task[None] | None = None
        self._stale: set[Part] = set()
        self.refreshes = 0
        self.synced = asyncio.Event()  # set once the tables hold the exchange's account

    async def start(self, ctx: EngineContext) -> None:
        self._ctx = ctx
        self.synced = asyncio.Event()
        self._state = self._read()

    async def stop(self) -> None:
        self._ctx = None  # no refresh starts from now on
        if self._refreshing is not None and not self._refreshing.done():
            self._refreshing.cancel()

    def status(self) -> dict[str, Any]:
        return {"refreshes": self.refreshes}

    def state(self) -> AccountState:
        """The newest complete reading (read now only before the first one exists)."""
        if self._state is None:
            self._state = self._read()
        return self._state

    def changed(self, part: Part = "all") -> None:
        """A part was written (orders, or holdings, or anything): read it again, in the
        background. Only the parts written are read again."""
        self._stale.add(part)
        self._dirty = True
        if self._ctx is not None and (self._refreshing is None or self._refreshing.done()):
            self._refreshing = self._ctx.spawn(self._refresh(), "account-refresh")

    def refreshing(self) -> bool:
        """A write is not in the reading yet."""
        return self._dirty or (self._refreshing is not None and not self._refreshing.done())

    async def refreshed(self) -> AccountState:
        """Wait for a reading that includes every write reported so far (tests, reconcile)."""
        while self._dirty or (self._refreshing is not None and not self._refreshing.done()):
            if self._refreshing is None or self._refreshing.done():
                self.changed()
            assert self._refreshing is not None
            await asyncio.shield(self._refreshing)
        return self.state()

    async def _refresh(self) -> None:
        while self._dirty:
            self._dirty = False
            parts, self._stale = self._stale, set()
            self._state = await asyncio.to_thread(self._reread, parts)
            self.refreshes += 1

    def _read(self) -> AccountState:
        if self._ctx is None:
            raise RuntimeError("The account reader is not running.")
        with self._ctx.store.reader() as cur:
            return read_account(cur)

    def _reread(self, parts: set[Part]) -> AccountState:
        old = self._state
        if old is None or "all" in parts or "holdings" in parts:
            return self._read()  # holdings are most of the reading: read it all
        if self._ctx is None:
            raise RuntimeError("The account reader is not running.")
        with self._ctx.store.reader() as cur:
            return replace(old, open_orders=_open_orders(cur))


def read_account(cur: duckdb.DuckDBPyConnection) -> AccountState:
    """Balances, positions, leverage and open orders, through one cursor."""
    positions = _positions(cur)
    leverage = dict(
        cur.execute(
            "SELECT symbol, leverage FROM symbol_settings WHERE leverage IS NOT NULL"
        ).fetchall()
    )
    leverage.update({p.symbol: p.leverage for p in positions if p.leverage})
    margin = {
        s: MarginType(m) for s, m in cur.execute(
            "SELECT symbol, margin_type FROM symbol_settings WHERE margin_type IS NOT NULL"
        ).fetchall()
    }  # fmt: skip
    margin.update({p.symbol: MarginType(p.margin_type) for p in positions if p.margin_type})
    hedge = cur.execute(
        "SELECT value FROM account_settings WHERE name = 'futures_hedge_mode'"
    ).fetchall()
    return AccountState(
        spot=_spot(cur), wallets=_wallets(cur), positions=positions, leverage=leverage,
        open_orders=_open_orders(cur), margin_types=margin,
        hedge_mode=bool(hedge) and hedge[0][0] == "true",
    )  # fmt: skip


def _spot(cur: duckdb.DuckDBPyConnection) -> list[Balance]:
    rows = cur.execute("SELECT asset, free, locked FROM balances WHERE market = 'spot'")
    return [Balance(asset=a, free=Decimal(f), locked=Decimal(lk)) for a, f, lk in rows.fetchall()]


def _wallets(cur: duckdb.DuckDBPyConnection) -> list[MarginBalance]:
    rows = cur.execute("SELECT asset, free, locked FROM balances WHERE market = 'futures'")
    return [
        MarginBalance(asset=a, wallet_balance=Decimal(f) + Decimal(lk),
                      cross_wallet_balance=Decimal(f) + Decimal(lk), available=Decimal(f))
        for a, f, lk in rows.fetchall()
    ]  # fmt: skip


def _positions(cur: duckdb.DuckDBPyConnection) -> list[Position]:
    rows = cur.execute(
        "SELECT symbol, position_side, amount, entry_price, mark_price, unrealized_pnl, leverage, "
        "margin_type, isolated_margin, liquidation_price FROM positions"
    )
    return [
        Position(symbol=s, position_side=ps, amount=Decimal(a), entry_price=Decimal(e or 0),
                 mark_price=Decimal(m) if m is not None else None,
                 unrealized_pnl=Decimal(u or 0), leverage=lev, margin_type=mt or None,
                 isolated_margin=Decimal(im or 0),
                 liquidation_price=Decimal(lp) if lp is not None else None)
        for s, ps, a, e, m, u, lev, mt, im, lp in rows.fetchall()
    ]  # fmt: skip


def _open_orders(cur: duckdb.DuckDBPyConnection) -> list[OpenOrder]:
    rows = cur.execute(
        "SELECT market, symbol, side, quantity, executed_qty, price, reduce_only, client_order_id, "
        "order_type, list_client_id FROM orders WHERE status IN (SELECT unnest(?))",
        [sorted(OPEN_STATUSES)],
    )
    return [
        OpenOrder(MarketType(m), s, Side(sd), Decimal(q or 0) - Decimal(x or 0),
                  Decimal(p) if p is not None else None, bool(r), cid, ot, lc or "")
        for m, s, sd, q, x, p, r, cid, ot, lc in rows.fetchall()
    ]  # fmt: skip
