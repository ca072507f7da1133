"""Realized and unrealized P&L from fills, in exact Decimal arithmetic.

Spot uses average cost. What a fill's commission does depends on its asset:
- quote asset: on a buy it is part of the cost basis (an acquisition cost, as an accountant
  capitalises it), so it lowers P&L when that quantity is sold; on a sell it lowers the proceeds;
- base asset: it lowers the quantity held (a buy receives less; a sell gives up more), so the
  average cost per unit held rises;
- any other asset (BNB): valued at its price in the quote asset at the fill time when the caller
  gives that price, and then treated like a quote fee; otherwise kept apart in `unvalued_fees`.

USD-M futures (one-way mode): adds move the entry price to the quantity-weighted average, a
reduction realizes `closed x (exit - entry) x side`, and a fill through zero realizes the closed
part and opens the rest at the fill price. Commissions and funding are their own lines, so
`net = realized - fees + funding`.

Ledgers are immutable; each `apply_*` returns the next ledger.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal

import duckdb

from engine.models import Fill, MarketType, Side

ZERO = Decimal(0)

# Price of `asset` in the fill's quote asset at `time_ms`, or None when not known.
FeePrice = Callable[[str, int], Decimal | None]


def _add_fee(fees: Mapping[str, Decimal], asset: str, amount: Decimal) -> dict[str, Decimal]:
    merged = dict(fees)
    merged[asset] = merged.get(asset, ZERO) + amount
    return merged


# --- Spot ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SpotLedger:
    """Average-cost book of one spot symbol. Money is in the quote asset."""

    symbol: str
    base: str
    quote: str
    quantity: Decimal = ZERO  # base held, as the fills made it
    cost: Decimal = ZERO  # cost basis of `quantity`, fees on buys included
    realized: Decimal = ZERO  # net of every valued fee
    fees: Decimal = ZERO  # every valued fee, in quote (already inside cost or realized)
    unvalued_fees: Mapping[str, Decimal] = field(default_factory=dict)
    # Sold beyond what the fills bought (e.g. coins deposited): no cost known, kept out of P&L.
    unmatched_quantity: Decimal = ZERO
    unmatched_proceeds: Decimal = ZERO

    @property
    def average_cost(self) -> Decimal | None:
        return self.cost / self.quantity if self.quantity else None

    def unrealized(self, price: Decimal) -> Decimal:
        """Return the P&L of the quantity held if it were valued at `price`."""
        return self.quantity * price - self.cost


@dataclass(frozen=True)
class _FeeEffect:
    base: Decimal = ZERO  # base quantity the fee takes
    quote: Decimal = ZERO  # fee valued in quote
    unvalued: tuple[str, Decimal] | None = None


def _spot_fee(ledger: SpotLedger, fill: Fill, fee_price: Decimal | None) -> _FeeEffect:
    amount, asset = fill.commission, fill.commission_asset
    if not amount or asset is None:
        return _FeeEffect()
    if asset == ledger.base:
        return _FeeEffect(base=amount)
    if asset == ledger.quote:
        return _FeeEffect(quote=amount)
    if fee_price is not None:
        return _FeeEffect(quote=amount * fee_price)
    return _FeeEffect(unvalued=(asset, amount))


def apply_spot_fill(ledger: SpotLedger, fill: Fill, fee_price: Decimal | None = None) -> SpotLedger:
    """Return the ledger after `fill`; `fee_price` values a third-asset commission in quote."""
    fee = _spot_fee(ledger, fill, fee_price)
    if fee.unvalued is not None:
        ledger = replace(ledger, unvalued_fees=_add_fee(ledger.unvalued_fees, *fee.unvalued))
    if fill.side is Side.BUY:
        return _spot_buy(ledger, fill, fee)
    return _spot_sell(ledger, fill, fee)


def _spot_buy(ledger: SpotLedger, fill: Fill, fee: _FeeEffect) -> SpotLedger:
    return replace(
        ledger,
        quantity=ledger.quantity + fill.qty - fee.base,
        cost=ledger.cost + fill.quote_qty + fee.quote,
        fees=ledger.fees + fee.quote + fee.base * fill.price,
    )


def _spot_sell(ledger: SpotLedger, fill: Fill, fee: _FeeEffect) -> SpotLedger:
    leaving = fill.qty + fee.base
    matched = min(leaving, ledger.quantity)
    unmatched = leaving - matched
    net_proceeds = fill.quote_qty - fee.quote
    # The unmatched part's share of the proceeds stays out of P&L: its cost is unknown.
    unmatched_proceeds = net_proceeds * unmatched / leaving if unmatched else ZERO
    proceeds = net_proceeds - unmatched_proceeds
    if matched == ledger.quantity:
        released = ledger.cost  # a full close releases the whole basis, to the last digit
    else:
        released = ledger.cost * matched / ledger.quantity
    return replace(
        ledger,
        quantity=ledger.quantity - matched,
        cost=ledger.cost - released,
        realized=ledger.realized + proceeds - released,
        fees=ledger.fees + fee.quote + fee.base * fill.price,
        unmatched_quantity=ledger.unmatched_quantity + unmatched,
        unmatched_proceeds=ledger.unmatched_proceeds + unmatched_proceeds,
    )


def replay_spot_fills(
    ledger: SpotLedger, fills: Iterable[Fill], fee_price: FeePrice | None = None
) -> SpotLedger:
    """Apply `fills` (oldest first) to `ledger`; `fee_price` values third-asset commissions."""
    for fill in fills:
        price = None
        if fee_price is not None and fill.commission_asset not in (None, ledger.base, ledger.quote):
            price = fee_price(fill.commission_asset, fill.time)
        ledger = apply_spot_fill(ledger, fill, price)
    return ledger


# --- USD-M futures -------------------------------------------------------------------------------


@dataclass(frozen=True)
class FuturesLedger:
    """One-way USD-M position of one symbol, built from its fills. Money is in the margin asset."""

    symbol: str
    margin_asset: str = "USDT"
    amount: Decimal = ZERO  # signed: short < 0
    entry_cost: Decimal = ZERO  # |amount| x entry price, kept whole so the average stays exact
    realized: Decimal = ZERO  # trading P&L before fees and funding (Binance's realizedPnl)
    fees: Decimal = ZERO  # commissions valued in the margin asset
    funding: Decimal = ZERO  # received (+) or paid (-)
    unvalued_fees: Mapping[str, Decimal] = field(default_factory=dict)

    @property
    def entry_price(self) -> Decimal | None:
        return self.entry_cost / abs(self.amount) if self.amount else None

    @property
    def net(self) -> Decimal:
        return self.realized - self.fees + self.funding

    def unrealized(self, mark: Decimal) -> Decimal:
        """Return `amount x (mark - entry)`."""
        if not self.amount:
            return ZERO
        side = 1 if self.amount > 0 else -1
        return self.amount * mark - side * self.entry_cost


def apply_futures_fill(
    ledger: FuturesLedger, fill: Fill, fee_price: Decimal | None = None
) -> FuturesLedger:
    """Return the ledger after `fill`; `fee_price` values a non-margin-asset commission."""
    ledger = _futures_fee(ledger, fill, fee_price)
    delta = fill.qty if fill.side is Side.BUY else -fill.qty
    if ledger.amount == 0 or (ledger.amount > 0) == (delta > 0):
        return replace(
            ledger,
            amount=ledger.amount + delta,
            entry_cost=ledger.entry_cost + fill.qty * fill.price,
        )
    return _reduce(ledger, delta, fill.price)


def _reduce(ledger: FuturesLedger, delta: Decimal, price: Decimal) -> FuturesLedger:
    held = abs(ledger.amount)
    side = 1 if ledger.amount > 0 else -1
    closed = min(abs(delta), held)
    released = ledger.entry_cost if closed == held else ledger.entry_cost * closed / held
    realized = ledger.realized + side * (closed * price - released)
    opened = abs(delta) - closed  # beyond zero: a new position the other way, entered at `price`
    return replace(
        ledger,
        amount=ledger.amount + delta,
        entry_cost=ledger.entry_cost - released + opened * price,
        realized=realized,
    )


def _futures_fee(ledger: FuturesLedger, fill: Fill, fee_price: Decimal | None) -> FuturesLedger:
    amount, asset = fill.commission, fill.commission_asset
    if not amount or asset is None:
        return ledger
    if asset == ledger.margin_asset:
        return replace(ledger, fees=ledger.fees + amount)
    if fee_price is not None:
        return replace(ledger, fees=ledger.fees + amount * fee_price)
    return replace(ledger, unvalued_fees=_add_fee(ledger.unvalued_fees, asset, amount))


def apply_funding(ledger: FuturesLedger, amount: Decimal) -> FuturesLedger:
    """Book one funding payment: the wallet change of a FUNDING_FEE account update (signed)."""
    return replace(ledger, funding=ledger.funding + amount)


def funding_payment(position_amount: Decimal, mark: Decimal, rate: Decimal) -> Decimal:
    """Return what the account receives at a funding time: longs pay when the rate is positive."""
    return -(position_amount * mark * rate)


def replay_futures_fills(
    ledger: FuturesLedger, fills: Iterable[Fill], fee_price: FeePrice | None = None
) -> FuturesLedger:
    """Apply `fills` (oldest first) to `ledger`; `fee_price` values non-margin commissions."""
    for fill in fills:
        price = None
        if fee_price is not None and fill.commission_asset not in (None, ledger.margin_asset):
            price = fee_price(fill.commission_asset, fill.time)
        ledger = apply_futures_fill(ledger, fill, price)
    return ledger


# --- Reading fills and summing P&L ---------------------------------------------------------------


def read_fills(
    cursor: duckdb.DuckDBPyConnection, market: MarketType, symbol: str, since_ms: int = 0
) -> list[Fill]:
    """Return the stored fills of one symbol from `since_ms` on, oldest first (for a replay)."""
    rows = cursor.execute(
        "SELECT trade_id, client_order_id, exchange_order_id, side, price, qty, quote_qty, "
        "commission, commission_asset, is_maker, realized_pnl, time FROM fills "
        "WHERE market = ? AND symbol = ? AND time >= ? ORDER BY time, trade_id",
        [str(market), symbol, since_ms],
    ).fetchall()
    return [_fill(market, symbol, row) for row in rows]


def _fill(market: MarketType, symbol: str, row: tuple) -> Fill:
    trade_id, client_id, exchange_id, side, price, qty, quote_qty, *rest = row
    commission, commission_asset, is_maker, realized_pnl, time = rest
    return Fill(
        market=market, symbol=symbol, trade_id=trade_id, client_order_id=client_id or "",
        exchange_order_id=str(exchange_id or ""), side=Side(side), price=price, qty=qty,
        quote_qty=quote_qty, commission=commission or ZERO, commission_asset=commission_asset,
        is_maker=is_maker, realized_pnl=realized_pnl, time=time,
    )  # fmt: skip


def realized_in_usdt(
    spot: Iterable[SpotLedger],
    futures: Iterable[FuturesLedger],
    quote_prices: Mapping[str, Decimal | None],
) -> Decimal:
    """Sum realized P&L in USDT: spot in its quote asset times `quote_prices[quote]` (1 for
    USDT), futures net of fees and funding. A ledger whose quote has no price raises KeyError."""
    total = sum((ledger.net for ledger in futures), ZERO)
    for ledger in spot:
        price = Decimal(1) if ledger.quote == "USDT" else quote_prices[ledger.quote]
        if price is None:
            raise KeyError(ledger.quote)
        total += ledger.realized * price
    return total
