"""How much of every limit is in use now, for the Risk page (the checks' own figures)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

import duckdb

from engine.models import MarketType
from engine.risk.config import RiskConfig
from engine.risk.correlation import SymbolKey
from engine.risk.decision import ZERO, RiskSnapshot
from engine.risk.kill_switch import daily_loss_limit, drawdown_limit
from engine.risk.rules import open_keys
from engine.risk.sizing import price_of


@dataclass(frozen=True)
class LimitUsage:
    name: str
    used: Decimal
    limit: Decimal
    pct: Decimal  # used as a percent of the limit
    unit: str = "USDT"


def _usage(name: str, used: Decimal, limit: Decimal, unit: str = "USDT") -> LimitUsage:
    return LimitUsage(name, used, limit, (used / limit * 100).quantize(Decimal("0.01")), unit)


def limit_usage(risk: RiskConfig, snapshot: RiskSnapshot) -> list[LimitUsage]:
    """Return how much of every limit that is set is in use now (unpriced positions left out)."""
    usage: list[LimitUsage] = []
    if risk.max_open_positions is not None:
        count = Decimal(len(open_keys(snapshot)))
        usage.append(_usage("open positions", count, Decimal(risk.max_open_positions), "count"))
    usage += _notional_usage(risk, snapshot)
    usage += _loss_usage(risk, snapshot)
    if risk.max_leverage is not None:
        limit = Decimal(risk.max_leverage)
        futures = sorted({p.symbol for p in snapshot.positions if p.market is MarketType.FUTURES})
        for symbol in futures:
            if symbol in snapshot.leverage:
                used = Decimal(snapshot.leverage[symbol])
                usage.append(_usage(f"leverage {symbol}", used, limit, "x"))
    return usage


def _notional_usage(risk: RiskConfig, snapshot: RiskSnapshot) -> list[LimitUsage]:
    notionals: dict[SymbolKey, Decimal] = {}
    for position in snapshot.positions:
        key = (position.market, position.symbol)
        price = price_of(snapshot, key)
        if price is not None and position.quantity:
            notionals[key] = notionals.get(key, ZERO) + abs(position.quantity) * price
    usage = []
    if risk.max_notional_per_symbol is not None:
        for (market, symbol), notional in sorted(notionals.items(), key=lambda kv: kv[0][::-1]):
            name = f"position {symbol} ({market})"
            usage.append(_usage(name, notional, risk.max_notional_per_symbol))
    if risk.max_notional_total is not None:
        total = sum(notionals.values(), ZERO)
        usage.append(_usage("total position notional", total, risk.max_notional_total))
    return usage


def _loss_usage(risk: RiskConfig, snapshot: RiskSnapshot) -> list[LimitUsage]:
    usage = []
    start, peak, equity = snapshot.start_of_day_equity, snapshot.peak_equity, snapshot.equity
    daily = daily_loss_limit(risk, start) if start is not None else None
    if daily is not None and start is not None:
        usage.append(_usage("daily loss", max(start - equity, ZERO), daily))
    drawdown = drawdown_limit(risk, peak) if peak is not None else None
    if drawdown is not None and peak is not None:
        usage.append(_usage("drawdown from peak", max(peak - equity, ZERO), drawdown))
    return usage


def write_risk_usage(
    con: duckdb.DuckDBPyConnection, usage: Sequence[LimitUsage], now_ms: int
) -> None:
    """Replace the table's rows with `usage` (limits not set have no row)."""
    con.execute("BEGIN")
    try:
        con.execute("DELETE FROM risk_usage")
        if usage:
            con.executemany(
                "INSERT INTO risk_usage (name, used, limit_value, pct, unit, time) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                [(u.name, u.used, u.limit, u.pct, u.unit, now_ms) for u in usage],
            )
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
