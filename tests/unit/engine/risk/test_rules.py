"""Pre-trade checks: each rule refuses with its reason and figures, in the documented order, and
passes at its limit; reducing orders always get out; limit use for the Risk page."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import duckdb
import numpy as np
import pytest

from engine.commands import PlaceOrder
from engine.models import MarketType, OpenOrder, OrderType, Side
from engine.portfolio.valuation import HeldPosition
from engine.risk.config import (
    CorrelationLimit,
    KillSwitchAction,
    RiskConfig,
    RiskPerTrade,
    TradingConfig,
)
from engine.risk.correlation import CorrelationResult, DuckDBCorrelations
from engine.risk.decision import RiskRule, RiskSnapshot
from engine.risk.kill_switch import KillSwitch, trip_by_hand
from engine.risk.rules import check_leverage_setting, pre_trade_check
from engine.risk.usage import LimitUsage, limit_usage
from engine.store.schema import migrate

D = Decimal
SPOT, FUT = MarketType.SPOT, MarketType.FUTURES
TRADING = TradingConfig(
    spot_pairs=("BTCUSDT", "ETHUSDT", "SOLUSDT"), futures_pairs=("BTCUSDT", "ETHUSDT", "SOLUSDT")
)
PRICES = {
    (SPOT, "BTCUSDT"): D(40000), (FUT, "BTCUSDT"): D(40000),
    (SPOT, "ETHUSDT"): D(2000), (FUT, "ETHUSDT"): D(2000),
    (SPOT, "SOLUSDT"): D(100), (FUT, "SOLUSDT"): D(100),
}  # fmt: skip
# spot 0.3 BTC = 12,000; futures short 4.5 ETH = 9,000: 21,000 USDT in positions
POSITIONS = (HeldPosition(SPOT, "BTCUSDT", D("0.3")), HeldPosition(FUT, "ETHUSDT", D("-4.5")))
SNAPSHOT = RiskSnapshot(
    equity=D(20000), positions=POSITIONS, prices=PRICES, leverage={"SOLUSDT": 5, "ETHUSDT": 5}
)


def order(
    symbol: str = "SOLUSDT",
    side: Side = Side.BUY,
    qty: str | None = "1",
    market: MarketType = FUT,
    **fields,
) -> PlaceOrder:
    fields.setdefault("order_type", OrderType.MARKET)
    quantity = D(qty) if qty is not None else None
    return PlaceOrder(
        actor="tom", market=market, symbol=symbol, side=side, quantity=quantity, **fields
    )


def check(o: PlaceOrder, risk: RiskConfig | None = None, snapshot=SNAPSHOT, **kw):
    return pre_trade_check(o, snapshot, risk or RiskConfig(), TRADING, **kw)


def test_a_plain_order_passes_with_no_limits_set() -> None:
    decision = check(order())
    assert decision.allowed and decision.rule is None and decision.reason == ""


def test_pair_must_be_selected_in_that_market() -> None:
    decision = check(order("XRPUSDT"))
    assert (decision.allowed, decision.rule) == (False, RiskRule.PAIR_SELECTED)
    assert "XRPUSDT is not among the selected futures pairs" in decision.reason
    only_spot = TradingConfig(spot_pairs=("XRPUSDT",))
    assert not pre_trade_check(order("XRPUSDT"), SNAPSHOT, RiskConfig(), only_spot).allowed


def test_market_must_be_enabled() -> None:
    off = TRADING.model_copy(update={"futures_enabled": False})
    decision = pre_trade_check(order(), SNAPSHOT, RiskConfig(), off)
    assert (decision.rule, decision.reason) == (
        RiskRule.MARKET_ENABLED, "Futures trading is turned off."
    )  # fmt: skip
    assert pre_trade_check(order(market=SPOT), SNAPSHOT, RiskConfig(), off).allowed


KILLED = RiskSnapshot(
    equity=D(20000),
    positions=POSITIONS,
    prices=PRICES,
    kill_switch=trip_by_hand(
        KillSwitch(), "tom", {"trader"}, "news", KillSwitchAction.FLATTEN, 9
    ).state,
)


def test_kill_switch_refuses_new_exposure_but_lets_positions_close() -> None:
    decision = check(order(), snapshot=KILLED)
    assert decision.rule is RiskRule.KILL_SWITCH
    assert "kill switch is on (news)" in decision.reason
    assert decision.figures["tripped_by"] == "tom"
    # futures: reduce-only and close-position orders pass
    assert check(order("ETHUSDT", Side.BUY, "4.5", reduce_only=True), snapshot=KILLED).allowed
    close = order("ETHUSDT", Side.BUY, None, close_position=True, order_type=OrderType.STOP_MARKET,
                  stop_price=D(2100))  # fmt: skip
    assert check(close, snapshot=KILLED).allowed
    # an unflagged futures buy is not trusted to reduce: the position may be gone when it fills
    assert check(order("ETHUSDT", Side.BUY, "1"), snapshot=KILLED).rule is RiskRule.KILL_SWITCH
    # spot: selling what is held passes, selling more does not
    assert check(order("BTCUSDT", Side.SELL, "0.3", SPOT), snapshot=KILLED).allowed
    assert not check(order("BTCUSDT", Side.SELL, "0.31", SPOT), snapshot=KILLED).allowed


def test_closing_passes_even_a_deselected_pair_and_every_limit() -> None:
    tight = RiskConfig(max_open_positions=1, max_notional_total=D(1), max_leverage=1)
    nothing = TradingConfig(spot_enabled=False, futures_enabled=False)
    close = order("ETHUSDT", Side.BUY, "4.5", reduce_only=True)
    assert pre_trade_check(close, KILLED, tight, nothing).allowed
    assert not pre_trade_check(order("ETHUSDT", Side.BUY, "4.5"), KILLED, tight, nothing).allowed


def test_max_open_positions_counts_positions_and_waiting_orders() -> None:
    risk = RiskConfig(max_open_positions=2)
    decision = check(order("SOLUSDT"), risk)
    assert (decision.rule, decision.figures["open_positions"]) == (RiskRule.MAX_OPEN_POSITIONS, 2)
    assert "would make 3 open positions" in decision.reason
    assert check(order("ETHUSDT", Side.SELL, "1"), risk).allowed  # adds to an open one
    assert check(order("SOLUSDT"), RiskConfig(max_open_positions=3)).allowed
    waiting = RiskSnapshot(
        equity=D(20000), positions=POSITIONS, prices=PRICES, leverage=SNAPSHOT.leverage,
        open_orders=(OpenOrder(FUT, "BTCUSDT", Side.BUY, D("0.01"), D(39000)),),
    )  # fmt: skip
    assert not check(order("SOLUSDT"), RiskConfig(max_open_positions=3), waiting).allowed


def test_total_position_limit_with_the_share_it_would_use() -> None:
    risk = RiskConfig(max_notional_total=D(50000))
    # 21,000 held + 100 SOL x 100 = 10,000 -> 31,000 of 50,000 = 62%
    decision = check(order(qty="100"), risk)
    assert decision.allowed
    assert decision.figures["total_notional_after"] == D(31000)
    assert "would use 62.0% of the total position limit of 50,000.00 USDT" in decision.notes
    # exactly at the limit passes: 21,000 + 290 x 100 = 50,000
    assert check(order(qty="290"), risk).allowed
    # a cent over does not: 290.0001 SOL at 100 = 29,000.01
    refused = check(order(qty="290.0001"), risk)
    assert refused.rule is RiskRule.POSITION_SIZE
    assert "Would use 100.0% of the total position limit" in refused.reason
    assert refused.figures["total_notional_after"] == D("50000.01")


def test_per_symbol_limit_counts_the_position_and_same_side_orders() -> None:
    risk = RiskConfig(max_notional_per_symbol=D(12000))
    # short 4.5 ETH (9,000) + sell 1.5 at 2,000 = 6 ETH = 12,000: at the limit
    assert check(order("ETHUSDT", Side.SELL, "1.5"), risk).allowed
    waiting = RiskSnapshot(
        equity=D(20000), positions=POSITIONS, prices=PRICES, leverage=SNAPSHOT.leverage,
        open_orders=(OpenOrder(FUT, "ETHUSDT", Side.SELL, D("0.5"), D(2100)),),
    )  # fmt: skip
    decision = check(order("ETHUSDT", Side.SELL, "1.5"), risk, waiting)
    # 4.5 + 0.5 waiting + 1.5 = 6.5 ETH x 2,000 = 13,000
    assert (decision.rule, decision.figures["symbol_notional_after"]) == (
        RiskRule.POSITION_SIZE, D(13000)
    )  # fmt: skip
    # buying back reduces the short: 3.5 ETH = 7,000
    assert check(order("ETHUSDT", Side.BUY, "1"), risk).figures["symbol_notional_after"] == D(7000)
    # a limit order is valued at its own price: 0.3 BTC + 0.01 at 50,000 -> 0.31 x 50,000 = 15,500
    limit_buy = order("BTCUSDT", Side.BUY, "0.01", SPOT, order_type=OrderType.LIMIT,
                      price=D(50000), time_in_force="GTC")  # fmt: skip
    assert check(limit_buy, risk).figures["symbol_notional_after"] == D(15500)


def test_an_unpriced_symbol_refuses_sizing() -> None:
    risk = RiskConfig(max_notional_total=D(50000))
    blind = RiskSnapshot(equity=D(20000), positions=POSITIONS, prices={(FUT, "SOLUSDT"): D(100)})
    decision = check(order(), risk, blind)
    assert (decision.rule, decision.reason) == (
        RiskRule.PRICE, "No price for BTCUSDT yet; cannot value exposure."
    )  # fmt: skip


def test_risk_per_trade_loss_at_the_stop() -> None:
    risk = RiskConfig(risk_per_trade=RiskPerTrade(pct=D(1)))  # 1% of 20,000 = 200
    # 1 SOL is fine to start; buy 100 SOL at 100 with a stop at 98: 100 x 2 = 200 = the limit
    assert check(order(qty="100"), risk, stop_loss=D(98)).allowed
    refused = check(order(qty="100"), risk, stop_loss=D("97.9999"))  # 200.01
    assert refused.rule is RiskRule.RISK_PER_TRADE
    assert refused.reason == (
        "The loss at the stop of 200.01 USDT is 1.00% of equity (20,000.00 USDT); "
        "the limit is 1% (200.00 USDT)."
    )
    # a short's stop is above: sell 10 SOL at 100, stop 110 -> 100 USDT
    assert check(order(side=Side.SELL, qty="10"), risk, stop_loss=D(110)).allowed
    wrong = check(order(qty="1"), risk, stop_loss=D(101))
    assert "must be below the entry price 100" in wrong.reason
    no_stop = check(order(), risk)
    assert no_stop.rule is RiskRule.RISK_PER_TRADE and "Give a stop-loss price" in no_stop.reason


def test_risk_per_trade_notional_mode_and_fallback() -> None:
    notional = RiskConfig(risk_per_trade=RiskPerTrade(pct=D(25), mode="notional"))
    # 25% of 20,000 = 5,000: 50 SOL = 5,000 passes, 50.01 SOL does not
    assert check(order(qty="50"), notional, stop_loss=D(99)).allowed
    assert check(order(qty="50.01"), notional).rule is RiskRule.RISK_PER_TRADE
    fallback = RiskConfig(risk_per_trade=RiskPerTrade(pct=D(25), without_stop="notional"))
    assert check(order(qty="50"), fallback).allowed
    assert not check(order(qty="51"), fallback).allowed
    broke = RiskSnapshot(equity=D(0), prices=PRICES, leverage=SNAPSHOT.leverage)
    assert "nothing to risk" in check(order(), notional, broke).reason


def test_max_leverage_for_futures_only() -> None:
    risk = RiskConfig(max_leverage=3)
    decision = check(order(), risk)
    assert (decision.rule, decision.figures["leverage"]) == (RiskRule.MAX_LEVERAGE, 5)
    assert check(order(), RiskConfig(max_leverage=5)).allowed
    assert check(order(market=SPOT), risk).allowed
    unknown = check(order("BTCUSDT"), risk)
    assert unknown.reason == "The leverage of BTCUSDT is not known yet."
    assert not check_leverage_setting(risk, "SOLUSDT", 4).allowed
    assert check_leverage_setting(risk, "SOLUSDT", 3).allowed


def fixed(values: dict[str, float | None]):
    def lookup(a, b):
        value = values.get(b[1])
        reason = "" if value is not None else "only 3 aligned returns, 30 needed"
        return CorrelationResult(value, 100 if value is not None else 3, reason)

    return lookup


CORR = RiskConfig(correlation=CorrelationLimit(max_abs=D("0.8"), lookback_bars=100))


def test_correlation_with_any_open_position() -> None:
    decision = check(order(), CORR, correlations=fixed({"BTCUSDT": 0.5, "ETHUSDT": -0.85}))
    assert (decision.rule, decision.figures["correlation_with"]) == (
        RiskRule.CORRELATION, "ETHUSDT"
    )  # fmt: skip
    assert decision.reason == (
        "SOLUSDT moves with your ETHUSDT position: correlation -0.85 over the last 100 1h bars; "
        "the limit is 0.8."
    )
    passed = check(order(), CORR, correlations=fixed({"BTCUSDT": 0.8, "ETHUSDT": -0.3}))
    assert passed.allowed and passed.figures["correlation_BTCUSDT"] == 0.8
    # adding to BTC itself is not a correlation question
    assert check(order("BTCUSDT"), CORR, correlations=fixed({"ETHUSDT": 0.1})).allowed


def test_correlation_with_too_little_data_follows_the_config() -> None:
    lookup = fixed({"BTCUSDT": 0.1, "ETHUSDT": None})
    refused = check(order(), CORR, correlations=lookup)
    assert refused.rule is RiskRule.CORRELATION
    assert "Cannot measure the correlation of SOLUSDT with your ETHUSDT position" in refused.reason
    lenient = RiskConfig(correlation=CORR.correlation.model_copy(
        update={"on_insufficient_data": "pass"}))  # fmt: skip
    passed = check(order(), lenient, correlations=lookup)
    assert passed.allowed and any("ETHUSDT unknown" in note for note in passed.notes)
    assert not check(order(), CORR).allowed  # no candles given at all: unknown, refused


def test_correlation_from_candles_in_duckdb(tmp_path: Path) -> None:
    con = duckdb.connect(str(tmp_path / "desk.duckdb"))
    migrate(con)
    rng = np.random.default_rng(3)
    x = rng.normal(0, 0.01, 60)
    closes = {"SOLUSDT": x, "BTCUSDT": 2 * x, "ETHUSDT": rng.normal(0, 0.01, 60)}
    for symbol, returns in closes.items():
        path = 100 * np.exp(np.concatenate([[0.0], np.cumsum(returns)]))
        market = FUT if symbol == "ETHUSDT" else SPOT
        con.executemany(
            "INSERT INTO klines VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
            [(str(market), symbol, "1h", i * 3_600_000, c, c, c, c, 1.0, 0, 0.0, 1, True)
             for i, c in enumerate(path)],
        )  # fmt: skip
    limit = CORR.correlation
    lookup = DuckDBCorrelations(con.cursor(), "1h", limit.lookback_bars, limit.min_overlap)
    decision = pre_trade_check(order(market=SPOT), SNAPSHOT, CORR, TRADING, lookup)
    # SOL's returns are BTC's halved: correlation 1 with the BTC position
    assert decision.rule is RiskRule.CORRELATION
    assert decision.figures["correlation"] == pytest.approx(1.0)
    con.close()


def test_checks_run_in_order_and_stop_at_the_first_refusal() -> None:
    everything = RiskConfig(max_open_positions=1, max_notional_total=D(1), max_leverage=1)
    assert check(order("XRPUSDT"), everything, KILLED).rule is RiskRule.PAIR_SELECTED
    assert check(order(), everything, KILLED).rule is RiskRule.KILL_SWITCH
    assert check(order(), everything).rule is RiskRule.MAX_OPEN_POSITIONS
    no_count = everything.model_copy(update={"max_open_positions": None})
    assert check(order(), no_count).rule is RiskRule.POSITION_SIZE
    lever_only = RiskConfig(max_leverage=1, correlation=CORR.correlation)
    assert check(order(), lever_only).rule is RiskRule.MAX_LEVERAGE


def test_limit_usage_for_the_risk_page() -> None:
    risk = RiskConfig(
        max_open_positions=4, max_notional_per_symbol=D(15000), max_notional_total=D(50000),
        max_daily_loss_usdt=D(1000), max_drawdown_pct=D(10), max_leverage=10,
    )  # fmt: skip
    snapshot = RiskSnapshot(
        equity=D(19400), positions=POSITIONS, prices=PRICES, leverage={"ETHUSDT": 5},
        start_of_day_equity=D(20000), peak_equity=D(24000),
    )  # fmt: skip
    assert limit_usage(risk, snapshot) == [
        LimitUsage("open positions", D(2), D(4), D(50), "count"),
        LimitUsage("position BTCUSDT (spot)", D(12000), D(15000), D(80)),
        LimitUsage("position ETHUSDT (futures)", D(9000), D(15000), D(60)),
        LimitUsage("total position notional", D(21000), D(50000), D(42)),
        LimitUsage("daily loss", D(600), D(1000), D(60)),  # 20,000 - 19,400
        LimitUsage("drawdown from peak", D(4600), D(2400), D("191.67")),  # 10% of 24,000
        LimitUsage("leverage ETHUSDT", D(5), D(10), D(50), "x"),
    ]
    assert limit_usage(RiskConfig(), snapshot) == []


def test_in_hedge_mode_a_long_and_a_short_are_both_exposure() -> None:
    """Hedge mode: a long 3 ETH and a short 2 ETH are 5 ETH of exposure, not 1 net."""
    hedged = RiskSnapshot(
        equity=D(20000), prices=PRICES, leverage=SNAPSHOT.leverage,
        positions=(HeldPosition(FUT, "ETHUSDT", D(3)), HeldPosition(FUT, "ETHUSDT", D(-2))),
    )  # fmt: skip
    risk = RiskConfig(max_notional_per_symbol=D(11000))
    # long 3 + 0.5 more + short 2 = 5.5 ETH x 2,000 = 11,000: at the limit
    assert check(order("ETHUSDT", Side.BUY, "0.5", position_side="LONG"), risk, hedged).allowed
    more = check(order("ETHUSDT", Side.SELL, "1", position_side="SHORT"), risk, hedged)
    assert (more.rule, more.figures["symbol_notional_after"]) == (RiskRule.POSITION_SIZE, D(12000))
    # selling on LONG closes part of the long: a reducing order, which the limit lets through
    assert check(order("ETHUSDT", Side.SELL, "1", position_side="LONG"), risk, hedged).allowed
