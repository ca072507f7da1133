"""Symbol filters: parsing exchangeInfo, validating orders, explicit rounding."""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.binance.symbols import rules_from_symbol
from engine.models import MarketType, OrderType, Side, SymbolRules, TimeInForce
from engine.orders.filters import validate_order
from engine.orders.grid import RoundingMode, round_price, round_quantity
from engine.orders.violations import Violation, ViolationKind
from tests.conftest import SHARED_DATA

D = Decimal


@dataclass(frozen=True)
class OrderSpec:
    """A plain order for the filters: unlike `PlaceOrder` it may break the command's own rules,
    so the filters' parameter checks can be reached."""

    market: MarketType
    symbol: str
    side: Side
    order_type: OrderType
    quantity: Decimal | None = None
    quote_quantity: Decimal | None = None
    price: Decimal | None = None
    stop_price: Decimal | None = None
    time_in_force: TimeInForce | None = None
    post_only: bool = False
    reduce_only: bool = False
    close_position: bool = False


FIXTURES = SHARED_DATA / "fixtures"
SPOT_INFO = FIXTURES / "cryptofeed" / "BINANCE.0"
FUTURES_INFO = FIXTURES / "cryptofeed" / "BINANCE_FUTURES.0"
NT_RESPONSES = (
    FIXTURES / "nautilus_trader/tests/integration_tests/adapters/binance/resources/http_responses"
)


@cache
def _recorded_exchange_info(path: Path) -> dict[str, Any]:
    """cryptofeed's recording: first line is `<url> -> <ts>: <json>`."""
    if not path.exists():
        pytest.skip(f"recorded exchangeInfo not found at {path}")
    first_line = path.read_text(encoding="utf-8").splitlines()[0]
    return json.loads(first_line.split(": ", 1)[1])


def _symbol_entry(path: Path, symbol: str) -> dict[str, Any]:
    info = _recorded_exchange_info(path)
    return next(entry for entry in info["symbols"] if entry["symbol"] == symbol)


def _spot_btcusdt() -> SymbolRules:
    return rules_from_symbol(MarketType.SPOT, _symbol_entry(SPOT_INFO, "BTCUSDT"))


def _futures_btcusdt() -> SymbolRules:
    return rules_from_symbol(MarketType.FUTURES, _symbol_entry(FUTURES_INFO, "BTCUSDT"))


def _limit(market: MarketType, qty: str, price: str, side: Side = Side.BUY, **extra) -> OrderSpec:
    return OrderSpec(
        market=market,
        symbol="BTCUSDT",
        side=side,
        order_type=OrderType.LIMIT,
        quantity=D(qty),
        price=D(price),
        time_in_force=TimeInForce.GTC,
        **extra,
    )


def _codes(violations: list[Violation]) -> list[tuple[str, int]]:
    return [(v.filter, v.code) for v in violations]


# --- parsing the recorded exchangeInfo ---------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "market", "total", "trading"),
    [(SPOT_INFO, MarketType.SPOT, 1695, 1262), (FUTURES_INFO, MarketType.FUTURES, 122, 121)],
)
def test_every_recorded_symbol_builds_rules(
    path: Path, market: MarketType, total: int, trading: int
) -> None:
    symbols = _recorded_exchange_info(path)["symbols"]
    rules = [rules_from_symbol(market, entry) for entry in symbols]
    assert len(rules) == total
    trading_rules = [r for r, e in zip(rules, symbols, strict=True) if e["status"] == "TRADING"]
    assert len(trading_rules) == trading
    for r in trading_rules:
        assert r.price_filter is not None and r.price_filter.tick_size > 0, r.symbol
        assert r.lot_size is not None and r.lot_size.step_size > 0, r.symbol
        assert r.notional_filters and r.notional_filters[0].min_notional is not None, r.symbol
        assert r.price_precision is not None and r.quantity_precision is not None, r.symbol


def test_spot_rules_keep_exchange_values() -> None:
    rules = _spot_btcusdt()
    assert rules.price_filter is not None and rules.price_filter.tick_size == D("0.01")
    assert rules.lot_size is not None and rules.lot_size.step_size == D("0.00001")
    assert rules.notional_filters[0].filter_type == "MIN_NOTIONAL"
    assert rules.notional_filters[0].min_notional == D("10")
    assert rules.max_num_algo_orders == 5
    assert rules.filter_order[:3] == ("PRICE_FILTER", "PERCENT_PRICE", "LOT_SIZE")


