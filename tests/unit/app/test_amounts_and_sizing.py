"""Exact amounts, local times, and the ticket's Max (pure: no Streamlit run, no engine)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D
from zoneinfo import ZoneInfo

import pandas as pd

from app import tables
from app.formats import amount, local_time, money, places_of, utc_time, zone_label
from app.order_preview import Ticket, preview
from app.order_sizing import Funds, max_size, shortfall
from app.queries import Grid
from engine.models import (
    LotSizeFilter,
    MarketType,
    NotionalFilter,
    OrderType,
    PriceFilter,
    Side,
    SymbolRules,
    TradingPair,
)


def pair(market: MarketType = MarketType.SPOT) -> TradingPair:
    rules = SymbolRules(
        market=market, symbol="BTCUSDT",
        price_filter=PriceFilter(min_price=D("0.01"), max_price=D("1000000"), tick_size=D("0.01")),
        lot_size=LotSizeFilter(min_qty=D("0.00001"), max_qty=D("9000"), step_size=D("0.00001")),
        notional_filters=(NotionalFilter(filter_type="NOTIONAL", min_notional=D("5")),),
        filter_order=("PRICE_FILTER", "LOT_SIZE", "NOTIONAL"),
    )  # fmt: skip
    return TradingPair(market=market, symbol="BTCUSDT", base="BTC", quote="USDT",
                       status="TRADING", rules=rules)  # fmt: skip


def ticket(**fields) -> Ticket:
    base = {"market": MarketType.SPOT, "symbol": "BTCUSDT", "side": Side.BUY,
            "order_type": OrderType.LIMIT, "quantity": D(1), "price": D("90000")}  # fmt: skip
    return Ticket(**{**base, **fields})


def test_amounts_are_never_rounded_and_keep_the_step() -> None:
    assert amount(D("0.00999000")) == "0.00999"
    assert amount(0.00999, 5) == "0.00999"  # a float as stored in a DOUBLE column, exact
    assert amount(D("0.01"), 5) == "0.01000"
    assert amount(D("0.000001"), 5) == "0.000001"  # a decimal beyond the step is kept
    assert amount(D("95123.456"), 2) == "95,123.456"
    assert amount(None) == "—" and amount(float("nan")) == "—"
    assert money(D("-70.785"), "USDT", signed=True) == "-70.78 USDT"
    assert places_of(D("0.00001000")) == 5 and places_of(D("1")) == 0


def test_times_in_the_browsers_zone_with_utc_beside() -> None:
    ms = int(dt.datetime(2026, 12, 1, 10, 30, tzinfo=dt.UTC).timestamp() * 1000)
    berlin = ZoneInfo("Europe/Berlin")
    assert local_time(ms, berlin) == "2026-12-01 11:30:00 CET"
    assert utc_time(ms) == "2026-12-01 10:30:00 UTC"
    assert local_time(pd.Timestamp(ms, unit="ms", tz="UTC"), berlin, with_date=False) == (
        "11:30:00 CET"
    )
    assert zone_label(berlin, dt.datetime(2026, 12, 1, tzinfo=dt.UTC)) == (
        "Europe/Berlin (UTC+01:00)"
    )


def test_max_spot_buy_is_the_free_quote_at_the_price_rounded_down() -> None:
    sizing = max_size(ticket(), pair(), D("90000"), Funds(quote_free=D("1000")))
    assert sizing.quantity == D("0.01111")  # 1000 / 90000 = 0.011111..., down to the step
    assert preview(ticket(quantity=sizing.quantity), pair(), D("90000")).ok
    assert not shortfall(ticket(quantity=sizing.quantity), pair(), D("90000"),
                         Funds(quote_free=D("1000")))  # fmt: skip


def test_max_market_buy_leaves_room_for_slippage() -> None:
    market = ticket(order_type=OrderType.MARKET, price=None)
    sizing = max_size(market, pair(), D("90000"), Funds(quote_free=D("1000")))
    assert sizing.quantity == D("0.01089")  # 1000 / (90000 * 1.02)


def test_max_spot_sell_is_the_free_base_even_below_a_round_number() -> None:
    sell = ticket(side=Side.SELL, order_type=OrderType.MARKET, price=None)
    sizing = max_size(sell, pair(), D("90000"), Funds(base_free=D("0.00999")))
    assert sizing.quantity == D("0.00999")


def test_no_max_below_the_minimum_order_and_the_note_says_why() -> None:
    sizing = max_size(ticket(side=Side.SELL), pair(), D("90000"), Funds(base_free=D("0.000001")))
    assert sizing.quantity is None and "minimum quantity 0.00001" in sizing.note


def test_futures_max_counts_leverage_and_fee_and_reduce_only_counts_the_position() -> None:
    fut = ticket(market=MarketType.FUTURES, leverage=10)
    sizing = max_size(fut, pair(MarketType.FUTURES), D("90000"), Funds(quote_free=D("1000")))
    # 1000 / (1/10 + 0.0005) = 9950.24... USDT of notional -> 0.11055 BTC at 90,000
    assert sizing.quantity == D("0.11055")
    reduce = ticket(market=MarketType.FUTURES, side=Side.SELL, reduce_only=True)
    funds = Funds(quote_free=D(0), position=D("0.95"))
    assert max_size(reduce, pair(MarketType.FUTURES), D("90000"), funds).quantity == D("0.95")
    assert not shortfall(reduce, pair(MarketType.FUTURES), D("90000"), funds)
    assert preview(reduce, pair(MarketType.FUTURES), D("90000")).margin is None  # needs none


def test_a_shortfall_names_what_is_needed_and_what_is_free() -> None:
    words = shortfall(ticket(quantity=D("0.02")), pair(), D("90000"), Funds(quote_free=D("1000")))
    assert words == "Needs about 1,800 USDT; 1,000 USDT is free. Use Max, or lower the size."


def test_positions_say_why_there_is_no_liquidation_price() -> None:
    frame = pd.DataFrame([{
        "symbol": "BTCUSDT", "side": "LONG", "size": D("0.010"), "entry": D("90000.1"),
        "mark": 90100.25, "unrealized_pnl": 1.0, "notional": 901.0, "leverage": 5,
        "margin_type": None, "isolated_margin": D(0), "liquidation_price": None,
    }])  # fmt: skip
    grids = {("futures", "BTCUSDT"): Grid(D("0.1"), D("0.001"), "BTC", "USDT")}
    row = tables.positions_view(frame, grids).iloc[0]
    assert row["Liquidation (USDT)"] == "— none: the wallet covers it"
    assert (row["Size (BTC)"], row["Entry (USDT)"], row["Margin mode"]) == (
        "0.010",
        "90,000.1",
        "cross",
    )
    assert row["Margin (USDT)"] == "— cross: the wallet"


def test_no_max_when_the_most_is_below_the_minimum_order_value() -> None:
    sizing = max_size(ticket(side=Side.SELL), pair(), D("90000"), Funds(base_free=D("0.00004")))
    assert sizing.quantity is None  # 0.00004 BTC at 90,000 is 3.60 USDT, under the minimum 5
    assert "below the minimum 5" in sizing.note
