"""What the risk checks read and answer: the snapshot, the rules, the decision."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum

from engine.models import MarketType, OpenOrder, OrderFields, Side
from engine.portfolio.valuation import STABLECOINS, HeldPosition
from engine.risk.config import RiskConfig, TradingConfig
from engine.risk.correlation import CorrelationResult, SymbolKey
from engine.risk.kill_switch import KillSwitch

ZERO = Decimal(0)

CorrelationLookup = Callable[[SymbolKey, SymbolKey], CorrelationResult]


OrderLike = OrderFields  # the fields of `engine.commands.PlaceOrder` the checks read


@dataclass(frozen=True)
class RiskSnapshot:
    equity: Decimal  # USDT, spot + futures
    positions: Sequence[HeldPosition] = ()
    open_orders: Sequence[OpenOrder] = ()
    prices: Mapping[SymbolKey, Decimal] = field(default_factory=dict)  # spot last, futures mark
    leverage: Mapping[str, int] = field(default_factory=dict)  # futures symbol -> setting
    kill_switch: KillSwitch = field(default_factory=KillSwitch)
    start_of_day_equity: Decimal | None = None  # equity at 00:00 UTC (or the desk's start)
    peak_equity: Decimal | None = None  # since the kill switch's last reset


class RiskRule(StrEnum):
    PAIR_SELECTED = "pair_selected"
    MARKET_ENABLED = "market_enabled"
    KILL_SWITCH = "kill_switch"
    MAX_OPEN_POSITIONS = "max_open_positions"
    POSITION_SIZE = "position_size"
    RISK_PER_TRADE = "risk_per_trade"
    MAX_LEVERAGE = "max_leverage"
    CORRELATION = "correlation"
    PRICE = "price"  # the order could not be valued


Figure = Decimal | int | float | str | None


@dataclass(frozen=True)
class RiskDecision:
    allowed: bool
    rule: RiskRule | None = None  # the rule that refused
    reason: str = ""
    figures: dict[str, Figure] = field(default_factory=dict)
    notes: tuple[str, ...] = ()  # for the ticket: "would use 62% of the 50,000 USDT total limit"


@dataclass(frozen=True)
class ResolvedOrder:
    """The order as the checks see it: resolved quantity, estimated price, signed size."""

    key: SymbolKey
    side: Side
    quantity: Decimal | None
    price: Decimal | None
    reducing: bool
    position_side: str | None = None  # USD-M hedge mode: LONG or SHORT

    @property
    def signed(self) -> Decimal:
        qty = self.quantity or ZERO
        return qty if self.side is Side.BUY else -qty


def held_quantity(snapshot: RiskSnapshot, key: SymbolKey) -> Decimal:
    return sum((p.quantity for p in snapshot.positions if (p.market, p.symbol) == key), ZERO)


def resolve_order(order: OrderLike, snapshot: RiskSnapshot) -> ResolvedOrder:
    key = (order.market, order.symbol)
    held = held_quantity(snapshot, key)
    price = order.price if order.order_type.has_limit_price else order.stop_price
    price = price or snapshot.prices.get(key)
    quantity = order.quantity
    if quantity is None and order.quote_quantity is not None and price:
        quantity = order.quote_quantity / price
    if quantity is None and order.close_position:
        quantity = abs(held)
    side = str(getattr(order, "position_side", None) or "") or None
    return ResolvedOrder(key, order.side, quantity, price, _reduces(order, held, quantity), side)


def _reduces(order: OrderLike, held: Decimal, quantity: Decimal | None) -> bool:
    if order.market is MarketType.FUTURES:
        # Hedge mode has no reduce-only: a SELL on LONG (or a BUY on SHORT) closes that side.
        side = str(getattr(order, "position_side", None) or "")
        closes_side = (side, order.side) in (("LONG", Side.SELL), ("SHORT", Side.BUY))
        return order.reduce_only or order.close_position or closes_side
    stable_quote = any(order.symbol.endswith(s) for s in STABLECOINS)
    return order.side is Side.SELL and stable_quote and quantity is not None and quantity <= held


def refuse(rule: RiskRule, reason: str, **figures: Figure) -> RiskDecision:
    return RiskDecision(False, rule, reason, dict(figures))


@dataclass
class CheckContext:
    order: ResolvedOrder
    snapshot: RiskSnapshot
    risk: RiskConfig
    trading: TradingConfig
    correlations: CorrelationLookup | None
    stop_loss: Decimal | None
    figures: dict[str, Figure] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
