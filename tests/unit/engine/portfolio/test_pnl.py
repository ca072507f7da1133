"""Realized and unrealized P&L: hand-computed spot (average cost, fees in every asset) and futures
(adds, partial closes, a flip, funding) cases, and properties that hold for any fill sequence."""

from __future__ import annotations

from decimal import Decimal
from itertools import count

import duckdb
from hypothesis import given
from hypothesis import strategies as st

from engine.models import Fill, MarketType, Side
from engine.portfolio.pnl import (
    FuturesLedger,
    SpotLedger,
    apply_funding,
    apply_futures_fill,
    apply_spot_fill,
    funding_payment,
    read_fills,
    realized_in_usdt,
    replay_futures_fills,
    replay_spot_fills,
)
from engine.store.schema import migrate

D = Decimal
_trade_ids = count(1)


def fill(
    side: Side,
    qty: str,
    price: str,
    fee: str = "0",
    fee_asset: str | None = "USDT",
    market: MarketType = MarketType.SPOT,
    time: int = 0,
) -> Fill:
    q, p = D(qty), D(price)
    return Fill(
        market=market, symbol="BTCUSDT", trade_id=next(_trade_ids), client_order_id="c",
        exchange_order_id="1", side=side, price=p, qty=q, quote_qty=q * p, commission=D(fee),
        commission_asset=fee_asset, is_maker=False, time=time,
    )  # fmt: skip


BUY, SELL = Side.BUY, Side.SELL


def spot() -> SpotLedger:
    return SpotLedger(symbol="BTCUSDT", base="BTC", quote="USDT")


def test_average_cost_across_partial_buys_and_sells_with_fees_in_every_asset() -> None:
    bnb_at = {1: D(300)}  # BNB's price in USDT at the fill times we know it
    fills = [
        # buy 1.001 @ 100, fee 0.001 BTC: receive 1.000, cost 100.1 -> avg 100.1
        fill(BUY, "1.001", "100", "0.001", "BTC"),
        # buy 1 @ 130, fee 0.5 USDT into the basis: qty 2, cost 100.1 + 130 + 0.5 = 230.6
        fill(BUY, "1", "130", "0.5", "USDT"),
        # buy 1 @ 127, fee 0.01 BNB x 300 = 3 USDT: qty 3, cost 230.6 + 127 + 3 = 360.6, avg 120.2
        fill(BUY, "1", "127", "0.01", "BNB", time=1),
    ]
    ledger = replay_spot_fills(spot(), fills, lambda asset, t: bnb_at.get(t))
    assert (ledger.quantity, ledger.cost, ledger.average_cost) == (D(3), D("360.6"), D("120.2"))
    assert ledger.realized == 0

    # sell 1.5 @ 140 = 210, fee 0.21 USDT: released 360.6 x 1.5/3 = 180.3
    # realized = 210 - 0.21 - 180.3 = 29.49
    ledger = apply_spot_fill(ledger, fill(SELL, "1.5", "140", "0.21"))
    assert (ledger.quantity, ledger.cost, ledger.realized) == (D("1.5"), D("180.3"), D("29.49"))
    # held 1.5 at 130: 195 - 180.3 = 14.7
    assert ledger.unrealized(D(130)) == D("14.7")

    # sell 0.5 @ 110 = 55, fee 0.02 BNB with no price known: kept apart
    # released 180.3 x 0.5/1.5 = 60.1; realized 29.49 + 55 - 60.1 = 24.39
    ledger = apply_spot_fill(ledger, fill(SELL, "0.5", "110", "0.02", "BNB"))
    assert (ledger.quantity, ledger.cost, ledger.realized) == (D(1), D("120.2"), D("24.39"))
    assert ledger.unvalued_fees == {"BNB": D("0.02")}

    # sell the last 1 @ 150, fee 0.15: realized 24.39 + 150 - 0.15 - 120.2 = 54.04
    ledger = apply_spot_fill(ledger, fill(SELL, "1", "150", "0.15"))
    assert (ledger.quantity, ledger.cost, ledger.realized) == (D(0), D(0), D("54.04"))
    # check: net proceeds 209.79 + 55 + 149.85 = 414.64, minus the 360.6 basis = 54.04
    # valued fees: 0.001 BTC x 100 + 0.5 + 3 + 0.21 + 0.15 = 3.96
    assert ledger.fees == D("3.96")
    assert ledger.average_cost is None


