"""The account for the pages: balances, positions, the valuation, equity, the use of limits."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import pandas as pd

from app import db
from app.db import columns, read_df, read_exact
from engine.clock import DAY_MS, now_ms
from engine.models import OPEN_STATUSES


def spot_balances(exact: bool = False) -> pd.DataFrame:
    """Spot balances with the USDT price and value the engine's valuation used (None when it
    has no price for the asset), so the table adds up to the engine's spot value. `exact`:
    free, locked and total as the exact decimals stored (for showing them)."""
    sql = columns(
        """
        WITH v AS (SELECT assets FROM valuation WHERE id = 1)
        SELECT b.asset, b.free::DOUBLE AS free, b.locked::DOUBLE AS locked,
               (b.free + b.locked)::DOUBLE AS total,
               TRY_CAST(json_extract_string(v.assets, '$."' || b.asset || '".price') AS DOUBLE)
                   AS price,
               CAST(b.free + b.locked AS DOUBLE) * price AS value_usdt,
               epoch_ms(b.updated_ms) AS updated
        FROM balances b LEFT JOIN v ON TRUE
        WHERE b.market = 'spot' AND b.free + b.locked > 0
        ORDER BY value_usdt DESC NULLS LAST, b.asset
        """,
        exact,
    )
    return read_exact(sql, []) if exact else read_df(sql)


def futures_wallet(exact: bool = False) -> pd.DataFrame:
    """USD-M wallet balances (free = available for new margin)."""
    sql = columns(
        "SELECT asset, free::DOUBLE AS available, (free + locked)::DOUBLE AS wallet "
        "FROM balances WHERE market = 'futures' AND free + locked > 0 ORDER BY asset",
        exact,
    )
    return read_exact(sql, []) if exact else read_df(sql)


def futures_positions(exact: bool = False) -> pd.DataFrame:
    """Open USD-M positions, marked at the freshest mark price we hold (the live mark stream's,
    else the position's own); `exact`: size, entry, liquidation and margin as stored."""
    sql = columns(
        """
        WITH m AS (SELECT symbol, mark_price AS live_mark FROM mark_prices)
        SELECT p.symbol, p.position_side,
               CASE WHEN p.position_side IN ('LONG', 'SHORT') THEN p.position_side
                    WHEN p.amount > 0 THEN 'LONG' ELSE 'SHORT' END AS side,
               p.amount::DOUBLE AS size, p.entry_price::DOUBLE AS entry,
               coalesce(m.live_mark, CAST(p.mark_price AS DOUBLE)) AS mark,
               (coalesce(m.live_mark, CAST(p.mark_price AS DOUBLE)) - CAST(p.entry_price AS DOUBLE))
                   * CAST(p.amount AS DOUBLE) AS unrealized_pnl,
               abs(CAST(p.amount AS DOUBLE)) * coalesce(m.live_mark, CAST(p.mark_price AS DOUBLE))
                   AS notional,
               coalesce(p.leverage, s.leverage) AS leverage,
               coalesce(p.margin_type, s.margin_type) AS margin_type,
               p.isolated_margin::DOUBLE AS isolated_margin,
               p.liquidation_price::DOUBLE AS liquidation_price
        FROM positions p LEFT JOIN m USING (symbol)
        LEFT JOIN symbol_settings s USING (symbol)
        WHERE p.amount <> 0 ORDER BY notional DESC
        """,
        exact,
    )
    return read_exact(sql, []) if exact else read_df(sql)


def hedge_mode() -> bool:
    """Whether the futures account is in hedge mode, as the exchange last said (the engine reads
    it at every reconciliation); one-way mode until it has been read."""
    with db.store().reader() as cur:
        row = cur.execute(
            "SELECT value FROM account_settings WHERE name = 'futures_hedge_mode'"
        ).fetchone()
    return bool(row) and row[0] == "true"


def hedge_sides(symbol: str) -> dict[str, Decimal]:
    """Hedge mode: the symbol's open sides (LONG, SHORT) and their signed amounts."""
    with db.store().reader() as cur:
        rows = cur.execute(
            "SELECT position_side, amount FROM positions WHERE symbol = ? AND amount <> 0 "
            "AND position_side IN ('LONG', 'SHORT') ORDER BY position_side",
            [symbol],
        ).fetchall()
    return {side: Decimal(amount) for side, amount in rows}


def equity_curve(days: int = 90) -> pd.DataFrame:
    """Equity snapshots of the last `days` with the running peak and drawdown."""
    return read_df(
        """
        SELECT epoch_ms(time) AS time, equity::DOUBLE AS equity,
               max(equity::DOUBLE) OVER (ORDER BY time) AS peak,
               peak - equity AS drawdown,
               CASE WHEN peak > 0 THEN (peak - equity) / peak * 100 END AS drawdown_pct
        FROM equity WHERE time >= ? ORDER BY time
        """,
        [now_ms() - days * DAY_MS],
    )


@dataclass(frozen=True)
class PortfolioFigures:
    """The engine's valuation at one moment: every header figure comes from the same row."""

    time: pd.Timestamp
    equity: float
    spot_value: float
    futures_wallet: float
    unrealized_pnl: float
    day_start_equity: float | None
    day_start_time: pd.Timestamp | None
    peak_equity: float | None
    unpriced: tuple[str, ...]

    @property
    def daily_pnl(self) -> float | None:
        start = self.day_start_equity
        return None if start is None else self.equity - start

    @property
    def daily_pnl_pct(self) -> float | None:
        start = self.day_start_equity
        return None if not start else (self.equity - start) / start * 100

    @property
    def drawdown(self) -> float | None:
        return None if self.peak_equity is None else max(0.0, self.peak_equity - self.equity)


def portfolio_figures() -> PortfolioFigures | None:
    """The engine's latest valuation of the account (None before its first one)."""
    with db.store().reader() as cur:
        row = cur.execute(
            "SELECT time, equity::DOUBLE, spot_value::DOUBLE, futures_wallet::DOUBLE, "
            "unrealized_pnl::DOUBLE, day_start_equity::DOUBLE, day_start_time, "
            "peak_equity::DOUBLE, unpriced FROM valuation WHERE id = 1"
        ).fetchone()
    if row is None:
        return None
    time_ms, equity, spot, wallet, unrealized, start, start_ms, peak, unpriced = row
    return PortfolioFigures(
        time=pd.to_datetime(time_ms, unit="ms", utc=True), equity=equity, spot_value=spot or 0.0,
        futures_wallet=wallet or 0.0, unrealized_pnl=unrealized or 0.0, day_start_equity=start,
        day_start_time=pd.to_datetime(start_ms, unit="ms", utc=True) if start_ms else None,
        peak_equity=peak, unpriced=tuple(a for a in (unpriced or "").split(",") if a),
    )  # fmt: skip


def risk_usage() -> pd.DataFrame:
    """The use of every limit that is set (name, used, limit, pct, unit), from the engine."""
    return read_df(
        'SELECT name, used::DOUBLE AS used, limit_value::DOUBLE AS "limit", pct::DOUBLE AS pct, '
        "unit FROM risk_usage ORDER BY name"
    )


def current_leverage(symbol: str) -> int:
    """The symbol's futures leverage as last set or reported (1 when never set)."""
    with db.store().reader() as cur:
        row = cur.execute(
            "SELECT coalesce(p.leverage, s.leverage) FROM (SELECT ? AS symbol) q "
            "LEFT JOIN positions p USING (symbol) LEFT JOIN symbol_settings s USING (symbol)",
            [symbol],
        ).fetchone()
    return int(row[0]) if row and row[0] else 1


@dataclass(frozen=True)
class TicketAccount:
    """What the order ticket shows beside the order: what is free, and what is held."""

    base_free: Decimal  # spot: of the base asset
    quote_free: Decimal  # spot: of the quote asset; futures: USDT available for margin
    position: Decimal  # futures: signed amount (0 when flat); spot: the base asset held
    entry: Decimal | None
    liquidation: Decimal | None
    unrealized_pnl: float | None
    margin_type: str  # futures: ISOLATED or CROSSED (Binance's default: cross)
    leverage: int


def ticket_account(market: str, symbol: str, base: str, quote: str) -> TicketAccount:
    """The account as the ticket needs it, exact (one cursor, one moment)."""
    with db.store().reader() as cur:
        free = dict(cur.execute(
            "SELECT asset, free FROM balances WHERE market = ? AND asset IN (?, ?)",
            [market, base, quote],
        ).fetchall())  # fmt: skip
        held = cur.execute(
            "SELECT free + locked FROM balances WHERE market = 'spot' AND asset = ?", [base]
        ).fetchone()
        position = cur.execute(
            "SELECT p.amount, p.entry_price, p.liquidation_price, "
            "(coalesce(m.mark_price, p.mark_price) - p.entry_price) * p.amount "
            "FROM positions p LEFT JOIN mark_prices m USING (symbol) "
            "WHERE p.symbol = ? AND p.amount <> 0",
            [symbol],
        ).fetchone()
        setting = cur.execute(
            "SELECT coalesce(p.margin_type, s.margin_type), coalesce(p.leverage, s.leverage) "
            "FROM (SELECT ? AS symbol) q LEFT JOIN positions p USING (symbol) "
            "LEFT JOIN symbol_settings s USING (symbol)",
            [symbol],
        ).fetchone()
    margin, leverage = setting if setting else (None, None)
    futures = market == "futures"
    amount, entry, liquidation, pnl = position if (futures and position) else (0, None, None, None)
    return TicketAccount(
        base_free=Decimal(free.get(base, 0)), quote_free=Decimal(free.get(quote, 0)),
        position=Decimal(amount) if futures else Decimal(held[0] if held else 0),
        entry=Decimal(entry) if entry is not None else None,
        liquidation=Decimal(liquidation) if liquidation is not None else None,
        unrealized_pnl=float(pnl) if pnl is not None else None,
        margin_type=margin or "CROSSED", leverage=int(leverage or 1),
    )  # fmt: skip


def pair_exposure(market: str, symbol: str, base: str) -> tuple[Decimal, int]:
    """What removing a pair would leave unwatched: (held: spot base balance or futures position
    amount, open orders on it)."""
    with db.store().reader() as cur:
        if market == "spot":
            row = cur.execute(
                "SELECT free + locked FROM balances WHERE market = 'spot' AND asset = ?", [base]
            ).fetchone()
        else:
            row = cur.execute("SELECT amount FROM positions WHERE symbol = ?", [symbol]).fetchone()
        count = cur.execute(
            "SELECT count(*) FROM orders WHERE market = ? AND symbol = ? "
            "AND status IN (SELECT unnest(?))",
            [market, symbol, sorted(OPEN_STATUSES)],
        ).fetchone()
    return Decimal(row[0] if row and row[0] is not None else 0), int(count[0] if count else 0)
