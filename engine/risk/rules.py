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

from collections.abc import Callable
from decimal import Decimal

from engine.models import MarketType
from engine.risk.config import RiskConfig, TradingConfig
from engine.risk.correlation import CorrelationResult, SymbolKey
from engine.risk.decision import (
    CheckContext,
    CorrelationLookup,
    OrderLike,
    RiskDecision,
    RiskRule,
    RiskSnapshot,
    refuse,
    resolve_order,
)
from engine.risk.sizing import check_position_size, check_risk_per_trade


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
    ctx = CheckContext(
        resolve_order(order, snapshot), snapshot, risk, trading, correlations, stop_loss
    )
    for check in _CHECKS:
        refusal = check(ctx)
        if refusal is not None:
            return refusal
        if check is _check_kill_switch and ctx.order.reducing:
            break  # reducing exposure: the limits below cannot be made worse
    return RiskDecision(True, figures=ctx.figures, notes=tuple(ctx.notes))


def _market_name(market: MarketType) -> str:
    return "Spot" if market is MarketType.SPOT else "Futures"


def _check_pair(ctx: CheckContext) -> RiskDecision | None:
    market, symbol = ctx.order.key
    pairs = ctx.trading.spot_pairs if market is MarketType.SPOT else ctx.trading.futures_pairs
    if symbol in pairs or ctx.order.reducing:
        return None
    return refuse(
        RiskRule.PAIR_SELECTED,
        f"{symbol} is not among the selected {market} pairs; select it on the Pairs page first.",
    )


def _check_market(ctx: CheckContext) -> RiskDecision | None:
    market = ctx.order.key[0]
    enabled = ctx.trading.spot_enabled if market is MarketType.SPOT else ctx.trading.futures_enabled
    if enabled or ctx.order.reducing:
        return None
    return refuse(RiskRule.MARKET_ENABLED, f"{_market_name(market)} trading is turned off.")


def _check_kill_switch(ctx: CheckContext) -> RiskDecision | None:
    switch = ctx.snapshot.kill_switch
    if not switch.on or ctx.order.reducing:
        return None
    return refuse(
        RiskRule.KILL_SWITCH,
        f"The kill switch is on ({switch.reason}); only reduce-only and closing orders are "
        "accepted until an admin resets it.",
        tripped_by=switch.tripped_by,
        tripped_at=switch.tripped_at,
    )


def open_keys(snapshot: RiskSnapshot) -> set[SymbolKey]:
    keys = {(p.market, p.symbol) for p in snapshot.positions if p.quantity}
    return keys | {(o.market, o.symbol) for o in snapshot.open_orders if not o.reduce_only}


def _check_open_positions(ctx: CheckContext) -> RiskDecision | None:
    limit = ctx.risk.max_open_positions
    if limit is None:
        return None
    keys = open_keys(ctx.snapshot)
    after = len(keys | {ctx.order.key})
    ctx.figures.update(open_positions=len(keys), max_open_positions=limit)
    if after <= limit or ctx.order.key in keys:
        ctx.notes.append(f"{after} of {limit} open positions")
        return None
    return refuse(
        RiskRule.MAX_OPEN_POSITIONS,
        f"A new position in {ctx.order.key[1]} would make {after} open positions (with orders "
        f"waiting to fill); the limit is {limit}.",
        **ctx.figures,
    )


def _check_leverage(ctx: CheckContext) -> RiskDecision | None:
    limit = ctx.risk.max_leverage
    market, symbol = ctx.order.key
    if limit is None or market is not MarketType.FUTURES:
        return None
    leverage = ctx.snapshot.leverage.get(symbol)
    if leverage is None:
        return refuse(RiskRule.MAX_LEVERAGE, f"The leverage of {symbol} is not known yet.")
    ctx.figures.update(leverage=leverage, max_leverage=limit)
    if leverage > limit:
        return refuse(
            RiskRule.MAX_LEVERAGE,
            f"{symbol} is set to {leverage}x; the limit is {limit}x. Lower the leverage first.",
            **ctx.figures,
        )
    return None


def check_leverage_setting(risk: RiskConfig, symbol: str, leverage: int) -> RiskDecision:
    """Decide whether a SetLeverage command may go to the exchange."""
    if risk.max_leverage is not None and leverage > risk.max_leverage:
        return refuse(
            RiskRule.MAX_LEVERAGE,
            f"{leverage}x for {symbol} is above the limit of {risk.max_leverage}x.",
            leverage=leverage, max_leverage=risk.max_leverage,
        )  # fmt: skip
    return RiskDecision(True)


def _check_correlation(ctx: CheckContext) -> RiskDecision | None:
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
    ctx: CheckContext, other: SymbolKey, result: CorrelationResult
) -> RiskDecision | None:
    limit = ctx.risk.correlation
    assert limit is not None
    symbol, window = ctx.order.key[1], f"{limit.lookback_bars} {limit.interval} bars"
    if result.value is None:
        if limit.on_insufficient_data == "pass":
            ctx.notes.append(f"correlation with {other[1]} unknown ({result.reason}); passed")
            return None
        return refuse(
            RiskRule.CORRELATION,
            f"Cannot measure the correlation of {symbol} with your {other[1]} position over the "
            f"last {window}: {result.reason}.",
            correlation_with=other[1], overlap=result.overlap,
        )  # fmt: skip
    if abs(result.value) > float(limit.max_abs):  # at the limit passes
        return refuse(
            RiskRule.CORRELATION,
            f"{symbol} moves with your {other[1]} position: correlation {result.value:.2f} over "
            f"the last {window}; the limit is {limit.max_abs}.",
            correlation_with=other[1], correlation=result.value, max_abs=limit.max_abs,
        )  # fmt: skip
    ctx.figures[f"correlation_{other[1]}"] = result.value
    return None


_CHECKS: tuple[Callable[[CheckContext], RiskDecision | None], ...] = (
    _check_pair,
    _check_market,
    _check_kill_switch,
    _check_open_positions,
    check_position_size,
    check_risk_per_trade,
    _check_leverage,
    _check_correlation,
)
