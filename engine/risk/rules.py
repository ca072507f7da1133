"""Pre-trade risk checks and the current use of every limit.

`pre_trade_check` runs the checks in a fixed order and stops at the first refusal:

1. pair selected, 2. market (spot/futures) enabled, 3. kill switch, 4. max open positions,
5. position size (notional per symbol and in total, after the order), 6. risk per trade,
7. max leverage, 8. correlation with the open positions.

An order that only reduces exposure passes every check, the kill switch included: futures
orders flagged reduce-only or close-position, and spot sells (of a stablecoin-quoted pair) no
larger than the holding. A trader must always be able to get out, even of a pair deselected or a
market disabled since the position was opened.

Exposure is counted as if every open order on the same side filled: the committed exposure of a
symbol is |position + same-side open orders + this order| at its price. Positions are valued at
the snapshot's price (spot last, futures mark); the order at its limit price, else its stop
price, else the snapshot's price.

Everything here is pure: the engine builds a `RiskSnapshot`, calls, and acts on the decision.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum

from engine.models import MarketType, OpenOrder, OrderFields, Side
from engine.portfolio.valuation import STABLECOINS, HeldPosition
from engine.risk.config import RiskConfig, RiskPerTradeMode, TradingConfig
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
class _Order:
    """The order as the checks see it: resolved quantity, estimated price, signed size."""

    key: SymbolKey
    side: Side
    quantity: Decimal | None
    price: Decimal | None
    reducing: bool

    @property
    def signed(self) -> Decimal:
        qty = self.quantity or ZERO
        return qty if self.side is Side.BUY else -qty


def _held(snapshot: RiskSnapshot, key: SymbolKey) -> Decimal:
    return sum((p.quantity for p in snapshot.positions if (p.market, p.symbol) == key), ZERO)


def _resolve(order: OrderLike, snapshot: RiskSnapshot) -> _Order:
    key = (order.market, order.symbol)
    held = _held(snapshot, key)
    price = order.price if order.order_type.has_limit_price else order.stop_price
    price = price or snapshot.prices.get(key)
    quantity = order.quantity
    if quantity is None and order.quote_quantity is not None and price:
        quantity = order.quote_quantity / price
    if quantity is None and order.close_position:
        quantity = abs(held)
    return _Order(key, order.side, quantity, price, _reduces(order, held, quantity))


def _reduces(order: OrderLike, held: Decimal, quantity: Decimal | None) -> bool:
    if order.market is MarketType.FUTURES:
        return order.reduce_only or order.close_position
    stable_quote = any(order.symbol.endswith(s) for s in STABLECOINS)
    return order.side is Side.SELL and stable_quote and quantity is not None and quantity <= held


def _refuse(rule: RiskRule, reason: str, **figures: Figure) -> RiskDecision:
    return RiskDecision(False, rule, reason, dict(figures))


@dataclass
class _Context:
    order: _Order
    snapshot: RiskSnapshot
    risk: RiskConfig
    trading: TradingConfig
    correlations: CorrelationLookup | None
    stop_loss: Decimal | None
    figures: dict[str, Figure] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def pre_trade_check(
    order: OrderLike,
    snapshot: RiskSnapshot,
    risk: RiskConfig,
    trading: TradingConfig,
    correlations: CorrelationLookup | None = None,
    stop_loss: Decimal | None = None,
) -> RiskDecision:
    """Decide whether `order` may be sent; on refusal name the rule, the reason and the figures.

    `stop_loss` is the protective stop the trader gave with the order, for risk per trade.
    `correlations` is needed when a correlation limit is set (`DuckDBCorrelations`).
    """
    ctx = _Context(_resolve(order, snapshot), snapshot, risk, trading, correlations, stop_loss)
    for check in _CHECKS:
        refusal = check(ctx)
        if refusal is not None:
            return refusal
        if check is _check_kill_switch and ctx.order.reducing:
            break  # reducing exposure: the limits below cannot be made worse
    return RiskDecision(True, figures=ctx.figures, notes=tuple(ctx.notes))


def _market_name(market: MarketType) -> str:
    return "Spot" if market is MarketType.SPOT else "Futures"


def _check_pair(ctx: _Context) -> RiskDecision | None:
    market, symbol = ctx.order.key
    pairs = ctx.trading.spot_pairs if market is MarketType.SPOT else ctx.trading.futures_pairs
    if symbol in pairs or ctx.order.reducing:
        return None
    return _refuse(
        RiskRule.PAIR_SELECTED,
        f"{symbol} is not among the selected {market} pairs; select it on the Pairs page first.",
    )


def _check_market(ctx: _Context) -> RiskDecision | None:
    market = ctx.order.key[0]
    enabled = ctx.trading.spot_enabled if market is MarketType.SPOT else ctx.trading.futures_enabled
    if enabled or ctx.order.reducing:
        return None
    return _refuse(RiskRule.MARKET_ENABLED, f"{_market_name(market)} trading is turned off.")


def _check_kill_switch(ctx: _Context) -> RiskDecision | None:
    switch = ctx.snapshot.kill_switch
    if not switch.on or ctx.order.reducing:
        return None
    return _refuse(
        RiskRule.KILL_SWITCH,
        f"The kill switch is on ({switch.reason}); only reduce-only and closing orders are "
        "accepted until an admin resets it.",
        tripped_by=switch.tripped_by,
        tripped_at=switch.tripped_at,
    )


def open_keys(snapshot: RiskSnapshot) -> set[SymbolKey]:
    keys = {(p.market, p.symbol) for p in snapshot.positions if p.quantity}
    return keys | {(o.market, o.symbol) for o in snapshot.open_orders if not o.reduce_only}


def _check_open_positions(ctx: _Context) -> RiskDecision | None:
    limit = ctx.risk.max_open_positions
    if limit is None:
        return None
    keys = open_keys(ctx.snapshot)
    after = len(keys | {ctx.order.key})
    ctx.figures.update(open_positions=len(keys), max_open_positions=limit)
    if after <= limit or ctx.order.key in keys:
        ctx.notes.append(f"{after} of {limit} open positions")
        return None
    return _refuse(
        RiskRule.MAX_OPEN_POSITIONS,
        f"A new position in {ctx.order.key[1]} would make {after} open positions (with orders "
        f"waiting to fill); the limit is {limit}.",
        **ctx.figures,
    )


def price_of(snapshot: RiskSnapshot, key: SymbolKey) -> Decimal | None:
    return snapshot.prices.get(key)


def _order_notional(snapshot: RiskSnapshot, order: OpenOrder) -> Decimal | None:
    price = order.price or price_of(snapshot, (order.market, order.symbol))
    return None if price is None else order.quantity * price


@dataclass(frozen=True)
class _Exposure:
    symbol_after: Decimal
    total_after: Decimal


def _exposure(snapshot: RiskSnapshot, order: _Order) -> _Exposure | str:
    """Committed exposure after the order, or the name of a symbol that has no price."""
    assert order.price is not None
    signed = _held(snapshot, order.key) + order.signed
    other = ZERO
    for position in snapshot.positions:
        key = (position.market, position.symbol)
        if key == order.key:
            continue
        price = price_of(snapshot, key)
        if price is None:
            return position.symbol
        other += abs(position.quantity) * price
    for open_order in snapshot.open_orders:
        if open_order.reduce_only:
            continue
        key = (open_order.market, open_order.symbol)
        if key == order.key:
            if open_order.side is order.side:
                signed += open_order.quantity if order.side is Side.BUY else -open_order.quantity
            continue
        notional = _order_notional(snapshot, open_order)
        if notional is None:
            return open_order.symbol
        other += notional
    symbol_after = abs(signed) * order.price
    return _Exposure(symbol_after, other + symbol_after)


def _check_position_size(ctx: _Context) -> RiskDecision | None:
    per_symbol, total = ctx.risk.max_notional_per_symbol, ctx.risk.max_notional_total
    if per_symbol is None and total is None:
        return None
    order = ctx.order
    if order.price is None or order.quantity is None:
        return _refuse(RiskRule.PRICE, f"No price for {order.key[1]} yet; cannot size the order.")
    exposure = _exposure(ctx.snapshot, order)
    if isinstance(exposure, str):
        return _refuse(RiskRule.PRICE, f"No price for {exposure} yet; cannot value exposure.")
    ctx.figures.update(symbol_notional_after=exposure.symbol_after,
                       total_notional_after=exposure.total_after)  # fmt: skip
    for label, used, limit in (
        (f"the {order.key[1]} position limit", exposure.symbol_after, per_symbol),
        ("the total position limit", exposure.total_after, total),
    ):
        if limit is None:
            continue
        if used > limit:
            return _refuse(
                RiskRule.POSITION_SIZE,
                f"Would use {_pct(used, limit)}% of {label} of {limit:,.2f} USDT "
                f"({used:,.2f} USDT after this order).",
                **ctx.figures, limit=limit,
            )  # fmt: skip
        ctx.notes.append(f"would use {_pct(used, limit)}% of {label} of {limit:,.2f} USDT")
    return None


def _pct(used: Decimal, limit: Decimal) -> Decimal:
    return (used / limit * 100).quantize(Decimal("0.1"))


def _check_risk_per_trade(ctx: _Context) -> RiskDecision | None:
    rule = ctx.risk.risk_per_trade
    if rule is None:
        return None
    order, equity = ctx.order, ctx.snapshot.equity
    if order.price is None or order.quantity is None:
        return _refuse(RiskRule.PRICE, f"No price for {order.key[1]} yet; cannot size the order.")
    if equity <= 0:
        return _refuse(RiskRule.RISK_PER_TRADE, f"Equity is {equity:,.2f} USDT; nothing to risk.")
    allowed = equity * rule.pct / 100
    if rule.mode is RiskPerTradeMode.LOSS_AT_STOP and ctx.stop_loss is not None:
        return _loss_at_stop(ctx, ctx.stop_loss, allowed)
    if rule.mode is RiskPerTradeMode.LOSS_AT_STOP and rule.without_stop == "refuse":
        return _refuse(
            RiskRule.RISK_PER_TRADE,
            "Give a stop-loss price: risk per trade is measured as the loss at the stop.",
        )
    notional = order.quantity * order.price
    return _against_equity(ctx, "notional", notional, allowed)


def _loss_at_stop(ctx: _Context, stop: Decimal, allowed: Decimal) -> RiskDecision | None:
    order = ctx.order
    assert order.price is not None and order.quantity is not None
    wrong_side = stop >= order.price if order.side is Side.BUY else stop <= order.price
    if wrong_side:
        where = "below" if order.side is Side.BUY else "above"
        return _refuse(
            RiskRule.RISK_PER_TRADE,
            f"The stop-loss {stop} must be {where} the entry price {order.price} for a "
            f"{order.side.lower()}.",
        )
    loss = order.quantity * abs(order.price - stop)
    return _against_equity(ctx, "loss at the stop", loss, allowed)


def _against_equity(
    ctx: _Context, measure: str, amount: Decimal, allowed: Decimal
) -> RiskDecision | None:
    rule = ctx.risk.risk_per_trade
    assert rule is not None
    equity = ctx.snapshot.equity
    ctx.figures.update(risk_amount=amount, risk_allowed=allowed, equity=equity)
    share = (amount / equity * 100).quantize(Decimal("0.01"))
    if amount > allowed:
        return _refuse(
            RiskRule.RISK_PER_TRADE,
            f"The {measure} of {amount:,.2f} USDT is {share}% of equity "
            f"({equity:,.2f} USDT); the limit is {rule.pct}% ({allowed:,.2f} USDT).",
            **ctx.figures,
        )
    ctx.notes.append(f"{measure}: {amount:,.2f} USDT, {share}% of equity (limit {rule.pct}%)")
    return None


def _check_leverage(ctx: _Context) -> RiskDecision | None:
    limit = ctx.risk.max_leverage
    market, symbol = ctx.order.key
    if limit is None or market is not MarketType.FUTURES:
        return None
    leverage = ctx.snapshot.leverage.get(symbol)
    if leverage is None:
        return _refuse(RiskRule.MAX_LEVERAGE, f"The leverage of {symbol} is not known yet.")
    ctx.figures.update(leverage=leverage, max_leverage=limit)
    if leverage > limit:
        return _refuse(
            RiskRule.MAX_LEVERAGE,
            f"{symbol} is set to {leverage}x; the limit is {limit}x. Lower the leverage first.",
            **ctx.figures,
        )
    return None


def check_leverage_setting(risk: RiskConfig, symbol: str, leverage: int) -> RiskDecision:
    """Decide whether a SetLeverage command may go to the exchange."""
    if risk.max_leverage is not None and leverage > risk.max_leverage:
        return _refuse(
            RiskRule.MAX_LEVERAGE,
            f"{leverage}x for {symbol} is above the limit of {risk.max_leverage}x.",
            leverage=leverage, max_leverage=risk.max_leverage,
        )  # fmt: skip
    return RiskDecision(True)


def _check_correlation(ctx: _Context) -> RiskDecision | None:
    limit = ctx.risk.correlation
    if limit is None:
        return None
    order_key = ctx.order.key
    others = sorted({(p.market, p.symbol) for p in ctx.snapshot.positions if p.quantity})
    for other in others:
        if other[1] == order_key[1]:
            continue  # the same symbol in either market is a matter for the position size limit
        result = (
            ctx.correlations(order_key, other)
            if ctx.correlations is not None
            else CorrelationResult(None, 0, "no candle data was given to the check")
        )
        refusal = _judge_correlation(ctx, other, result)
        if refusal is not None:
            return refusal
    return None


def _judge_correlation(
    ctx: _Context, other: SymbolKey, result: CorrelationResult
) -> RiskDecision | None:
    limit = ctx.risk.correlation
    assert limit is not None
    symbol, window = ctx.order.key[1], f"{limit.lookback_bars} {limit.interval} bars"
    if result.value is None:
        if limit.on_insufficient_data == "pass":
            ctx.notes.append(f"correlation with {other[1]} unknown ({result.reason}); passed")
            return None
        return _refuse(
            RiskRule.CORRELATION,
            f"Cannot measure the correlation of {symbol} with your {other[1]} position over the "
            f"last {window}: {result.reason}.",
            correlation_with=other[1], overlap=result.overlap,
        )  # fmt: skip
    if abs(result.value) > float(limit.max_abs):  # at the limit passes
        return _refuse(
            RiskRule.CORRELATION,
            f"{symbol} moves with your {other[1]} position: correlation {result.value:.2f} over "
            f"the last {window}; the limit is {limit.max_abs}.",
            correlation_with=other[1], correlation=result.value, max_abs=limit.max_abs,
        )  # fmt: skip
    ctx.figures[f"correlation_{other[1]}"] = result.value
    return None


_CHECKS: tuple[Callable[[_Context], RiskDecision | None], ...] = (
    _check_pair,
    _check_market,
    _check_kill_switch,
    _check_open_positions,
    _check_position_size,
    _check_risk_per_trade,
    _check_leverage,
    _check_correlation,
)