def test_futures_rules_read_the_usdm_field_names() -> None:
    rules = _futures_btcusdt()
    nf = rules.notional_filters[0]
    assert (nf.min_notional, nf.reduce_only_exempt) == (D("5"), True)
    pp = rules.percent_price_filters[0]
    assert (pp.bid_multiplier_up, pp.ask_multiplier_down) == (D("1.15"), D("0.85"))
    assert pp.bid_multiplier_down is None and pp.ask_multiplier_up is None
    assert pp.multiplier_decimal == 4
    assert (rules.max_num_orders, rules.max_num_algo_orders) == (200, 10)
    assert (rules.price_precision, rules.quantity_precision) == (2, 3)


def test_spot_percent_price_by_side_and_trailing_delta_entry_parses() -> None:
    path = FIXTURES / "basana" / "binance_btc_usdt_exchange_info.json"
    if not path.exists():
        pytest.skip(f"recorded exchangeInfo not found at {path}")
    entry = json.loads(path.read_text())["symbols"][0]
    rules = rules_from_symbol(MarketType.SPOT, entry)
    (pp,) = rules.percent_price_filters
    assert pp.filter_type == "PERCENT_PRICE_BY_SIDE"
    assert (pp.bid_multiplier_down, pp.ask_multiplier_up) == (D("0.2"), D("5"))


# --- validation: worked examples ----------------------------------------------------------------


def test_tick_violation_names_the_nearest_valid_prices() -> None:
    violations = validate_order(_spot_btcusdt(), _limit(MarketType.SPOT, "0.5", "100.005"))
    assert [v.reason for v in violations] == [
        "Price 100.005 is not a multiple of the tick size 0.01; nearest valid: 100.00 or 100.01"
    ]
    assert (violations[0].code, violations[0].binance_message) == (
        -1013,
        "Filter failure: PRICE_FILTER",
    )


def test_spot_violations_come_in_exchange_info_order() -> None:
    order = _limit(MarketType.SPOT, "0.000015", "1.005")
    violations = validate_order(_spot_btcusdt(), order, reference_price=D("60000"))
    assert _codes(violations) == [
        ("PRICE_FILTER", -1013),
        ("PERCENT_PRICE", -1013),
        ("LOT_SIZE", -1013),
        ("MIN_NOTIONAL", -1013),
    ]
    assert "below 12000" in violations[1].reason


def test_futures_violations_carry_usdm_codes() -> None:
    rules = _futures_btcusdt()  # min price 556.72, tick 0.01, min qty 0.001, notional 5
    order = _limit(MarketType.FUTURES, "0.0015", "500.001")
    violations = validate_order(rules, order)
    assert [v.code for v in violations] == [-1111, -1111, -4013, -4014, -4023, -4164]
    assert violations[-1].binance_message == (
        "Order's notional must be no smaller than 5 (unless you choose reduce only)."
    )


def test_futures_price_above_max_and_quantity_above_max() -> None:
    order = _limit(MarketType.FUTURES, "1001", "1000001")
    assert [v.code for v in validate_order(_futures_btcusdt(), order)] == [-4002, -4005]


def test_futures_percent_price_caps_buys_and_floors_sells_against_mark() -> None:
    rules = _futures_btcusdt()
    mark = D("40000")
    high_buy = _limit(MarketType.FUTURES, "0.01", "46000.01")
    low_sell = _limit(MarketType.FUTURES, "0.01", "33999.99", side=Side.SELL)
    high_sell = _limit(MarketType.FUTURES, "0.01", "46000.01", side=Side.SELL)
    assert [v.code for v in validate_order(rules, high_buy, mark)] == [-4016]
    assert [v.code for v in validate_order(rules, low_sell, mark)] == [-4024]
    assert validate_order(rules, high_sell, mark) == []
    assert validate_order(rules, _limit(MarketType.FUTURES, "0.01", "46000"), mark) == []