def test_a_base_asset_fee_on_a_sell_takes_quantity_without_proceeds() -> None:
    ledger = apply_spot_fill(spot(), fill(BUY, "2", "100", "0", None))
    # sell 1 @ 120 and pay 0.01 BTC: 1.01 leaves; released 200 x 1.01/2 = 101; realized 120 - 101
    ledger = apply_spot_fill(ledger, fill(SELL, "1", "120", "0.01", "BTC"))
    assert (ledger.quantity, ledger.cost, ledger.realized) == (D("0.99"), D(99), D(19))


def test_selling_more_than_the_fills_bought_keeps_the_excess_out_of_pnl() -> None:
    ledger = apply_spot_fill(spot(), fill(BUY, "1", "100", "0", None))
    # sell 1.5 @ 100 = 150, fee 0.15: net 149.85, of which 0.5/1.5 (49.95) has no known cost
    # realized on the matched 1: 99.9 - 100 = -0.1
    ledger = apply_spot_fill(ledger, fill(SELL, "1.5", "100", "0.15"))
    assert (ledger.quantity, ledger.realized) == (D(0), D("-0.1"))
    assert (ledger.unmatched_quantity, ledger.unmatched_proceeds) == (D("0.5"), D("49.95"))


def futures() -> FuturesLedger:
    return FuturesLedger(symbol="BTCUSDT")


def fut(side: Side, qty: str, price: str, fee: str = "0", fee_asset: str = "USDT") -> Fill:
    return fill(side, qty, price, fee, fee_asset, MarketType.FUTURES)


def test_futures_adds_partial_close_flip_and_funding() -> None:
    # open long 0.1 @ 30000: entry 30000
    ledger = apply_futures_fill(futures(), fut(BUY, "0.1", "30000", "1.2"))
    # add 0.3 @ 31000: entry (3000 + 9300) / 0.4 = 30750
    ledger = apply_futures_fill(ledger, fut(BUY, "0.3", "31000", "3.72"))
    assert (ledger.amount, ledger.entry_price, ledger.realized) == (D("0.4"), D(30750), D(0))
    # unrealized at mark 31500: 0.4 x (31500 - 30750) = 300
    assert ledger.unrealized(D(31500)) == D(300)

    # partial close 0.1 @ 32000: realized 0.1 x (32000 - 30750) = 125; entry unchanged
    ledger = apply_futures_fill(ledger, fut(SELL, "0.1", "32000", "1.28"))
    assert (ledger.amount, ledger.entry_price, ledger.realized) == (D("0.3"), D(30750), D(125))

    # sell 0.5 @ 29000 flips: closes 0.3 -> 0.3 x (29000 - 30750) = -525, realized -400;
    # the other 0.2 opens a short entered at 29000
    ledger = apply_futures_fill(ledger, fut(SELL, "0.5", "29000", "5.8"))
    assert (ledger.amount, ledger.entry_price, ledger.realized) == (D("-0.2"), D(29000), D(-400))
    # short 0.2 at mark 28500: -0.2 x (28500 - 29000) = +100
    assert ledger.unrealized(D(28500)) == D(100)

    # funding at rate 0.0001, mark 29100: a short receives 0.2 x 29100 x 0.0001 = 0.582
    payment = funding_payment(ledger.amount, D(29100), D("0.0001"))
    assert payment == D("0.582")
    ledger = apply_funding(ledger, payment)

    # buy back 0.2 @ 28000: realized -1 x (0.2 x 28000 - 5800) = +200, total -200, flat
    ledger = apply_futures_fill(ledger, fut(BUY, "0.2", "28000", "2.24"))
    assert (ledger.amount, ledger.entry_price, ledger.realized) == (D(0), None, D(-200))
    # fees 1.2 + 3.72 + 1.28 + 5.8 + 2.24 = 14.24; net -200 - 14.24 + 0.582 = -213.658
    assert (ledger.fees, ledger.funding, ledger.net) == (D("14.24"), D("0.582"), D("-213.658"))
    assert ledger.unrealized(D(1)) == 0


def test_futures_fee_in_bnb_is_valued_when_the_price_is_known() -> None:
    fills = [fut(BUY, "1", "100", "0.002", "BNB"), fut(SELL, "1", "100", "0.002", "BNB")]
    prices = iter([D(500), None])
    ledger = replay_futures_fills(futures(), fills, lambda asset, t: next(prices))
    assert ledger.fees == D(1)  # 0.002 x 500
    assert ledger.unvalued_fees == {"BNB": D("0.002")}


