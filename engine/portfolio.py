"""Valuation in USDT, equity snapshots, and the daily P&L and drawdown series built from them.

Spot assets are valued at the last price of `<ASSET>USDT`; USDT and the stablecoins in
`STABLECOINS` count at 1. An asset with no price is not valued at 0 silently: it is left out of
the total and named in `unpriced`, so the page can say so. Futures value is the wallet balance
plus the unrealized P&L of every position at its mark.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

import duckdb
import pandas as pd

from engine.models import Balance, MarginBalance, MarketType, Position

ZERO = Decimal(0)
DAY_MS = 86_400_000
STABLECOINS = frozenset({"USDT", "USDC", "FDUSD", "TUSD", "BUSD", "DAI", "USDP", "BNFCR"})


def asset_price(asset: str, prices: Mapping[str, Decimal]) -> Decimal | None:
    """Return the USDT price of `asset` (1 for stablecoins), or None when unknown."""
    if asset in STABLECOINS:
        return Decimal(1)
    return prices.get(f"{asset}USDT")


@dataclass(frozen=True)
class SpotValuation:
    value: Decimal
    by_asset: Mapping[str, Decimal]
    unpriced: tuple[str, ...] = ()


def value_spot(balances: Iterable[Balance], prices: Mapping[str, Decimal]) -> SpotValuation:
    """Value spot balances (free + locked) in USDT at `prices` (symbol -> last price)."""
    by_asset: dict[str, Decimal] = {}
    unpriced = []
    for balance in balances:
        if not balance.total:
            continue
        price = asset_price(balance.asset, prices)
        if price is None:
            unpriced.append(balance.asset)
        else:
            by_asset[balance.asset] = balance.total * price
    return SpotValuation(sum(by_asset.values(), ZERO), by_asset, tuple(sorted(unpriced)))


@dataclass(frozen=True)
class FuturesValuation:
    wallet: Decimal
    unrealized: Decimal
    unpriced: tuple[str, ...] = ()

    @property
    def value(self) -> Decimal:
        return self.wallet + self.unrealized


def position_unrealized(position: Position, mark: Decimal | None) -> Decimal:
    """Return `amount x (mark - entry)`, or the exchange's figure when no mark is known."""
    if mark is None:
        return position.unrealized_pnl
    return position.amount * (mark - position.entry_price)


def value_futures(
    wallets: Iterable[MarginBalance],
    positions: Iterable[Position],
    marks: Mapping[str, Decimal],
    prices: Mapping[str, Decimal] | None = None,
) -> FuturesValuation:
    """Value the USD-M account: wallet balances in USDT plus unrealized P&L at `marks`."""
    wallet, unpriced = ZERO, []
    for margin in wallets:
        price = asset_price(margin.asset, prices or {})
        if price is None:
            unpriced.append(margin.asset)
        else:
            wallet += margin.wallet_balance * price
    unrealized = sum(
        (position_unrealized(p, marks.get(p.symbol, p.mark_price)) for p in positions), ZERO
    )
    return FuturesValuation(wallet, unrealized, tuple(sorted(unpriced)))


@dataclass(frozen=True)
class EquitySnapshot:
    """One row of the `equity` table."""

    time: int
    equity: Decimal
    spot_value: Decimal
    futures_value: Decimal
    realized_pnl: Decimal
    unrealized_pnl: Decimal

    def row(self) -> tuple[int, Decimal, Decimal, Decimal, Decimal, Decimal]:
        return (
            self.time, self.equity, self.spot_value, self.futures_value,
            self.realized_pnl, self.unrealized_pnl,
        )  # fmt: skip


def equity_snapshot(
    time_ms: int,
    spot: SpotValuation,
    futures: FuturesValuation,
    realized_pnl: Decimal,
    spot_unrealized: Decimal = ZERO,
) -> EquitySnapshot:
    """Return the equity row at `time_ms` (call it every minute and at every fill).

    `realized_pnl` is the running total from the ledgers (spot realized in USDT plus futures net);
    `spot_unrealized` is the ledgers' unrealized P&L of spot holdings, added to the futures one.
    """
    return EquitySnapshot(
        time=time_ms,
        equity=spot.value + futures.value,
        spot_value=spot.value,
        futures_value=futures.value,
        realized_pnl=realized_pnl,
        unrealized_pnl=futures.unrealized + spot_unrealized,
    )


def write_equity_snapshot(con: duckdb.DuckDBPyConnection, snapshot: EquitySnapshot) -> None:
    """Store `snapshot` (a later one at the same millisecond replaces it)."""
    con.execute("INSERT OR REPLACE INTO equity VALUES (?, ?, ?, ?, ?, ?)", list(snapshot.row()))


