"""Valuation in USDT, equity snapshots, today's start and the peak they are measured from.

Spot assets are valued at the last price of `<ASSET>USDT`; USDT and the stablecoins in
`STABLECOINS` count at 1. An asset with no price is not valued at 0 silently: it is left out of
the total and named in `unpriced`, so the page can say so. Futures value is the wallet balance
plus the unrealized P&L of every position at its mark.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from engine.clock import utc_day_start
from engine.models import Balance, MarginBalance, MarketType, Position

ZERO = Decimal(0)
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


# --- Day start and peak ------------------------------------------------------------------------


def day_start(snapshots: Sequence[EquitySnapshot], now_ms: int) -> EquitySnapshot | None:
    """The snapshot today's P&L counts from: the last at or before 00:00 UTC, else the day's
    first one (a desk started during the day: its `time` says when), else None."""
    midnight = utc_day_start(now_ms)
    before = [s for s in snapshots if s.time <= midnight]
    if before:
        return before[-1]
    today = [s for s in snapshots if midnight < s.time <= now_ms]
    return today[0] if today else None


def start_of_day_equity(snapshots: Sequence[EquitySnapshot], now_ms: int) -> Decimal | None:
    """Equity at 00:00 UTC today (see `day_start`), else None."""
    start = day_start(snapshots, now_ms)
    return start.equity if start else None


def peak_equity(snapshots: Iterable[EquitySnapshot], since_ms: int = 0) -> Decimal | None:
    """Return the highest equity from `since_ms` on (after a kill-switch reset: since the reset)."""
    values = [s.equity for s in snapshots if s.time >= since_ms]
    return max(values) if values else None


@dataclass(frozen=True)
class Valuation:
    """The account valued now, with the marks today's P&L and the drawdown count from."""

    snapshot: EquitySnapshot
    spot: SpotValuation
    futures: FuturesValuation
    asset_prices: Mapping[str, Decimal]  # spot asset -> USDT price used
    day_start_equity: Decimal | None
    day_start_time: int | None  # 00:00 UTC, or later when the desk started during the day
    peak_equity: Decimal | None
    # Every held asset has a price, or the exchange's whole price list has been read (what is
    # unpriced then has no USDT market and stays out of every figure alike). Only a priced
    # valuation may set today's start, move the peak, be stored or be judged by the limits: one
    # taken before the prices arrive leaves assets out and reads as a loss that never happened.
    priced: bool = True

    @property
    def equity(self) -> Decimal:
        return self.snapshot.equity

    @property
    def daily_pnl(self) -> Decimal | None:
        start = self.day_start_equity
        return None if start is None else self.equity - start

    @property
    def drawdown(self) -> Decimal | None:
        peak = self.peak_equity
        return None if peak is None else max(ZERO, peak - self.equity)


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
