"""Portfolio reads: balances, positions, the equity curve, the engine's valuation, limit use."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from app import db
from engine.clock import DAY_MS, now_ms


def spot_balances() -> pd.DataFrame:
    """Spot balances with the USDT price and value the engine's valuation used (None when it
    has no price for the asset), so the table adds up to the engine's spot value."""
    return db.read_df(
        """
        WITH v AS (SELECT assets FROM valuation WHERE id = 1)
        SELECT b.asset, b.free::DOUBLE AS free, b.locked::DOUBLE AS locked,
               (b.free + b.locked)::DOUBLE AS total,
               TRY_CAST(json_extract_string(v.assets, '$."' || b.asset || '".price') AS DOUBLE)
                   AS price,
               total * price AS value_usdt, epoch_ms(b.updated_ms) AS updated
        FROM balances b LEFT JOIN v ON TRUE
        WHERE b.market = 'spot' AND b.free + b.locked > 0
        ORDER BY value_usdt DESC NULLS LAST, b.asset
        """
    )


def futures_wallet() -> pd.DataFrame:
    """USD-M wallet balances (free = available for new margin)."""
    return db.read_df(
        "SELECT asset, free::DOUBLE AS available, (free + locked)::DOUBLE AS wallet "
        "FROM balances WHERE market = 'futures' AND free + locked > 0 ORDER BY asset"
    )


def futures_positions() -> pd.DataFrame:
    """Open USD-M positions, marked at the freshest mark price we hold."""
    return db.read_df(
        """
        SELECT p.symbol, CASE WHEN p.amount > 0 THEN 'LONG' ELSE 'SHORT' END AS side,
               p.amount::DOUBLE AS size, p.entry_price::DOUBLE AS entry,
               coalesce(m.mark_price, p.mark_price::DOUBLE) AS mark,
               (coalesce(m.mark_price, p.mark_price::DOUBLE) - p.entry_price::DOUBLE)
                   * p.amount::DOUBLE AS unrealized_pnl,
               abs(p.amount::DOUBLE) * coalesce(m.mark_price, p.mark_price::DOUBLE) AS notional,
               coalesce(p.leverage, s.leverage) AS leverage,
               coalesce(p.margin_type, s.margin_type) AS margin_type,
               p.isolated_margin::DOUBLE AS isolated_margin,
               p.liquidation_price::DOUBLE AS liquidation_price
        FROM positions p LEFT JOIN mark_prices m USING (symbol)
        LEFT JOIN symbol_settings s USING (symbol)
        WHERE p.amount <> 0 ORDER BY notional DESC
        """
    )


def equity_curve(days: int = 90) -> pd.DataFrame:
    """Equity snapshots of the last `days` with the running peak and drawdown."""
    return db.read_df(
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
    return db.read_df(
        'SELECT name, used::DOUBLE AS used, limit_value::DOUBLE AS "limit", pct::DOUBLE AS pct, '
        "unit FROM risk_usage ORDER BY name"
    )