def test_funding_sign_follows_binance_longs_pay_when_the_rate_is_positive() -> None:
    assert funding_payment(D("1.5"), D(100), D("0.0001")) == D("-0.015")
    assert funding_payment(D("1.5"), D(100), D("-0.0001")) == D("0.015")


quantities = st.decimals(min_value=D("0.001"), max_value=D(50), places=3)
prices = st.decimals(min_value=D("0.01"), max_value=D(100000), places=2)


@given(st.lists(st.tuples(st.sampled_from([BUY, SELL]), quantities, prices), min_size=1))
def test_futures_realized_equals_the_cash_flow_once_flat(trades) -> None:
    fills = [fut(side, str(q), str(p)) for side, q, p in trades]
    ledger = replay_futures_fills(futures(), fills)
    # close whatever is left at the last price, then realized must equal sells minus buys
    if ledger.amount:
        closing = SELL if ledger.amount > 0 else BUY
        fills.append(fut(closing, str(abs(ledger.amount)), str(trades[-1][2])))
        ledger = apply_futures_fill(ledger, fills[-1])
    cash = sum((f.qty * f.price * (1 if f.side is SELL else -1) for f in fills), D(0))
    assert ledger.amount == 0 and ledger.entry_cost == 0
    assert abs(ledger.realized - cash) < D("1e-12")


@given(st.lists(st.tuples(quantities, prices), min_size=1), st.data())
def test_spot_realized_equals_proceeds_minus_basis_once_sold_out(buys, data) -> None:
    fills = [fill(BUY, str(q), str(p), str((q * p / 1000).quantize(D("0.01")))) for q, p in buys]
    ledger = replay_spot_fills(spot(), fills)
    parts = data.draw(st.integers(min_value=1, max_value=4))
    price = data.draw(prices)
    piece = (ledger.quantity / parts).quantize(D("0.001"))
    for qty in [piece] * (parts - 1):
        if 0 < qty < ledger.quantity:  # partial sells first, then whatever is left
            fills.append(fill(SELL, str(qty), str(price), "0", None))
            ledger = apply_spot_fill(ledger, fills[-1])
    fills.append(fill(SELL, str(ledger.quantity), str(price), "0", None))
    ledger = apply_spot_fill(ledger, fills[-1])
    spent = sum((f.quote_qty + f.commission for f in fills if f.side is BUY), D(0))
    received = sum((f.quote_qty for f in fills if f.side is SELL), D(0))
    assert ledger.quantity == 0 and ledger.cost == 0
    assert abs(ledger.realized - (received - spent)) < D("1e-12")


def test_fills_read_back_from_duckdb_replay_to_the_same_pnl(tmp_path) -> None:
    con = duckdb.connect(str(tmp_path / "desk.duckdb"))
    migrate(con)
    fills = [fut(BUY, "0.1", "30000", "1.2"), fut(SELL, "0.1", "31000", "1.24")]
    for f in reversed(fills):  # stored out of order: read back by time, then trade id
        con.execute(
            "INSERT INTO fills VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            [str(f.market), f.symbol, f.trade_id, f.client_order_id, 1, str(f.side), f.price,
             f.qty, f.quote_qty, f.commission, f.commission_asset, f.is_maker, None, f.time],
        )  # fmt: skip
    stored = read_fills(con.cursor(), MarketType.FUTURES, "BTCUSDT")
    assert [f.trade_id for f in stored] == [f.trade_id for f in fills]
    ledger = replay_futures_fills(futures(), stored)
    # 0.1 x (31000 - 30000) = 100, fees 2.44 -> net 97.56
    assert (ledger.realized, ledger.net) == (D(100), D("97.56"))
    assert read_fills(con.cursor(), MarketType.SPOT, "BTCUSDT") == []
    con.close()

    eth_btc = SpotLedger(symbol="ETHBTC", base="ETH", quote="BTC", realized=D("0.01"))
    usdt = SpotLedger(symbol="BTCUSDT", base="BTC", quote="USDT", realized=D("2.5"))
    # 97.56 + 0.01 BTC x 40,000 + 2.5 = 500.06
    assert realized_in_usdt([eth_btc, usdt], [ledger], {"BTC": D(40000)}) == D("500.06")