def test_futures_reduce_only_is_exempt_from_min_notional() -> None:
    rules = _futures_btcusdt()
    small = _limit(MarketType.FUTURES, "0.001", "1000")
    assert [v.code for v in validate_order(rules, small)] == [-4164]
    assert (
        validate_order(rules, _limit(MarketType.FUTURES, "0.001", "1000", reduce_only=True)) == []
    )


def test_futures_market_order_notional_uses_the_mark_price() -> None:
    rules = _futures_btcusdt()
    order = OrderSpec(
        MarketType.FUTURES, "BTCUSDT", Side.BUY, OrderType.MARKET, quantity=D("0.001")
    )
    assert [v.code for v in validate_order(rules, order, reference_price=D("4000"))] == [-4164]
    assert validate_order(rules, order, reference_price=D("5000")) == []


def _notional_rules(apply_min_to_market: bool) -> SymbolRules:
    entry = {
        "symbol": "BTCUSDT",
        "filters": [
            {
                "filterType": "PRICE_FILTER",
                "minPrice": "0.01",
                "maxPrice": "1000000",
                "tickSize": "0.01",
            },
            {
                "filterType": "LOT_SIZE",
                "minQty": "0.00001",
                "maxQty": "9000",
                "stepSize": "0.00001",
            },
            {
                "filterType": "NOTIONAL",
                "minNotional": "10.00000000",
                "applyMinToMarket": apply_min_to_market,
                "maxNotional": "10000.00000000",
                "applyMaxToMarket": False,
                "avgPriceMins": 5,
            },
        ],
    }
    return rules_from_symbol(MarketType.SPOT, entry)


def test_spot_notional_applies_to_market_orders_only_when_flagged() -> None:
    market_buy = OrderSpec(
        MarketType.SPOT, "BTCUSDT", Side.BUY, OrderType.MARKET, quantity=D("0.0001")
    )
    big_market_buy = OrderSpec(
        MarketType.SPOT, "BTCUSDT", Side.BUY, OrderType.MARKET, quantity=D("1")
    )
    reference = D("50000")
    assert validate_order(_notional_rules(False), market_buy, reference) == []
    assert _codes(validate_order(_notional_rules(True), market_buy, reference)) == [
        ("NOTIONAL", -1013)
    ]
    # applyMaxToMarket is false: 50,000 of value passes for a market order, not for a limit one.
    assert validate_order(_notional_rules(True), big_market_buy, reference) == []
    limit = _limit(MarketType.SPOT, "1", "50000")
    (violation,) = validate_order(_notional_rules(True), limit, reference)
    assert violation.reason == "Order value 50000 (price x quantity) is above the maximum 10000."


def test_spot_quote_amount_needs_the_symbol_to_allow_it() -> None:
    rules = _notional_rules(True)  # this entry has no quoteOrderQtyMarketAllowed
    order = OrderSpec(
        MarketType.SPOT, "BTCUSDT", Side.BUY, OrderType.MARKET, quote_quantity=D("25")
    )
    assert _codes(validate_order(rules, order, D("50000"))) == [("PARAMETERS", -2010)]
    assert validate_order(_spot_btcusdt(), order, D("50000")) == []


def test_missing_and_superfluous_values_are_parameter_errors() -> None:
    rules = _spot_btcusdt()
    no_price = OrderSpec(MarketType.SPOT, "BTCUSDT", Side.BUY, OrderType.LIMIT, quantity=D("1"))
    (violation,) = validate_order(rules, no_price)
    assert (violation.code, violation.field) == (-1102, "price")
    market_with_price = OrderSpec(
        MarketType.SPOT, "BTCUSDT", Side.BUY, OrderType.MARKET, quantity=D("1"), price=D("5")
    )
    assert [v.code for v in validate_order(rules, market_with_price)] == [-1106]


def test_close_position_conflicts_on_futures() -> None:
    order = OrderSpec(
        MarketType.FUTURES,
        "BTCUSDT",
        Side.SELL,
        OrderType.STOP_MARKET,
        quantity=D("0.001"),
        stop_price=D("30000"),
        reduce_only=True,
        close_position=True,
    )
    assert [v.code for v in validate_order(_futures_btcusdt(), order)] == [-4137, -4138]