def read_equity(cursor: duckdb.DuckDBPyConnection, since_ms: int = 0) -> list[EquitySnapshot]:
    """Return the stored equity snapshots from `since_ms` on, oldest first."""
    rows = cursor.execute(
        "SELECT time, equity, spot_value, futures_value, realized_pnl, unrealized_pnl "
        "FROM equity WHERE time >= ? ORDER BY time",
        [since_ms],
    ).fetchall()
    return [
        EquitySnapshot(int(r[0]), *(ZERO if v is None else Decimal(v) for v in r[1:])) for r in rows
    ]


# --- Series for the Portfolio and Risk pages ------------------------------------------------------


def utc_day_start(time_ms: int) -> int:
    """Return 00:00 UTC of the day `time_ms` falls in."""
    return time_ms - time_ms % DAY_MS


def start_of_day_equity(snapshots: Sequence[EquitySnapshot], now_ms: int) -> Decimal | None:
    """Return equity at 00:00 UTC today: the last snapshot at or before midnight, else the
    day's first one (a desk started during the day), else None."""
    midnight = utc_day_start(now_ms)
    before = [s for s in snapshots if s.time <= midnight]
    if before:
        return before[-1].equity
    today = [s for s in snapshots if midnight < s.time <= now_ms]
    return today[0].equity if today else None


def peak_equity(snapshots: Iterable[EquitySnapshot], since_ms: int = 0) -> Decimal | None:
    """Return the highest equity from `since_ms` on (after a kill-switch reset: since the reset)."""
    values = [s.equity for s in snapshots if s.time >= since_ms]
    return max(values) if values else None


def daily_pnl(snapshots: Sequence[EquitySnapshot]) -> pd.DataFrame:
    """Return one row per UTC day: date, start and end equity, pnl, pnl_pct (Decimals).

    A day starts from the last equity at or before its midnight (the day before's close), so the
    days chain; the first day starts from its first snapshot. Deposits and withdrawals are not
    told apart from trading here: they show as P&L.
    """
    rows = []
    start: Decimal | None = None
    for day, points in _by_utc_day(snapshots):
        if start is None or points[0].time == day:
            start = points[0].equity
        end = points[-1].equity
        pct = (end - start) / start * 100 if start else None
        rows.append({"date": _date(day), "start_equity": start, "end_equity": end,
                     "pnl": end - start, "pnl_pct": pct})  # fmt: skip
        start = end
    return pd.DataFrame(rows, columns=["date", "start_equity", "end_equity", "pnl", "pnl_pct"])


def _by_utc_day(snapshots: Sequence[EquitySnapshot]) -> list[tuple[int, list[EquitySnapshot]]]:
    days: dict[int, list[EquitySnapshot]] = {}
    for snapshot in sorted(snapshots, key=lambda s: s.time):
        days.setdefault(utc_day_start(snapshot.time), []).append(snapshot)
    return list(days.items())


def _date(day_ms: int) -> str:
    return datetime.fromtimestamp(day_ms / 1000, tz=UTC).date().isoformat()


def drawdown_series(snapshots: Sequence[EquitySnapshot]) -> pd.DataFrame:
    """Return time, equity, running peak, drawdown (peak - equity) and drawdown_pct per snapshot."""
    rows = []
    peak: Decimal | None = None
    for snapshot in sorted(snapshots, key=lambda s: s.time):
        peak = snapshot.equity if peak is None else max(peak, snapshot.equity)
        drawdown = peak - snapshot.equity
        rows.append({"time": snapshot.time, "equity": snapshot.equity, "peak": peak,
                     "drawdown": drawdown, "drawdown_pct": drawdown / peak * 100 if peak > 0
                     else None})  # fmt: skip
    return pd.DataFrame(rows, columns=["time", "equity", "peak", "drawdown", "drawdown_pct"])


# --- Positions for the risk checks ----------------------------------------------------------------


@dataclass(frozen=True)
class HeldPosition:
    """An open position as the risk checks see it: spot holdings are long, futures signed."""

    market: MarketType
    symbol: str
    quantity: Decimal


def spot_positions(
    balances: Iterable[Balance],
    prices: Mapping[str, Decimal],
    quote: str = "USDT",
    dust_usdt: Decimal = Decimal(1),
) -> list[HeldPosition]:
    """Return spot holdings worth at least `dust_usdt` as positions in `<ASSET><quote>`.

    Stablecoins are cash, not positions; an unpriced asset counts (its size is unknown, not small).
    """
    held = []
    for balance in balances:
        if balance.asset in STABLECOINS or balance.total <= 0:
            continue
        price = asset_price(balance.asset, prices)
        if price is None or balance.total * price >= dust_usdt:
            held.append(HeldPosition(MarketType.SPOT, f"{balance.asset}{quote}", balance.total))
    return held


def futures_positions(positions: Iterable[Position]) -> list[HeldPosition]:
    """Return the USD-M positions with a non-zero amount."""
    return [HeldPosition(MarketType.FUTURES, p.symbol, p.amount) for p in positions if p.amount]
