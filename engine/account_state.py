"""The account as DuckDB holds it, and the risk snapshot built from it.

One reading for the engine's pre-trade checks and for the Risk page's limit use, so both show
the same figures.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

import duckdb

from engine.kill_switch import KillSwitch, daily_loss_baseline, peak_since_ms
from engine.models import Balance, MarginBalance, MarketType, Position, Side
from engine.portfolio import (
    futures_positions,
    peak_equity,
    read_equity,
    spot_positions,
    start_of_day_equity,
    utc_day_start,
)
from engine.risk import OpenOrder, RiskSnapshot

DAY_MS = 86_400_000
OPEN_STATUSES = "('PENDING_NEW', 'NEW', 'PARTIALLY_FILLED', 'UNKNOWN')"


@dataclass(frozen=True)
class AccountState:
    spot: list[Balance]
    wallets: list[MarginBalance]  # USD-M: free = available, locked = margin in use
    positions: list[Position]
    marks: dict[str, Decimal]  # futures symbol -> mark price
    spot_prices: dict[str, Decimal]  # spot symbol -> last price from the ticker stream
    leverage: dict[str, int]  # futures symbol -> leverage (known even without a position)
    open_orders: list[OpenOrder]


def read_account(cur: duckdb.DuckDBPyConnection) -> AccountState:
    """Balances, positions, prices, leverage and open orders, through one cursor."""
    positions = _positions(cur)
    leverage = dict(
        cur.execute(
            "SELECT symbol, leverage FROM symbol_settings WHERE leverage IS NOT NULL"
        ).fetchall()
    )
    leverage.update({p.symbol: p.leverage for p in positions if p.leverage})
    marks = {
        s: Decimal(str(m))
        for s, m in cur.execute("SELECT symbol, mark_price FROM mark_prices").fetchall()
    }
    marks.update({p.symbol: p.mark_price for p in positions if p.mark_price})
    return AccountState(
        spot=_spot(cur), wallets=_wallets(cur), positions=positions, marks=marks,
        spot_prices=_spot_prices(cur), leverage=leverage, open_orders=_open_orders(cur),
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
        "SELECT symbol, amount, entry_price, mark_price, unrealized_pnl, leverage FROM positions"
    )
    return [
        Position(symbol=s, amount=Decimal(a), entry_price=Decimal(e or 0),
                 mark_price=Decimal(m) if m is not None else None,
                 unrealized_pnl=Decimal(u or 0), leverage=lev)
        for s, a, e, m, u, lev in rows.fetchall()
    ]  # fmt: skip


def _spot_prices(cur: duckdb.DuckDBPyConnection) -> dict[str, Decimal]:
    rows = cur.execute(
        "SELECT symbol, last_price FROM tickers WHERE market = 'spot' AND last_price IS NOT NULL"
    )
    return {s: Decimal(str(p)) for s, p in rows.fetchall()}


def _open_orders(cur: duckdb.DuckDBPyConnection) -> list[OpenOrder]:
    rows = cur.execute(
        "SELECT market, symbol, side, quantity, executed_qty, price, reduce_only "
        f"FROM orders WHERE status IN {OPEN_STATUSES}"
    )
    return [
        OpenOrder(MarketType(m), s, Side(sd), Decimal(q or 0) - Decimal(x or 0),
                  Decimal(p) if p is not None else None, bool(r))
        for m, s, sd, q, x, p, r in rows.fetchall()
    ]  # fmt: skip


def risk_snapshot(
    cur: duckdb.DuckDBPyConnection,
    state: AccountState,
    equity: Decimal,
    spot_prices: Mapping[str, Decimal],
    kill_switch: KillSwitch,
    now_ms: int,
) -> RiskSnapshot:
    """What the risk checks see: holdings, open orders, prices, leverage and the equity marks."""
    history = read_equity(cur, since_ms=utc_day_start(now_ms) - DAY_MS)
    return RiskSnapshot(
        equity=equity,
        positions=spot_positions(state.spot, spot_prices) + futures_positions(state.positions),
        open_orders=state.open_orders,
        prices={**{(MarketType.SPOT, s): p for s, p in spot_prices.items()},
                **{(MarketType.FUTURES, s): p for s, p in state.marks.items()}},
        leverage=state.leverage,
        kill_switch=kill_switch,
        start_of_day_equity=daily_loss_baseline(
            kill_switch, start_of_day_equity(history, now_ms), now_ms
        ),
        peak_equity=peak_equity(history, peak_since_ms(kill_switch)),
    )  # fmt: skip