def test_stop_price_is_checked_by_the_price_filter() -> None:
    order = OrderSpec(
        MarketType.SPOT,
        "BTCUSDT",
        Side.SELL,
        OrderType.STOP_LIMIT,
        quantity=D("0.001"),
        price=D("30000"),
        stop_price=D("30000.001"),
    )
    (violation,) = validate_order(_spot_btcusdt(), order)
    assert (violation.field, violation.kind) == ("stop_price", ViolationKind.TICK)
    assert violation.reason.startswith("Stop price 30000.001 is not a multiple")


def test_open_order_counts() -> None:
    spot = _spot_btcusdt()
    order = _limit(MarketType.SPOT, "0.001", "30000")
    assert validate_order(spot, order, open_orders=199) == []
    assert _codes(validate_order(spot, order, open_orders=200)) == [("MAX_NUM_ORDERS", -2010)]
    stop = OrderSpec(
        MarketType.FUTURES,
        "BTCUSDT",
        Side.SELL,
        OrderType.STOP_MARKET,
        quantity=D("0.001"),
        stop_price=D("30000"),
    )
    assert [v.code for v in validate_order(_futures_btcusdt(), stop, open_algo_orders=10)] == [
        -4045
    ]
    assert validate_order(_futures_btcusdt(), stop, open_algo_orders=9) == []


def test_rounding_is_explicit_and_follows_the_mode() -> None:
    rules = _spot_btcusdt()
    assert round_price(rules, D("100.005"), RoundingMode.DOWN) == D("100.00")
    assert round_price(rules, D("100.005"), RoundingMode.UP) == D("100.01")
    assert round_price(rules, D("100.004"), RoundingMode.NEAREST) == D("100.00")
    assert round_quantity(rules, D("0.123456"), RoundingMode.DOWN) == D("0.12345")
    assert str(round_price(rules, D("100.005"), RoundingMode.DOWN)) == "100.00"


def test_market_rounding_uses_market_lot_size_only_when_it_has_a_step() -> None:
    spot = _spot_btcusdt()  # MARKET_LOT_SIZE step 0: LOT_SIZE's step applies
    assert round_quantity(spot, D("0.123456"), RoundingMode.UP, market=True) == D("0.12346")


# --- properties ---------------------------------------------------------------------------------


@st.composite
def synthetic_rules(draw: st.DrawFn) -> SymbolRules:
    """An exchangeInfo entry with grids like Binance's, parsed through rules_from_symbol."""
    market = draw(st.sampled_from(list(MarketType)))
    tick = D(draw(st.sampled_from(["1", "2", "5", "25"]))).scaleb(-draw(st.integers(0, 8)))
    step = D(draw(st.sampled_from(["1", "5", "10"]))).scaleb(-draw(st.integers(0, 8)))
    min_price = tick * draw(st.integers(1, 1000))
    min_qty = step * draw(st.integers(1, 1000))
    price_precision = _decimals(tick) + draw(st.integers(0, 2))
    quantity_precision = _decimals(step) + draw(st.integers(0, 2))
    notional = {"filterType": "MIN_NOTIONAL"}
    if market is MarketType.FUTURES:
        notional["notional"] = str(draw(st.sampled_from(["5", "10", "100"])))
        precision = {"pricePrecision": price_precision, "quantityPrecision": quantity_precision}
    else:
        notional |= {"minNotional": "10", "applyToMarket": True, "avgPriceMins": 5}
        precision = {"quotePrecision": price_precision, "baseAssetPrecision": quantity_precision}
    entry = {
        "symbol": "TESTUSDT",
        **precision,
        "filters": [
            {
                "filterType": "PRICE_FILTER",
                "minPrice": str(min_price),
                "maxPrice": str(min_price + tick * 10**9),
                "tickSize": str(tick),
            },
            {
                "filterType": "LOT_SIZE",
                "minQty": str(min_qty),
                "maxQty": str(min_qty + step * 10**9),
                "stepSize": str(step),
            },
            notional,
        ],
    }
    return rules_from_symbol(market, entry)


def _decimals(value: Decimal) -> int:
    return max(0, -int(value.normalize().as_tuple().exponent))


