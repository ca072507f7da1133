"""The checks on an order's size: position limits (per symbol and in total) and risk per trade.

Exposure is counted as if every open order on the same side filled: the committed exposure of a
symbol is |position + same-side open orders + this order| at its price.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from engine.models import OpenOrder, Side
from engine.risk.config import RiskPerTradeMode
from engine.risk.correlation import SymbolKey
from engine.risk.decision import (
    ZERO,
    CheckContext,
    ResolvedOrder,
    RiskDecision,
    RiskRule,
    RiskSnapshot,
    held_quantity,
    refuse,
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


def _exposure(snapshot: RiskSnapshot, order: ResolvedOrder) -> _Exposure | str:
    """Committed exposure after the order, or the name of a symbol that has no price."""
    assert order.price is not None
    signed, hedged = _held_on_side(snapshot, order)
    signed += order.signed
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
    symbol_after = (abs(signed) + hedged) * order.price
    return _Exposure(symbol_after, other + symbol_after)


def _held_on_side(snapshot: RiskSnapshot, order: ResolvedOrder) -> tuple[Decimal, Decimal]:
    """(the signed position the order adds to or reduces, the other side's size). In hedge mode
    a long and a short are both exposure (they do not net out); one-way mode has one side."""
    if order.position_side not in ("LONG", "SHORT"):
        return held_quantity(snapshot, order.key), ZERO
    rows = [p.quantity for p in snapshot.positions if (p.market, p.symbol) == order.key]
    long = order.position_side == "LONG"
    mine = sum((q for q in rows if (q > 0) == long and q), ZERO)
    return mine, sum((abs(q) for q in rows if (q > 0) != long and q), ZERO)


def check_position_size(ctx: CheckContext) -> RiskDecision | None:
    per_symbol, total = ctx.risk.max_notional_per_symbol, ctx.risk.max_notional_total
    if per_symbol is None and total is None:
        return None
    order = ctx.order
    if order.price is None or order.quantity is None:
        return refuse(RiskRule.PRICE, f"No price for {order.key[1]} yet; cannot size the order.")
    exposure = _exposure(ctx.snapshot, order)
    if isinstance(exposure, str):
        return refuse(RiskRule.PRICE, f"No price for {exposure} yet; cannot value exposure.")
    ctx.figures.update(symbol_notional_after=exposure.symbol_after,
                       total_notional_after=exposure.total_after)  # fmt: skip
    for label, used, limit in (
        (f"the {order.key[1]} position limit", exposure.symbol_after, per_symbol),
        ("the total position limit", exposure.total_after, total),
    ):
        if limit is None:
            continue
        if used > limit:
            return refuse(
                RiskRule.POSITION_SIZE,
                f"Would use {_pct(used, limit)}% of {label} of {limit:,.2f} USDT "
                f"({used:,.2f} USDT after this order).",
                **ctx.figures, limit=limit,
            )  # fmt: skip
        ctx.notes.append(f"would use {_pct(used, limit)}% of {label} of {limit:,.2f} USDT")
    return None


def _pct(used: Decimal, limit: Decimal) -> Decimal:
    return (used / limit * 100).quantize(Decimal("0.1"))


def check_risk_per_trade(ctx: CheckContext) -> RiskDecision | None:
    rule = ctx.risk.risk_per_trade
    if rule is None:
        return None
    order, equity = ctx.order, ctx.snapshot.equity
    if order.price is None or order.quantity is None:
        return refuse(RiskRule.PRICE, f"No price for {order.key[1]} yet; cannot size the order.")
    if equity <= 0:
        return refuse(RiskRule.RISK_PER_TRADE, f"Equity is {equity:,.2f} USDT; nothing to risk.")
    allowed = equity * rule.pct / 100
    if rule.mode is RiskPerTradeMode.LOSS_AT_STOP and ctx.stop_loss is not None:
        return _loss_at_stop(ctx, ctx.stop_loss, allowed)
    if rule.mode is RiskPerTradeMode.LOSS_AT_STOP and rule.without_stop == "refuse":
        return refuse(
            RiskRule.RISK_PER_TRADE,
            "Give a stop-loss price: risk per trade is measured as the loss at the stop.",
        )
    notional = order.quantity * order.price
    return _against_equity(ctx, "notional", notional, allowed)


def _loss_at_stop(ctx: CheckContext, stop: Decimal, allowed: Decimal) -> RiskDecision | None:
    order = ctx.order
    assert order.price is not None and order.quantity is not None
    wrong_side = stop >= order.price if order.side is Side.BUY else stop <= order.price
    if wrong_side:
        where = "below" if order.side is Side.BUY else "above"
        return refuse(
            RiskRule.RISK_PER_TRADE,
            f"The stop-loss {stop} must be {where} the entry price {order.price} for a "
            f"{order.side.lower()}.",
        )
    loss = order.quantity * abs(order.price - stop)
    return _against_equity(ctx, "loss at the stop", loss, allowed)


def _against_equity(
    ctx: CheckContext, measure: str, amount: Decimal, allowed: Decimal
) -> RiskDecision | None:
    rule = ctx.risk.risk_per_trade
    assert rule is not None
    equity = ctx.snapshot.equity
    ctx.figures.update(risk_amount=amount, risk_allowed=allowed, equity=equity)
    share = (amount / equity * 100).quantize(Decimal("0.01"))
    if amount > allowed:
        return refuse(
            RiskRule.RISK_PER_TRADE,
            f"The {measure} of {amount:,.2f} USDT is {share}% of equity "
            f"({equity:,.2f} USDT); the limit is {rule.pct}% ({allowed:,.2f} USDT).",
            **ctx.figures,
        )
    ctx.notes.append(f"{measure}: {amount:,.2f} USDT, {share}% of equity (limit {rule.pct}%)")
    return None
