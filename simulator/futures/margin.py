"""USD-M margin arithmetic and the value types of an account (Binance's formulas, see
shared/notes/binance-api.md section 8):

- unrealized P&L = amount × (mark − entry)
- initial margin = |amount × mark| / leverage
- maintenance margin = |notional| × mmr − cum, bracket picked by notional
- liquidation price (one-way) = (WB + cross_vars + cum − side·Q·EP) / (Q·mmr − side·Q)
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

from simulator.futures.symbols import MARGIN_ASSET, FuturesSymbol

ZERO = Decimal(0)
BOOK_UNIT = Decimal("0.00000001")
DEFAULT_LEVERAGE = 20


class MarginType(StrEnum):
    CROSSED = "CROSSED"
    ISOLATED = "ISOLATED"

    @property
    def wire(self) -> str:
        """The lower-case form positionRisk and ACCOUNT_UPDATE use."""
        return "cross" if self is MarginType.CROSSED else "isolated"


def book(amount: Decimal) -> Decimal:
    """Round a wallet movement to Binance's 8 decimals."""
    return amount.quantize(BOOK_UNIT, rounding=ROUND_HALF_UP)


def unrealized_pnl(amount: Decimal, entry_price: Decimal, mark_price: Decimal) -> Decimal:
    return amount * (mark_price - entry_price)


def initial_margin(notional: Decimal, leverage: int) -> Decimal:
    return abs(notional) / Decimal(leverage)


def liquidation_price_for(
    amount: Decimal,
    entry_price: Decimal,
    wallet: Decimal,
    maint_margin_ratio: Decimal,
    cum: Decimal,
    others_upnl: Decimal = ZERO,
    others_maint_margin: Decimal = ZERO,
) -> Decimal:
    """Binance's one-way liquidation price for one bracket; 0 when it cannot be liquidated.

    `wallet` is the isolated wallet (isolated) or the cross wallet balance (cross); for cross,
    `others_upnl`/`others_maint_margin` sum over the account's other cross positions.
    """
    if amount == 0:
        return ZERO
    side = Decimal(1) if amount > 0 else Decimal(-1)
    qty = abs(amount)
    numerator = wallet + others_upnl - others_maint_margin + cum - side * qty * entry_price
    denominator = qty * maint_margin_ratio - side * qty
    price = numerator / denominator
    return price if price > 0 else ZERO


def liquidation_price(
    amount: Decimal,
    entry_price: Decimal,
    wallet: Decimal,
    spec: FuturesSymbol,
    others_upnl: Decimal = ZERO,
    others_maint_margin: Decimal = ZERO,
) -> Decimal:
    """Liquidation price with the bracket that holds the position's notional at that price.

    Maintenance margin is continuous across brackets (cum), so exactly one bracket's formula
    lands inside its own notional range; that is the price.
    """
    qty = abs(amount)
    for tier in spec.brackets.brackets:
        price = liquidation_price_for(
            amount,
            entry_price,
            wallet,
            tier.maint_margin_ratio,
            tier.cum,
            others_upnl,
            others_maint_margin,
        )
        if tier.notional_floor <= qty * price < tier.notional_cap:
            return price
    tier = spec.brackets.for_notional(qty * entry_price)
    return liquidation_price_for(
        amount,
        entry_price,
        wallet,
        tier.maint_margin_ratio,
        tier.cum,
        others_upnl,
        others_maint_margin,
    )


def position_key(symbol: str, side: str = "BOTH") -> str:
    """Where a position lives in the account: the symbol (one-way), or symbol:LONG / :SHORT."""
    return symbol if side == "BOTH" else f"{symbol}:{side}"


@dataclass
class Position:
    symbol: str
    amount: Decimal = ZERO  # signed: a SHORT position (or a short BOTH) is negative
    entry_price: Decimal = ZERO
    isolated_wallet: Decimal = ZERO
    accumulated_realized: Decimal = ZERO
    update_time: int = 0
    position_side: str = "BOTH"  # BOTH (one-way mode), LONG or SHORT (hedge mode)

    @property
    def key(self) -> str:
        return position_key(self.symbol, self.position_side)


@dataclass
class SymbolSettings:
    leverage: int = DEFAULT_LEVERAGE
    margin_type: MarginType = MarginType.CROSSED


@dataclass(frozen=True)
class IncomeEntry:
    tran_id: int
    symbol: str
    income_type: str
    income: Decimal
    time: int
    info: str = ""
    trade_id: str = ""

    def to_wire(self) -> dict:
        return {
            "symbol": self.symbol,
            "incomeType": self.income_type,
            "income": f"{self.income:f}",
            "asset": MARGIN_ASSET,
            "info": self.info,
            "time": self.time,
            "tranId": self.tran_id,
            "tradeId": self.trade_id,
        }


@dataclass(frozen=True)
class Fill:
    """One execution against the account; `is_maker` picks the fee rate."""

    symbol: str
    side: str
    qty: Decimal
    price: Decimal
    is_maker: bool
    time: int
    trade_id: int = 0
    position_side: str = "BOTH"


@dataclass(frozen=True)
class FillOutcome:
    realized_pnl: Decimal
    commission: Decimal


@dataclass(frozen=True)
class PositionView:
    """A position valued at a mark price (what positionRisk and account report)."""

    position: Position
    settings: SymbolSettings
    mark_price: Decimal
    notional: Decimal
    unrealized_pnl: Decimal
    initial_margin: Decimal
    maint_margin: Decimal
    liquidation_price: Decimal
    max_notional: Decimal


@dataclass(frozen=True)
class LiquidationFill:
    symbol: str
    side: str
    qty: Decimal
    price: Decimal
    outcome: FillOutcome
    clearance_fee: Decimal