@st.composite
def rules_and_order(draw: st.DrawFn) -> tuple[SymbolRules, OrderSpec]:
    rules = draw(synthetic_rules())
    assert rules.price_filter is not None and rules.lot_size is not None
    # Units finer than the grid, so some prices are off it and some on it.
    price_unit = rules.price_filter.tick_size / draw(st.sampled_from([1, 1, 10, 4]))
    qty_unit = rules.lot_size.step_size / draw(st.sampled_from([1, 1, 10, 2]))
    price = price_unit * draw(st.integers(1, 10**7))
    qty = qty_unit * draw(st.integers(1, 10**7))
    side = draw(st.sampled_from(list(Side)))
    order = OrderSpec(
        rules.market,
        rules.symbol,
        side,
        OrderType.LIMIT,
        quantity=qty,
        price=price,
        time_in_force=TimeInForce.GTC,
    )
    return rules, order


def _simulator_accepts(rules: SymbolRules, order: OrderSpec) -> bool:
    """The exact checks the simulator does, written independently of filters.py."""
    pf, lot = rules.price_filter, rules.lot_size
    assert pf is not None and lot is not None and order.price and order.quantity
    price_base = pf.min_price if rules.market is MarketType.FUTURES else 0
    qty_base = lot.min_qty if rules.market is MarketType.FUTURES else 0
    (notional,) = rules.notional_filters
    return (
        pf.min_price <= order.price <= pf.max_price
        and (order.price - price_base) % pf.tick_size == 0
        and lot.min_qty <= order.quantity <= lot.max_qty
        and (order.quantity - qty_base) % lot.step_size == 0
        and order.price * order.quantity >= (notional.min_notional or 0)
    )


@settings(max_examples=300)
@given(rules_and_order())
def test_whatever_validation_accepts_the_simulator_accepts(
    case: tuple[SymbolRules, OrderSpec],
) -> None:
    rules, order = case
    if not validate_order(rules, order):
        assert _simulator_accepts(rules, order)
    else:
        assert all(v.reason and v.code < 0 for v in validate_order(rules, order))


@settings(max_examples=300)
@given(rules_and_order())
def test_whatever_the_simulator_accepts_validation_accepts(
    case: tuple[SymbolRules, OrderSpec],
) -> None:
    rules, order = case
    if _simulator_accepts(rules, order):
        assert validate_order(rules, order) == []


@settings(max_examples=300)
@given(rules_and_order(), st.sampled_from(list(RoundingMode)), st.sampled_from(list(RoundingMode)))
def test_rounded_orders_break_only_range_or_notional(
    case: tuple[SymbolRules, OrderSpec], price_mode: RoundingMode, qty_mode: RoundingMode
) -> None:
    rules, order = case
    assert order.price is not None and order.quantity is not None
    rounded = OrderSpec(
        rules.market,
        rules.symbol,
        order.side,
        OrderType.LIMIT,
        quantity=round_quantity(rules, order.quantity, qty_mode),
        price=round_price(rules, order.price, price_mode),
        time_in_force=TimeInForce.GTC,
    )
    kinds = {v.kind for v in validate_order(rules, rounded)}
    assert kinds <= {ViolationKind.RANGE, ViolationKind.NOTIONAL}


@settings(max_examples=200)
@given(st.data())
def test_rounding_real_symbols_lands_on_their_grids(data: st.DataObject) -> None:
    info = _recorded_exchange_info(SPOT_INFO if data.draw(st.booleans()) else FUTURES_INFO)
    market = MarketType.FUTURES if "futuresType" in info else MarketType.SPOT
    trading = [e for e in info["symbols"] if e["status"] == "TRADING"]
    rules = rules_from_symbol(market, data.draw(st.sampled_from(trading)))
    assert rules.price_filter is not None and rules.lot_size is not None
    price = rules.price_filter.min_price + D(data.draw(st.integers(0, 10**9))).scaleb(-10)
    qty = rules.lot_size.min_qty + D(data.draw(st.integers(0, 10**9))).scaleb(-10)
    mode = data.draw(st.sampled_from(list(RoundingMode)))
    order = _limit(
        market, str(round_quantity(rules, qty, mode)), str(round_price(rules, price, mode))
    )
    kinds = {v.kind for v in validate_order(rules, order)}
    assert kinds <= {ViolationKind.RANGE, ViolationKind.NOTIONAL}
